"""PostgreSQL under chaos, against a real server: down, paused, connections killed, timeouts."""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg
import pytest
from psycopg import errors
from psycopg_pool import ConnectionPool, PoolTimeout

from chaoslab.services import PostgresServer

PostgresFactory = Callable[..., PostgresServer]


def _pool(url: str, **options: object) -> ConnectionPool:
    settings: dict[str, object] = {"min_size": 2, "max_size": 2, "timeout": 5.0}
    settings.update(options)
    kwargs = {"connect_timeout": 2, **dict(settings.pop("kwargs", {}))}  # type: ignore[call-overload]
    pool = ConnectionPool(url, kwargs=kwargs, open=False, **settings)  # type: ignore[arg-type]
    pool.open(wait=True, timeout=10)
    return pool


def _transfer_killed_midway(
    pool: ConnectionPool, admin: psycopg.Connection[tuple[object, ...]], backends: list[int]
) -> None:
    """Move 100 from account 1 to 2; the server kills the connection between the halves."""
    with pool.connection() as conn:
        backends.append(conn.info.backend_pid)
        with conn.transaction():
            conn.execute("update accounts set balance = balance - 100 where id = 1")
            admin.execute("select pg_terminate_backend(%s)", [conn.info.backend_pid])
            conn.execute("update accounts set balance = balance + 100 where id = 2")


def _query(pool: ConnectionPool, sql: str, backends: list[int]) -> None:
    with pool.connection() as conn:
        backends.append(conn.info.backend_pid)
        conn.execute(sql.encode())


def _connect_once_a_slot_frees(url: str) -> psycopg.Connection[tuple[object, ...]]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            return psycopg.connect(url, connect_timeout=5)
        except psycopg.OperationalError as exc:
            if "too many clients" not in str(exc):
                raise
            time.sleep(0.01)
    raise AssertionError("no connection slot freed within 5 s")


def test_postgres_unavailable_gives_clear_error_not_hang_and_pool_recovers_when_back(
    postgres_factory: PostgresFactory,
) -> None:
    """PostgreSQL goes down: a new connection fails at once with a clear 'connection
    refused' error, a pool checkout gives up after its timeout instead of hanging; when
    the server is back, the same pool serves queries again."""
    server = postgres_factory()
    pool = _pool(server.url, check=ConnectionPool.check_connection, timeout=1.0)
    try:
        server.stop()

        with pytest.raises(psycopg.OperationalError, match="Connection refused"):
            psycopg.connect(server.url, connect_timeout=2)
        with pytest.raises(PoolTimeout), pool.connection():
            pass  # pragma: no cover - never reached: the checkout times out

        server.start()

        with pool.connection(timeout=10) as conn:
            assert conn.execute("select 41 + 1").fetchone() == (42,)
        assert pool.get_stats().get("connections_errors", 0) >= 1  # it really tried while down
    finally:
        pool.close()


def test_connection_killed_mid_transaction_rolls_back_leaves_no_partial_write_and_pool_drops_it(
    postgres_url: str,
) -> None:
    """The server terminates a connection in the middle of a money transfer
    (pg_terminate_backend): the client gets an error, the half-done transfer is rolled
    back (no partial write), and the pool discards the dead connection for a new one."""
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("create table accounts (id int primary key, balance int not null)")
        admin.execute("insert into accounts values (1, 1000), (2, 1000)")
        pool = _pool(postgres_url, min_size=1, max_size=1)
        backends: list[int] = []
        try:
            with pytest.raises(psycopg.OperationalError) as lost:
                _transfer_killed_midway(pool, admin, backends)
            (victim,) = backends

            assert lost.value.sqlstate in ("57P01", None)  # admin_shutdown, or just "closed"
            balances = admin.execute("select balance from accounts order by id").fetchall()
            assert balances == [(1000,), (1000,)]
            with pool.connection(timeout=5) as conn:
                assert conn.info.backend_pid != victim
                assert conn.execute("select count(*) from accounts").fetchone() == (2,)
            assert pool.get_stats().get("returns_bad", 0) == 1
        finally:
            pool.close()


def test_statement_timeout_cancels_query_releases_connection_and_next_query_works(
    postgres_url: str,
) -> None:
    """A query runs past statement_timeout: it is cancelled with a clear timeout error
    (SQLSTATE 57014), the connection goes back to the pool healthy, and the next query
    on that very connection works."""
    options = {"options": "-c statement_timeout=200"}
    pool = _pool(postgres_url, min_size=1, max_size=1, kwargs=options)
    backends: list[int] = []
    try:
        with pytest.raises(errors.QueryCanceled) as cancelled:
            _query(pool, "select pg_sleep(30)", backends)
        (first,) = backends
        assert cancelled.value.sqlstate == "57014"
        assert "statement timeout" in str(cancelled.value)

        with pool.connection(timeout=2) as conn:
            assert conn.info.backend_pid == first  # released and reused, not leaked
            assert conn.execute("select 'still fine'").fetchone() == ("still fine",)
        assert pool.get_stats().get("returns_bad", 0) == 0
    finally:
        pool.close()


def test_postgres_paused_client_times_out_instead_of_hanging_and_recovers_on_resume(
    postgres_factory: PostgresFactory,
) -> None:
    """PostgreSQL freezes (SIGSTOP: the port accepts TCP, nothing answers): a new
    connection times out (connect_timeout) and a pool checkout raises PoolTimeout
    instead of hanging; after SIGCONT the pool serves again."""
    server = postgres_factory()
    pool = _pool(server.url, min_size=0, max_size=2, timeout=0.5)
    try:
        with server.paused():
            with pytest.raises(errors.ConnectionTimeout):
                psycopg.connect(server.url, connect_timeout=2)
            with pytest.raises(PoolTimeout), pool.connection():
                pass  # pragma: no cover - never reached: the checkout times out

        with pool.connection(timeout=10) as conn:
            assert conn.execute("select 'awake'").fetchone() == ("awake",)
    finally:
        pool.close()


def test_connection_limit_hit_new_connections_rejected_at_once_with_clear_error(
    postgres_factory: PostgresFactory,
) -> None:
    """Every connection slot is taken (max_connections=5): the next connection is refused
    at once with a clear 'too many clients already', not left hanging; when a slot frees
    up, connecting works again."""
    server = postgres_factory(
        settings={"max_connections": "5", "superuser_reserved_connections": "0"}
    )
    held = [psycopg.connect(server.url, autocommit=True) for _ in range(5)]
    try:
        with pytest.raises(psycopg.OperationalError, match="too many clients already"):
            psycopg.connect(server.url, connect_timeout=5)

        held.pop().close()  # its server process exits a moment later, freeing the slot

        with _connect_once_a_slot_frees(server.url) as conn:
            assert conn.execute(
                "select count(*) from pg_stat_activity where backend_type = 'client backend'"
            ).fetchone() == (5,)
    finally:
        for conn in held:
            conn.close()
