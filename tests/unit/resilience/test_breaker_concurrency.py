"""The breaker under real threads and real asyncio tasks."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.resilience import CircuitBreaker, CircuitOpenError, CircuitState

CALLERS = 100
PERMITS = 3


def half_open_breaker(clock: VirtualClock) -> CircuitBreaker:
    breaker = CircuitBreaker(
        clock=clock, failure_threshold=1, half_open_calls=PERMITS, success_threshold=PERMITS
    )

    def fail() -> None:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        breaker.call(fail)
    clock.advance(30.0)
    assert breaker.state is CircuitState.HALF_OPEN
    return breaker


def test_100_threads_in_half_open_exactly_n_reach_the_function() -> None:
    clock = VirtualClock()
    breaker = half_open_breaker(clock)
    entered = []
    rejected = []
    lock = threading.Lock()
    release = threading.Event()
    start = threading.Barrier(CALLERS)

    def probe() -> str:
        with lock:
            entered.append(threading.get_ident())
        # Hold the permit until every other caller has been turned away.
        assert release.wait(timeout=30)
        return "ok"

    def caller() -> None:
        start.wait(timeout=30)
        try:
            breaker.call(probe)
        except CircuitOpenError:
            with lock:
                rejected.append(1)
                if len(rejected) == CALLERS - PERMITS:
                    release.set()

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert len(entered) == PERMITS
    assert len(rejected) == CALLERS - PERMITS
    assert breaker.state is CircuitState.CLOSED


async def test_100_tasks_in_half_open_exactly_n_reach_the_function() -> None:
    clock = VirtualClock()
    breaker = half_open_breaker(clock)
    entered = 0
    release = asyncio.Event()

    async def probe() -> str:
        nonlocal entered
        entered += 1
        await release.wait()
        return "ok"

    async def caller() -> str:
        try:
            return await breaker.call_async(probe)
        except CircuitOpenError:
            return "rejected"

    tasks = [asyncio.create_task(caller()) for _ in range(CALLERS)]
    # Let every task reach the breaker before any probe may finish.
    for _ in range(1000):  # bounded: a few loop turns suffice
        if sum(t.done() for t in tasks) >= CALLERS - PERMITS:
            break
        await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks)
    assert entered == PERMITS
    assert results.count("ok") == PERMITS
    assert results.count("rejected") == CALLERS - PERMITS
    assert breaker.state is CircuitState.CLOSED


def eight_inside_at_once(breaker: CircuitBreaker) -> int:
    inside = threading.Barrier(8)
    passed = []

    def call() -> None:
        breaker.call(lambda: inside.wait(timeout=30))
        passed.append(1)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return len(passed)


def test_the_lock_never_spans_the_guarded_call() -> None:
    # Eight callers must all be inside the function at once: if the breaker held
    # a lock around the call, the barrier inside it could never be passed.
    assert eight_inside_at_once(CircuitBreaker(clock=VirtualClock())) == 8
    windowed = CircuitBreaker(clock=VirtualClock(), failure_rate_threshold=0.5, minimum_calls=2)
    assert eight_inside_at_once(windowed) == 8


def test_concurrent_failures_are_all_counted() -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker(
        clock=clock,
        failure_threshold=None,
        failure_rate_threshold=1.0,
        window_size=400,
        minimum_calls=400,
    )
    start = threading.Barrier(8)

    def fail() -> None:
        raise ConnectionError

    def caller() -> None:
        start.wait(timeout=30)
        for _ in range(50):
            with contextlib.suppress(ConnectionError, CircuitOpenError):
                breaker.call(fail)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # 400 failures exactly: the 400th opens the circuit, none was lost to a race.
    assert breaker.state is CircuitState.OPEN
