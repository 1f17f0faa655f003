"""Per-call overhead of resilience strategies on the success path, against the usual libraries.

Run: `python tests/bench/bench_resilience.py` (about 30 s; `--quick` for a smoke run).

Every implementation wraps the same trivial function in its decorator form
(what users write) and is timed in the same process, on the same loop, best
of several rounds. Rows are grouped (breaker, retry, pipeline; sync and
async); "x chaoslab" is an implementation's time per call divided by
chaoslab's in the same group (above 1.0 = slower than chaoslab). The last
table is the contention case: 8 threads each making 10 ms calls through one
breaker; a breaker that holds a lock around the call serialises them.

Not a test: pytest does not collect `bench_*.py`.
"""

from __future__ import annotations

import asyncio
import datetime
import gc
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiobreaker
import backoff
import circuitbreaker
import purgatory
import pybreaker
import stamina
import tenacity

from chaoslab.inject import FaultInjector
from chaoslab.resilience import (
    Bulkhead,
    Chaos,
    CircuitBreaker,
    Fallback,
    Pipeline,
    Retry,
    Timeout,
)

QUICK = "--quick" in sys.argv
CALLS = 2_000 if QUICK else 20_000
ROUNDS = 2 if QUICK else 5


def work() -> int:
    return 1


async def awork() -> int:
    return 1


# -- timing --------------------------------------------------------------------


def time_sync(fn: Callable[[], Any]) -> float:
    """Best µs per call over ROUNDS rounds of CALLS calls."""
    best = float("inf")
    for _ in range(ROUNDS):
        gc.collect()
        start = time.perf_counter()
        for _ in range(CALLS):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / CALLS * 1e6


def time_async(fn: Callable[[], Awaitable[Any]]) -> float:
    async def rounds() -> float:
        best = float("inf")
        for _ in range(ROUNDS):
            gc.collect()
            start = time.perf_counter()
            for _ in range(CALLS):
                await fn()
            best = min(best, time.perf_counter() - start)
        return best

    return asyncio.run(rounds()) / CALLS * 1e6


# -- the contenders ----------------------------------------------------------------


def sync_breakers() -> dict[str, Callable[[], Any]]:
    purgatory_factory = purgatory.SyncCircuitBreakerFactory(default_threshold=5, default_ttl=30)
    return {
        "chaoslab": CircuitBreaker("bench", failure_threshold=5)(work),
        "pybreaker": pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)(work),
        "circuitbreaker": circuitbreaker.CircuitBreaker(failure_threshold=5)(work),
        "purgatory": purgatory_factory("bench")(work),
        "aiobreaker": _aiobreaker_sync(),
    }


def _aiobreaker_sync() -> Callable[[], Any]:
    breaker = aiobreaker.CircuitBreaker(fail_max=5, timeout_duration=datetime.timedelta(seconds=30))
    return lambda: breaker.call(work)


def async_breakers() -> dict[str, Callable[[], Awaitable[Any]]]:
    purgatory_factory = purgatory.AsyncCircuitBreakerFactory(default_threshold=5, default_ttl=30)
    aio = aiobreaker.CircuitBreaker(fail_max=5, timeout_duration=datetime.timedelta(seconds=30))
    return {
        "chaoslab": CircuitBreaker("bench", failure_threshold=5)(awork),
        "aiobreaker": aio(awork),
        "circuitbreaker": circuitbreaker.CircuitBreaker(failure_threshold=5)(awork),
        "purgatory": purgatory_factory("bench")(awork),
    }


def sync_retries() -> dict[str, Callable[[], Any]]:
    return {
        "chaoslab": Retry(attempts=3)(work),
        "tenacity": tenacity.retry(stop=tenacity.stop_after_attempt(3))(work),
        "stamina": stamina.retry(on=Exception, attempts=3)(work),
        "backoff": backoff.on_exception(backoff.expo, Exception, max_tries=3)(work),
    }


def async_retries() -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "chaoslab": Retry(attempts=3)(awork),
        "tenacity": tenacity.retry(stop=tenacity.stop_after_attempt(3))(awork),
        "stamina": stamina.retry(on=Exception, attempts=3)(awork),
        "backoff": backoff.on_exception(backoff.expo, Exception, max_tries=3)(awork),
    }


def pipeline(*, timeout: bool) -> Pipeline:
    """Five strategies: fallback, bulkhead, retry, breaker, chaos (+ timeout for asyncio)."""
    injector = FaultInjector(seed=1)  # no injection active: the realistic production case
    strategies: list[Any] = [Fallback(None), Bulkhead(max_concurrent=100)]
    if timeout:
        strategies.append(Timeout(30.0))
    strategies += [Retry(attempts=3), CircuitBreaker("bench"), Chaos("bench.call", injector)]
    return Pipeline(*strategies)


def sync_pipelines() -> dict[str, Callable[[], Any]]:
    # No competitor composes five strategies; the nearest stack users build
    # is a retry decorator around a breaker decorator.
    stack = tenacity.retry(stop=tenacity.stop_after_attempt(3))(
        pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)(work)
    )
    return {
        "chaoslab (5 strategies)": pipeline(timeout=False)(work),
        "tenacity+pybreaker (2)": stack,
    }


def async_pipelines() -> dict[str, Callable[[], Awaitable[Any]]]:
    aio = aiobreaker.CircuitBreaker(fail_max=5, timeout_duration=datetime.timedelta(seconds=30))
    stack = tenacity.retry(stop=tenacity.stop_after_attempt(3))(aio(awork))
    return {
        "chaoslab (6 strategies)": pipeline(timeout=True)(awork),
        "tenacity+aiobreaker (2)": stack,
    }


# -- contention ----------------------------------------------------------------------


def contention(
    guard: Callable[[Callable[[], Any]], Any], threads: int = 8, calls: int = 5
) -> float:
    """Wall seconds for `threads` threads each making `calls` 10 ms calls through `guard`."""

    def slow() -> None:
        time.sleep(0.010)  # the guarded call itself: 10 ms of I/O

    barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(calls):
            guard(slow)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    return time.perf_counter() - start


# -- report --------------------------------------------------------------------------


def table(title: str, plain: float, results: dict[str, float]) -> None:
    ours = next(v for k, v in results.items() if k.startswith("chaoslab"))
    print(f"\n{title}")
    print(f"  {'implementation':<26}{'µs/call':>10}{'overhead µs':>14}{'x chaoslab':>12}")
    print(f"  {'plain call':<26}{plain:>10.3f}{0:>14.3f}{'':>12}")
    for name, value in sorted(results.items(), key=lambda kv: kv[1]):
        print(f"  {name:<26}{value:>10.3f}{value - plain:>14.3f}{value / ours:>12.2f}")


def main() -> None:
    started = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {CALLS} calls x best of {ROUNDS} rounds per row")
    plain_sync, plain_async = time_sync(work), time_async(awork)
    groups: list[tuple[str, float, dict[str, float]]] = [
        ("breaker, sync", plain_sync, {k: time_sync(f) for k, f in sync_breakers().items()}),
        ("breaker, asyncio", plain_async, {k: time_async(f) for k, f in async_breakers().items()}),
        ("retry, sync", plain_sync, {k: time_sync(f) for k, f in sync_retries().items()}),
        ("retry, asyncio", plain_async, {k: time_async(f) for k, f in async_retries().items()}),
        ("pipeline, sync", plain_sync, {k: time_sync(f) for k, f in sync_pipelines().items()}),
        (
            "pipeline, asyncio",
            plain_async,
            {k: time_async(f) for k, f in async_pipelines().items()},
        ),
    ]
    for title, plain, results in groups:
        table(title, plain, results)

    ideal = 5 * 0.010
    ours = statistics.median(contention(CircuitBreaker("contention").call) for _ in range(3))
    theirs_breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)
    theirs = statistics.median(contention(theirs_breaker.call) for _ in range(3))
    print("\ncontention: 8 threads x 5 calls of 10 ms through one breaker (ideal 50 ms)")
    print(f"  {'implementation':<26}{'wall ms':>10}{'x ideal':>14}{'x chaoslab':>12}")
    for name, value in (("chaoslab", ours), ("pybreaker", theirs)):
        print(f"  {name:<26}{value * 1e3:>10.1f}{value / ideal:>14.2f}{value / ours:>12.2f}")
    print(f"\ntotal bench time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
