"""PostgreSQL concurrency chaos: a saturated pool and a hot row, on a real server."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from psycopg import errors
from psycopg_pool import AsyncConnectionPool


async def _open_pool(url: str, size: int) -> AsyncConnectionPool:
    pool = AsyncConnectionPool(
        url, min_size=size, max_size=size, timeout=60.0, open=False, kwargs={"connect_timeout": 5}
    )
    await pool.open(wait=True, timeout=20)
    return pool


async def test_pool_exhaustion_1000_concurrent_queries_on_pool_of_20_all_complete_fifo(
    postgres_url: str,
) -> None:
    """1000 concurrent queries on a pool of 20: the pool is saturated and queues the
    rest; every query completes and its write is there (none lost), no more than 20 run
    at once, nothing deadlocks, and waiting queries get a connection in arrival order."""
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as admin:
        await admin.execute("create table hits (id int primary key)")
    pool = await _open_pool(postgres_url, 20)
    granted: list[int] = []
    in_flight = 0
    most_in_flight = 0

    async def query(i: int) -> None:
        nonlocal in_flight, most_in_flight
        async with pool.connection() as conn:
            granted.append(i)
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
            await conn.execute("insert into hits values (%s)", [i])
            in_flight -= 1

    try:
        async with asyncio.timeout(60):  # a deadlock fails here, with a clear message
            async with asyncio.TaskGroup() as group:
                for i in range(1000):
                    group.create_task(query(i))
        stats = pool.get_stats()
    finally:
        await pool.close()

    async with await psycopg.AsyncConnection.connect(postgres_url) as check:
        cursor = await check.execute("select count(*), count(distinct id) from hits")
        assert await cursor.fetchone() == (1000, 1000)
    assert most_in_flight == 20
    assert stats["requests_queued"] >= 900  # the pool really was exhausted
    assert granted == list(range(1000))  # FIFO: first come, first served


@pytest.mark.parametrize("strategy", ["select_for_update", "repeatable_read_retry"])
async def test_lock_contention_100_concurrent_updates_of_one_row_lose_no_update(
    postgres_url: str, strategy: str
) -> None:
    """100 concurrent read-modify-write increments of one hot row, 20 at a time: with a
    row lock (SELECT ... FOR UPDATE), or with REPEATABLE READ and a retry on
    serialization failure, the counter ends at exactly 100: no lost update."""
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as admin:
        await admin.execute("create table counter (id int primary key, n int not null)")
        await admin.execute("insert into counter values (1, 0)")
    pool = await _open_pool(postgres_url, 20)
    retries = 0

    async def increment_once(conn: psycopg.AsyncConnection[tuple[int]]) -> None:
        lock = " for update" if strategy == "select_for_update" else ""
        async with conn.transaction():
            if strategy == "repeatable_read_retry":
                await conn.execute("set transaction isolation level repeatable read")
            cursor = await conn.execute(f"select n from counter where id = 1{lock}")
            row = await cursor.fetchone()
            assert row is not None
            await asyncio.sleep(0)  # let the other 19 read the same row meanwhile
            await conn.execute("update counter set n = %s where id = 1", [row[0] + 1])

    async def increment() -> None:
        nonlocal retries
        async with pool.connection() as conn:
            for _attempt in range(1000):  # bounded: each retry follows another's commit
                try:
                    await increment_once(conn)
                except errors.SerializationFailure:
                    retries += 1
                else:
                    return
            raise AssertionError("increment never committed")

    try:
        async with asyncio.timeout(60), asyncio.TaskGroup() as group:
            for _ in range(100):
                group.create_task(increment())
    finally:
        await pool.close()

    async with await psycopg.AsyncConnection.connect(postgres_url) as check:
        cursor = await check.execute("select n from counter where id = 1")
        assert await cursor.fetchone() == (100,)
    if strategy == "select_for_update":
        assert retries == 0  # the lock serializes; nothing had to be retried
