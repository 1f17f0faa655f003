"""Network faults between a client and a real server, through the chaoslab proxy."""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg
import redis

from chaoslab.services import PostgresServer, ProxiedService, RedisServer

from ._app import CheckpointStore, FallbackCache, fast_client


def _timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def test_postgres_latency_through_proxy_makes_queries_slower_but_still_correct(
    postgres_via_proxy: ProxiedService[PostgresServer],
) -> None:
    """100 ms of latency between the application and PostgreSQL: every round trip takes
    at least that long, and every query still returns exactly the right rows."""
    with psycopg.connect(postgres_via_proxy.url, autocommit=True) as conn:
        conn.execute("create table items (id int primary key, name text not null)")
        conn.execute("insert into items select i, 'item ' || i from generate_series(1, 50) i")
        query = "select id, name from items where id % 7 = 0 order by id"
        expected = conn.execute(query).fetchall()

        with postgres_via_proxy.proxy.latency(100):
            durations, results = [], []
            for _ in range(3):
                began = time.perf_counter()
                results.append(conn.execute(query).fetchall())
                durations.append(time.perf_counter() - began)

    assert results == [expected] * 3
    assert [i for i, _ in expected] == [7, 14, 21, 28, 35, 42, 49]
    assert min(durations) >= 0.1  # the injected delay is a floor, never skipped
    # The proxy really sat in between: the direct connection sees the same data.
    with psycopg.connect(postgres_via_proxy.direct_url) as direct:
        assert direct.execute(query).fetchall() == expected


def test_redis_latency_through_proxy_is_felt_and_the_proxy_going_down_uses_the_fallback(
    redis_via_proxy: ProxiedService[RedisServer],
) -> None:
    """Latency toward Redis slows each command but changes no answer; when the network
    path goes down, the checkpoint restore returns None and the cache serves from memory;
    when it comes back, both use Redis again."""
    client = fast_client(redis_via_proxy.url, timeout=2.0)
    store, cache = CheckpointStore(client), FallbackCache(client)
    assert store.save("session-9", {"step": 9})
    cache.set("greeting", "hello")

    with redis_via_proxy.proxy.latency(50):
        assert _timed(lambda: store.restore("session-9")) >= 0.05
        assert store.restore("session-9") == {"step": 9}

    with redis_via_proxy.proxy.down():
        assert store.restore("session-9") is None
        assert cache.get("greeting") == "hello"
        assert cache.served_from_memory == 1
    assert all(isinstance(e, redis.ConnectionError) for e in store.errors)

    assert store.restore("session-9") == {"step": 9}
    assert redis.Redis.from_url(redis_via_proxy.direct_url).exists("checkpoint:session-9")
