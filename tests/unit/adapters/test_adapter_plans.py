"""What the redis-py and psycopg seams decide for each fault, as pure functions."""

from __future__ import annotations

import psycopg
import psycopg.errors
import psycopg_pool
import pytest
import redis

from chaoslab.adapters import InjectedOperationalError, pg_error, pg_point_name
from chaoslab.adapters._psycopg import connect_error, server_abort_sql, statement_plan
from chaoslab.adapters._psycopg_pool import checkout_plan
from chaoslab.adapters._redis_plan import command_plan, pool_plan
from chaoslab.errors import InjectedFault
from chaoslab.faults import (
    ConnectionRefused,
    ConnectionReset,
    Error,
    Hang,
    Latency,
    Timeout,
)


def test_latencies_add_up_and_the_first_ending_fault_wins() -> None:
    plan = command_plan(
        [Latency(0.1), Latency(0.2), ConnectionRefused(), Timeout(9)], "h:1", socket_timeout=None
    )
    assert plan.delay == pytest.approx(0.3)
    assert isinstance(plan.error, redis.ConnectionError)
    assert str(plan.error) == "Error 111 connecting to h:1. Connection refused."
    assert plan.disconnect
    assert not plan.send_first


def test_a_timeout_sends_first_and_a_hang_waits_the_socket_timeout() -> None:
    timeout = command_plan([Timeout(2)], "h:1", socket_timeout=None)
    assert (timeout.delay, timeout.send_first, timeout.forever) == (2, True, False)
    hang = command_plan([Hang()], "h:1", socket_timeout=0.5)
    assert (hang.delay, hang.forever) == (0.5, False)
    endless = command_plan([Hang(limit=9)], "h:1", socket_timeout=None)
    assert (endless.delay, endless.forever) == (9, True)
    assert isinstance(endless.error, redis.TimeoutError)


def test_an_error_fault_raises_its_own_exception() -> None:
    plan = command_plan([Error(redis.ResponseError("WRONGTYPE"))], "h:1", socket_timeout=None)
    assert isinstance(plan.error, redis.ResponseError)
    assert not plan.disconnect


@pytest.mark.parametrize(
    ("blocking", "message", "cls"),
    [
        (False, "Too many connections", redis.exceptions.MaxConnectionsError),
        (True, "No connection available.", redis.ConnectionError),
    ],
)
def test_the_pool_point_exhausts_each_pool_its_own_way(
    blocking: bool, message: str, cls: type[Exception]
) -> None:
    plan = pool_plan([Timeout(0.3)], "h:1", blocking=blocking, pool_timeout=5)
    assert isinstance(plan.error, cls)
    assert isinstance(plan.error, InjectedFault)
    assert str(plan.error) == message
    assert plan.delay == pytest.approx(0.3)
    hang = pool_plan([Hang()], "h:1", blocking=blocking, pool_timeout=5)
    assert hang.delay == (5 if blocking else 0)
    reset = pool_plan([ConnectionReset()], "h:1", blocking=blocking, pool_timeout=5)
    assert str(reset.error) == "Error 104 connecting to h:1. Connection reset by peer."


def test_statement_plans_pick_where_the_error_comes_from() -> None:
    timeout = statement_plan([Timeout(1)])
    assert timeout.action == "server"
    assert isinstance(timeout.error, psycopg.errors.QueryCanceled)
    assert statement_plan([ConnectionReset()]).action == "lose"
    assert statement_plan([ConnectionRefused()]).action == "lose"
    assert statement_plan([pg_error("08006")]).action == "lose"
    assert statement_plan([pg_error("57P01")]).action == "lose"
    assert statement_plan([pg_error("40P01")]).action == "server"
    assert statement_plan([Error(ValueError)]).action == "none"
    assert statement_plan([Latency(1)]).error is None


def test_only_a_well_formed_sqlstate_reaches_the_server() -> None:
    assert server_abort_sql(pg_error("40001").build()) == (
        "DO $$BEGIN RAISE EXCEPTION 'chaoslab' USING ERRCODE = '40001'; END$$"
    )
    fake = psycopg.errors.QueryCanceled("x")
    fake.sqlstate = "'; DROP"
    assert server_abort_sql(fake) is None
    assert server_abort_sql(ValueError()) is None


def test_pg_error_knows_real_sqlstates_only() -> None:
    exc = pg_error("57014").build()
    assert isinstance(exc, psycopg.errors.QueryCanceled)
    assert str(exc) == "canceling statement due to statement timeout"
    with pytest.raises(KeyError):
        pg_error("ZZZZZ")


def test_connect_faults_read_like_libpq() -> None:
    delay, forever, exc = connect_error(
        [Latency(1), ConnectionRefused()], {"host": "db", "port": 5}
    )
    assert (delay, forever) == (1, False)
    assert isinstance(exc, InjectedOperationalError)
    assert str(exc).startswith('connection failed: connection to server at "db", port 5 failed:')
    _, _, timeout = connect_error([Timeout(3)], {})
    assert isinstance(timeout, psycopg.errors.ConnectionTimeout)
    assert connect_error([Latency(2)], {}) == (2, False, None)


def test_checkout_waits_then_times_out() -> None:
    delay, exc = checkout_plan([Timeout(1.5)], timeout=30)
    assert delay == 1.5
    assert isinstance(exc, psycopg_pool.PoolTimeout)
    assert str(exc) == "couldn't get a connection after 1.50 sec"
    delay, exc = checkout_plan([ConnectionRefused()], timeout=4)
    assert delay == 4
    assert isinstance(exc, psycopg_pool.PoolTimeout)
    assert checkout_plan([Latency(0.2)], timeout=4) == (0.2, None)


@pytest.mark.parametrize(
    ("query", "point"),
    [
        ("select a from b join c on true", "pg.SELECT b"),
        ("SELECT 1", "pg.SELECT"),
        ("/* tag */ UPDATE t SET x = 1", "pg.UPDATE t"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "pg.WITH"),
        ("", "pg.?"),
    ],
)
def test_pg_point_names(query: str, point: str) -> None:
    assert pg_point_name(query) == point
