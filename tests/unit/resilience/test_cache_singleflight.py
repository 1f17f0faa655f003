"""Single-flight: concurrent misses on one key call the source once (tasks and threads)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.resilience import Cache

from ._threads import wait_until


async def test_a_thousand_concurrent_task_misses_compute_once() -> None:
    cache = Cache(ttl=60.0, clock=VirtualClock())
    release = asyncio.Event()
    computes = 0

    async def source() -> str:
        nonlocal computes
        computes += 1
        await release.wait()
        return "value"

    tasks = [asyncio.create_task(cache.get_async("hot", source)) for _ in range(1000)]
    while cache.pending("hot") < 1000:  # every task has joined the flight
        await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks)
    assert results == ["value"] * 1000
    assert computes == 1
    assert cache.stats.computes == 1
    assert cache.pending("hot") == 0


async def test_waiters_share_the_error_and_each_falls_back_to_stale() -> None:
    clock = VirtualClock()
    cache = Cache(ttl=1.0, clock=clock)
    await cache.get_async("k", _value("old"))
    clock.advance(5.0)
    release = asyncio.Event()
    computes = 0

    async def failing() -> str:
        nonlocal computes
        computes += 1
        await release.wait()
        raise ConnectionError("down")

    tasks = [asyncio.create_task(cache.lookup_async("k", failing)) for _ in range(50)]
    while cache.pending("k") < 50:
        await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks)
    assert computes == 1
    assert all(r.stale and r.value == "old" and r.age == 5.0 for r in results)


async def test_a_cancelled_waiter_does_not_cancel_the_others() -> None:
    cache = Cache(ttl=60.0, clock=VirtualClock())
    release = asyncio.Event()

    async def source() -> str:
        await release.wait()
        return "v"

    first = asyncio.create_task(cache.get_async("k", source))
    second = asyncio.create_task(cache.get_async("k", source))
    while cache.pending("k") < 2:
        await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    release.set()
    assert await second == "v"


async def test_the_last_waiter_leaving_cancels_the_computation() -> None:
    cache = Cache(ttl=60.0, clock=VirtualClock())
    cancelled = asyncio.Event()

    async def source() -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    task = asyncio.create_task(cache.get_async("k", source))
    while cache.pending("k") < 1:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(cancelled.wait(), 5)  # real bound: only a safety net
    assert cache.pending("k") == 0


def test_concurrent_thread_misses_compute_once() -> None:
    cache = Cache(ttl=60.0, clock=VirtualClock())
    threads_n = 64
    release = threading.Event()
    computes = 0
    results: list[str] = []
    lock = threading.Lock()

    def source() -> str:
        nonlocal computes
        computes += 1
        release.wait(10)
        return "value"

    def worker() -> None:
        value = cache.get("hot", source)
        with lock:
            results.append(value)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    wait_until(lambda: cache.pending("hot") == threads_n)
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == ["value"] * threads_n
    assert computes == 1


def test_thread_waiters_get_the_leaders_error() -> None:
    cache = Cache(ttl=60.0, clock=VirtualClock())
    release = threading.Event()
    errors: list[BaseException] = []

    def source() -> str:
        release.wait(10)
        raise ConnectionError("down")

    def worker() -> None:
        try:
            cache.get("k", source)
        except ConnectionError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    wait_until(lambda: cache.pending("k") == 8)
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(errors) == 8
    assert len({id(e) for e in errors}) == 1  # one computation, one error
    assert cache.stats.computes == 1


def _value(v: str):  # type: ignore[no-untyped-def]
    async def source() -> str:
        return v

    return source
