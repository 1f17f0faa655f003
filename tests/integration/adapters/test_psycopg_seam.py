"""The psycopg seam against a real PostgreSQL: point names, each fault, pools, asyncio."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import psycopg
import psycopg.errors
import pytest
from psycopg import sql

from chaoslab.adapters import (
    PG_CONNECT_POINT,
    PG_POOL_POINT,
    AsyncChaosPgConnection,
    AsyncChaosPgPool,
    ChaosPgConnection,
    ChaosPgPool,
    InjectedOperationalError,
    pg_error,
    pg_point_name,
)
from chaoslab.clock import VirtualClock
from chaoslab.errors import InjectedFault, UnsupportedFaultError
from chaoslab.faults import (
    ConnectionRefused,
    ConnectionReset,
    FirstN,
    Hang,
    HTTPStatus,
    Latency,
    Timeout,
)
from chaoslab.inject import FaultInjector


@pytest.fixture
def chaos() -> FaultInjector:
    return FaultInjector(seed=5, clock=VirtualClock(autojump=True))


@pytest.fixture
def conn(pg_url: str, chaos: FaultInjector) -> Iterator[ChaosPgConnection[tuple[object, ...]]]:
    with ChaosPgConnection.connect(pg_url, injector=chaos) as conn:
        yield conn


def _count(url: str) -> int:
    with psycopg.connect(url) as plain:
        row = plain.execute("SELECT count(*) FROM accounts").fetchone()
    assert row is not None
    return int(row[0])


def test_point_names_are_verb_and_first_table() -> None:
    assert pg_point_name("SELECT * FROM users WHERE id = %s") == "pg.SELECT users"
    assert pg_point_name('  insert into "Events" (x) values (1)') == "pg.INSERT Events"
    assert pg_point_name("UPDATE public.accounts SET balance = 0") == "pg.UPDATE public.accounts"
    assert pg_point_name("delete from sessions") == "pg.DELETE sessions"
    assert pg_point_name("-- why\nSELECT 1") == "pg.SELECT"
    assert pg_point_name("BEGIN") == "pg.BEGIN"


def test_statements_and_connects_are_counted_at_their_points(
    pg_url: str, chaos: FaultInjector
) -> None:
    with ChaosPgConnection.connect(pg_url, injector=chaos) as conn:
        conn.execute("INSERT INTO accounts VALUES (1, 10)")
        conn.execute(sql.SQL("SELECT balance FROM {}").format(sql.Identifier("accounts")))
        with conn.cursor() as cur:
            cur.executemany("UPDATE accounts SET balance = %s", [(1,), (2,)])
    stats = chaos.all_stats()
    assert stats[PG_CONNECT_POINT].calls == 1
    assert stats["pg.INSERT accounts"].calls == 1
    assert stats["pg.SELECT accounts"].calls == 1
    assert stats["pg.UPDATE accounts"].calls == 1


def test_statement_timeout_is_a_real_query_canceled_that_aborts_the_transaction(
    conn: ChaosPgConnection[tuple[object, ...]], chaos: FaultInjector
) -> None:
    conn.execute("INSERT INTO accounts VALUES (1, 10)")
    before = chaos.clock.now()
    with (
        chaos.inject("pg.UPDATE accounts", Timeout(after=2)),
        pytest.raises(psycopg.errors.QueryCanceled) as caught,
    ):
        conn.execute("UPDATE accounts SET balance = 0")
    assert chaos.clock.now() - before == pytest.approx(2)
    assert isinstance(caught.value, InjectedFault)
    assert caught.value.sqlstate == "57014"
    # The server aborted the transaction, as a real statement timeout does.
    assert conn.info.transaction_status is psycopg.pq.TransactionStatus.INERROR
    with pytest.raises(psycopg.errors.InFailedSqlTransaction):
        conn.execute("SELECT 1")
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (0,)


def test_connection_reset_loses_the_connection_and_the_server_rolls_back(
    pg_url: str, conn: ChaosPgConnection[tuple[object, ...]], chaos: FaultInjector
) -> None:
    conn.execute("INSERT INTO accounts VALUES (1, 10)")
    with (
        chaos.inject("pg.INSERT *", ConnectionReset()),
        pytest.raises(psycopg.OperationalError) as caught,
    ):
        conn.execute("INSERT INTO accounts VALUES (2, 20)")
    assert isinstance(caught.value, InjectedOperationalError)
    assert "server closed the connection unexpectedly" in str(caught.value)
    assert conn.closed
    assert conn.broken
    assert _count(pg_url) == 0  # nothing of the transaction was committed


def test_admin_shutdown_has_its_sqlstate_and_breaks_the_connection(
    conn: ChaosPgConnection[tuple[object, ...]], chaos: FaultInjector
) -> None:
    with (
        chaos.inject("pg.SELECT", pg_error("57P01")),
        pytest.raises(psycopg.errors.AdminShutdown) as caught,
    ):
        conn.execute("SELECT 1")
    assert caught.value.sqlstate == "57P01"
    assert conn.broken


def test_a_serialization_failure_is_raised_by_the_server_and_the_connection_lives(
    conn: ChaosPgConnection[tuple[object, ...]], chaos: FaultInjector
) -> None:
    with chaos.inject("pg.UPDATE *", pg_error("40001"), FirstN(1)):
        with pytest.raises(psycopg.errors.SerializationFailure):
            conn.execute("UPDATE accounts SET balance = 1")
        conn.rollback()
        conn.execute("UPDATE accounts SET balance = 1")
    assert not conn.closed


def test_autocommit_errors_leave_no_transaction(pg_url: str, chaos: FaultInjector) -> None:
    with ChaosPgConnection.connect(pg_url, injector=chaos, autocommit=True) as conn:
        timeout = chaos.inject("pg.SELECT", Timeout(1))
        with timeout, pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT 1")
        assert conn.info.transaction_status is psycopg.pq.TransactionStatus.IDLE
        assert conn.execute("SELECT 2").fetchone() == (2,)


def test_latency_delays_the_statement(
    conn: ChaosPgConnection[tuple[object, ...]], chaos: FaultInjector
) -> None:
    before = chaos.clock.now()
    with chaos.inject("pg.SELECT", Latency(0.3)):
        assert conn.execute("SELECT 7").fetchone() == (7,)
    assert chaos.clock.now() - before == pytest.approx(0.3)


def test_connect_refused_is_psycopg_operational_error(pg_url: str, chaos: FaultInjector) -> None:
    with (
        chaos.inject(PG_CONNECT_POINT, ConnectionRefused()),
        pytest.raises(psycopg.OperationalError, match="Connection refused"),
    ):
        ChaosPgConnection.connect(pg_url, injector=chaos)
    with (
        chaos.inject(PG_CONNECT_POINT, Timeout(3)),
        pytest.raises(psycopg.errors.ConnectionTimeout, match="connection timeout expired"),
    ):
        ChaosPgConnection.connect(pg_url, injector=chaos)


def test_faults_the_seam_cannot_apply_fail_at_inject(chaos: FaultInjector) -> None:
    with pytest.raises(UnsupportedFaultError, match="pg"):
        chaos.inject("pg.SELECT *", HTTPStatus(500))


def test_pool_timeout_under_an_injected_getconn_fault(pg_url: str, chaos: FaultInjector) -> None:
    with (
        ChaosPgPool(pg_url, injector=chaos, min_size=1, max_size=2, open=True) as pool,
        chaos.inject(PG_POOL_POINT, Timeout(1.5), FirstN(1)),
    ):
        before = chaos.clock.now()
        with pytest.raises(psycopg_pool_timeout()) as caught, pool.connection():
            pass
        assert "couldn't get a connection after 1.50 sec" in str(caught.value)
        assert chaos.clock.now() - before == pytest.approx(1.5)
        with pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with (
            chaos.inject(PG_POOL_POINT, ConnectionRefused(), FirstN(1)),
            pytest.raises(psycopg_pool_timeout()),
            pool.connection(timeout=4),
        ):
            pass
        assert pool.get_stats()["pool_size"] >= 1


def psycopg_pool_timeout() -> type[Exception]:
    import psycopg_pool

    return psycopg_pool.PoolTimeout


async def test_async_connection_and_pool(pg_url: str, chaos: FaultInjector) -> None:
    async with await AsyncChaosPgConnection.connect(pg_url, injector=chaos) as conn:
        await conn.execute("INSERT INTO accounts VALUES (1, 10)")
        with (
            chaos.inject("pg.UPDATE accounts", Timeout(1)),
            pytest.raises(psycopg.errors.QueryCanceled),
        ):
            await conn.execute("UPDATE accounts SET balance = 0")
        await conn.rollback()
        with (
            chaos.inject("pg.SELECT *", ConnectionReset()),
            pytest.raises(psycopg.OperationalError),
        ):
            await conn.execute("SELECT * FROM accounts")
        assert conn.broken
    async with AsyncChaosPgPool(pg_url, injector=chaos, min_size=1, open=False) as pool:
        with chaos.inject(PG_POOL_POINT, Timeout(0.5), FirstN(1)):
            with pytest.raises(psycopg_pool_timeout()):
                async with pool.connection():
                    pass
            async with pool.connection() as pooled:
                cur = await pooled.execute("SELECT 1")
                assert await cur.fetchone() == (1,)


def test_stream_and_executemany_are_points_too(
    conn: ChaosPgConnection[tuple[object, ...]], chaos: FaultInjector
) -> None:
    with (
        conn.cursor() as cur,
        chaos.inject("pg.INSERT accounts", pg_error("23505")),
        pytest.raises(psycopg.errors.UniqueViolation),
    ):
        cur.executemany("INSERT INTO accounts VALUES (%s, 0)", [(1,), (2,)])
    conn.rollback()
    with (
        conn.cursor() as cur,
        chaos.inject("pg.SELECT", Timeout(1)),
        pytest.raises(psycopg.errors.QueryCanceled),
    ):
        list(cur.stream("SELECT generate_series(1, 3)"))
    conn.rollback()
    with conn.cursor() as cur:
        assert [row[0] for row in cur.stream("SELECT generate_series(1, 3)")] == [1, 2, 3]


async def test_async_hang_waits_until_cancelled(pg_url: str, chaos: FaultInjector) -> None:
    async with await AsyncChaosPgConnection.connect(pg_url, injector=chaos) as conn:
        with chaos.inject("pg.SELECT", Hang()):
            task = asyncio.ensure_future(conn.execute("SELECT 1"))
            done, _ = await asyncio.wait([task], timeout=0.05)
            assert not done  # hanging, not failing
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        cur = await conn.execute("SELECT 2")
        assert await cur.fetchone() == (2,)
