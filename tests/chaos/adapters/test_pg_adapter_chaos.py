"""PostgreSQL faults injected at the psycopg seam, against a real PostgreSQL.

Where a real failure is cheap to cause (a backend terminated by the server),
the injected fault is checked against it.
"""

from __future__ import annotations

import psycopg
import psycopg.errors
import psycopg_pool
import pytest

from chaoslab.adapters import (
    PG_POOL_POINT,
    AsyncChaosPgPool,
    ChaosPgConnection,
    ChaosPgPool,
    pg_error,
)
from chaoslab.clock import VirtualClock
from chaoslab.errors import InjectedFault
from chaoslab.faults import AfterN, ConnectionReset, FirstN, Timeout
from chaoslab.inject import FaultInjector
from chaoslab.resilience import Retry, WaitConstant


def _chaos() -> FaultInjector:
    return FaultInjector(seed=13, clock=VirtualClock(autojump=True))


def _balances(url: str) -> list[tuple[int, int]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, balance FROM accounts ORDER BY id").fetchall()
    return [(int(a), int(b)) for a, b in rows]


def _discarded(stats: dict[str, int]) -> int:
    # psycopg_pool counts a broken connection coming back as lost or bad, by path.
    return stats.get("connections_lost", 0) + stats.get("returns_bad", 0)


def _backend_alive(url: str, pid: int) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        found = row.fetchone()
    return found is not None and found[0] == 1


def test_postgres_admin_shutdown_mid_transaction_rolled_back_pool_drops_dead_connection(
    pg_url: str,
) -> None:
    """A transfer's second UPDATE meets 57P01 admin_shutdown: the first UPDATE is rolled
    back (no partial write), the server ended that backend, the pool replaces the dead
    connection instead of handing it out again, and the retried transfer commits."""
    with psycopg.connect(pg_url) as setup:
        setup.execute("INSERT INTO accounts VALUES (1, 100), (2, 0)")
    chaos = _chaos()
    pids: list[int] = []
    with ChaosPgPool(pg_url, injector=chaos, min_size=1, max_size=1, open=True) as pool:

        def transfer() -> None:
            with pool.connection() as conn, conn.transaction():
                pids.append(conn.info.backend_pid)
                conn.execute("UPDATE accounts SET balance = balance - 30 WHERE id = 1")
                conn.execute("UPDATE accounts SET balance = balance + 30 WHERE id = 2")

        second_update = AfterN(1) & FirstN(2)
        with chaos.inject("pg.UPDATE accounts", pg_error("57P01"), second_update):
            with pytest.raises(psycopg.errors.AdminShutdown) as caught:
                transfer()
            assert _balances(pg_url) == [(1, 100), (2, 0)]  # no partial write
            assert not _backend_alive(pg_url, pids[0])  # the server ended that session
            transfer()
        assert _discarded(pool.get_stats()) == 1
        assert pool.get_stats()["connections_num"] == 2  # the replacement
    assert isinstance(caught.value, InjectedFault)
    assert pids[1] != pids[0]  # a new connection, not the dead one
    assert _balances(pg_url) == [(1, 70), (2, 30)]


def test_injected_admin_shutdown_reads_like_a_really_terminated_backend(pg_url: str) -> None:
    """pg_terminate_backend() on a real session and an injected 57P01 give the caller the
    same exception class and leave the connection in the same state: closed and broken."""
    with psycopg.connect(pg_url, autocommit=True) as victim, psycopg.connect(pg_url) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [victim.info.backend_pid])
        with pytest.raises(psycopg.OperationalError) as real:
            victim.execute("SELECT 1")
        real_state = (victim.closed, victim.broken)
    chaos = _chaos()
    with (
        ChaosPgConnection.connect(pg_url, injector=chaos, autocommit=True) as conn,
        chaos.inject("pg.SELECT", pg_error("57P01")),
        pytest.raises(psycopg.OperationalError) as fake,
    ):
        conn.execute("SELECT 1")
    assert type(real.value) is psycopg.errors.AdminShutdown
    assert type(real.value) in type(fake.value).__mro__
    assert real.value.sqlstate == fake.value.sqlstate == "57P01"
    assert real_state == (conn.closed, conn.broken) == (True, True)


def test_statement_timeout_releases_the_connection_and_the_next_query_works(
    pg_url: str,
) -> None:
    """A statement times out (57014 after 5 s on the virtual clock): the caller gets a clear
    QueryCanceled, the connection goes back to the pool healthy (not dropped), and the next
    query on it works."""
    chaos = _chaos()
    with ChaosPgPool(pg_url, injector=chaos, min_size=1, max_size=1, open=True) as pool:
        pids: list[int] = []

        def select_all() -> None:
            with pool.connection() as conn:
                pids.append(conn.info.backend_pid)
                conn.execute("SELECT * FROM accounts")

        with chaos.inject("pg.SELECT accounts", Timeout(5), FirstN(1)):
            with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
                select_all()
            with pool.connection() as conn:
                assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (0,)
                assert conn.info.backend_pid == pids[0]  # the same, healthy connection
        stats = pool.get_stats()
    assert _discarded(stats) == 0
    assert chaos.clock.now() == pytest.approx(5)


def test_pool_timeout_under_injected_getconn_fault_backoff_retry_recovers(pg_url: str) -> None:
    """The pool cannot hand out a connection twice (PoolTimeout after 2 s each): a retry with
    500 ms waits gets one on the third try; all of it takes 5 s of virtual time."""
    chaos = _chaos()
    retry = Retry(
        attempts=3,
        wait=WaitConstant(0.5),
        retry_on=psycopg_pool.PoolTimeout,
        clock=chaos.clock,
    )
    with ChaosPgPool(pg_url, injector=chaos, min_size=1, open=True, timeout=2) as pool:

        def count() -> object:
            with pool.connection() as conn:
                row = conn.execute("SELECT count(*) FROM accounts").fetchone()
            return row[0] if row else None

        with chaos.inject(PG_POOL_POINT, Timeout(2), FirstN(2)):
            assert retry.call(count) == 0
    assert chaos.stats(PG_POOL_POINT).calls == 3
    assert chaos.clock.now() == pytest.approx(2 + 0.5 + 2 + 0.5)


async def test_async_connection_lost_mid_transaction_no_partial_write_pool_recovers(
    pg_url: str,
) -> None:
    """asyncio: the connection dies on the second INSERT of a transaction (ConnectionReset):
    nothing is committed, the pool drops the dead connection, and the next transaction on
    a fresh connection commits both rows."""
    chaos = _chaos()
    async with AsyncChaosPgPool(pg_url, injector=chaos, min_size=1, max_size=1) as pool:

        async def insert_pair() -> None:
            async with pool.connection() as conn, conn.transaction():
                await conn.execute("INSERT INTO accounts VALUES (1, 1)")
                await conn.execute("INSERT INTO accounts VALUES (2, 2)")

        with chaos.inject("pg.INSERT accounts", ConnectionReset(), AfterN(1) & FirstN(2)):
            with pytest.raises(psycopg.OperationalError, match="server closed the connection"):
                await insert_pair()
            assert _balances(pg_url) == []
            await insert_pair()
        assert _discarded(pool.get_stats()) == 1
    assert _balances(pg_url) == [(1, 1), (2, 2)]
