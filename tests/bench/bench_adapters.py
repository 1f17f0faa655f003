"""Benchmark: what the redis-py and psycopg seams cost when they inject nothing.

Run: python tests/bench/bench_adapters.py [--calls N] [--repeat R]

Starts a real Redis and a real PostgreSQL (chaoslab.services), then times, per
call, best of R rounds of N calls on one connection:

- Redis `GET k`: a plain `redis.ConnectionPool` (the reference); a
  `ChaosRedisPool` with no injector; one bound to an injector whose only
  injection targets another key;
- PostgreSQL `SELECT 1`: a plain `psycopg.Connection` (the reference); a
  `ChaosPgConnection` with no injector; one bound to an injector targeting
  another statement.

Prints µs/call and the ratio to the reference measured in the same run. Not
collected by pytest (bench_*.py).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import psycopg
import redis

from chaoslab.adapters import ChaosPgConnection, ChaosRedisPool
from chaoslab.faults import Latency
from chaoslab.inject import FaultInjector
from chaoslab.observe import EventBus
from chaoslab.services import PostgresServer, RedisServer


def best_of(variants: dict[str, Callable[[], object]], calls: int, repeat: int) -> dict[str, float]:
    """Best µs per call of each variant; rounds interleave the variants, so that
    a machine slowing down or speeding up mid-run shifts all of them alike."""
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(repeat):
        for name, fn in variants.items():
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / calls)
    return {name: seconds * 1e6 for name, seconds in best.items()}


def report(title: str, rows: dict[str, float]) -> None:
    reference = next(iter(rows.values()))
    print(f"\n{title}")
    for name, micros in rows.items():
        print(f"  {name:<50} {micros:8.1f} µs/call  x{micros / reference:5.2f}")


def bench_redis(url: str, calls: int, repeat: int) -> None:
    plain = redis.Redis(connection_pool=redis.ConnectionPool.from_url(url))
    plain.set("k", "v")
    chaos_pool = ChaosRedisPool.from_url(url)
    seam = redis.Redis(connection_pool=chaos_pool)
    chaos_pool_bound = ChaosRedisPool.from_url(url, injector=_idle_injector("redis.GET other"))
    bound = redis.Redis(connection_pool=chaos_pool_bound)
    rows = best_of(
        {
            "plain ConnectionPool": lambda: plain.get("k"),
            "ChaosRedisPool, no injector": lambda: seam.get("k"),
            "ChaosRedisPool, injector targeting another key": lambda: bound.get("k"),
        },
        calls,
        repeat,
    )
    report(f"Redis GET, {calls} calls x {repeat}", rows)
    for pool in (chaos_pool, chaos_pool_bound):
        pool.disconnect()
    plain.close()


def _idle_injector(target: str) -> FaultInjector:
    chaos = FaultInjector(seed=1, events=EventBus())
    chaos.inject(target, Latency(1))  # active, but never matching the measured point
    return chaos


def bench_postgres(url: str, calls: int, repeat: int) -> None:
    idle = _idle_injector("pg.UPDATE *")
    with (
        psycopg.connect(url, autocommit=True) as plain,
        ChaosPgConnection.connect(url, autocommit=True) as seam,
        ChaosPgConnection.connect(url, autocommit=True, injector=idle) as bound,
    ):
        rows = best_of(
            {
                "plain psycopg.Connection": lambda: plain.execute("SELECT 1"),
                "ChaosPgConnection, no injector": lambda: seam.execute("SELECT 1"),
                "ChaosPgConnection, injector targeting UPDATE": lambda: bound.execute("SELECT 1"),
            },
            calls,
            repeat,
        )
    report(f"PostgreSQL SELECT 1, {calls} calls x {repeat}", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with RedisServer(name="bench-redis") as redis_server:
        bench_redis(redis_server.url, args.calls, args.repeat)
    with PostgresServer(name="bench-postgres") as postgres_server:
        bench_postgres(postgres_server.url, args.calls, args.repeat)


if __name__ == "__main__":
    main()
