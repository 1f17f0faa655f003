"""Rate limiter: token bucket and sliding window, waiting in line or rejecting."""

from __future__ import annotations

import asyncio
import itertools
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoslab.clock import VirtualClock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    RateLimitedError,
    RateLimiter,
    RateLimitRejected,
    SlidingWindowLog,
    Strategy,
    TokenBucket,
)

from ._threads import wait_until

EPS = 1e-9


def test_is_a_strategy_and_validates() -> None:
    assert isinstance(RateLimiter(TokenBucket(1.0)), Strategy)
    with pytest.raises(ConfigError):
        TokenBucket(rate=0)
    with pytest.raises(ConfigError):
        SlidingWindowLog(limit=0, window=1.0)
    with pytest.raises(ConfigError):
        RateLimiter(TokenBucket(1.0), mode="drop")  # type: ignore[arg-type]


async def test_100_requests_over_capacity_are_all_served_in_order() -> None:
    clock = VirtualClock(autojump=True)
    limiter = RateLimiter(TokenBucket(rate=10.0, burst=10), clock=clock)
    served: list[tuple[int, float]] = []

    async def request(i: int) -> None:
        async def handle() -> None:
            served.append((i, clock.now()))

        await limiter.call_async(handle)

    await asyncio.gather(*(request(i) for i in range(100)))
    assert [i for i, _ in served] == list(range(100))  # FIFO, no drops
    times = [t for _, t in served]
    assert times[:10] == [0.0] * 10  # the burst
    assert times[10:] == pytest.approx([(k + 1) / 10 for k in range(90)])
    assert clock.now() == pytest.approx(9.0)


def test_threads_over_capacity_are_all_served_at_the_rate() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(TokenBucket(rate=5.0, burst=5), clock=clock)
    served: list[float] = []
    lock = threading.Lock()

    def request() -> None:
        def handle() -> None:
            with lock:
                served.append(clock.now())

        limiter.call(handle)

    threads = [threading.Thread(target=request) for _ in range(20)]
    for t in threads:
        t.start()
    # Time moves only when we say so: each step lets exactly one more through.
    for step in range(1, 16):
        target = 5 + step
        clock.advance_to(step / 5)
        wait_until(lambda target=target: len(served) >= target)  # type: ignore[misc]
    for t in threads:
        t.join(timeout=30)
    assert len(served) == 20
    assert sorted(served) == pytest.approx([0.0] * 5 + [k / 5 for k in range(1, 16)])


def test_reject_mode_says_when_to_come_back() -> None:
    clock = VirtualClock()
    recorder = EventRecorder()
    bus = EventBus()
    bus.subscribe(recorder)
    limiter = RateLimiter(TokenBucket(rate=2.0, burst=2), mode="reject", clock=clock, events=bus)
    assert limiter.call(lambda: 1) == 1
    assert limiter.call(lambda: 2) == 2
    with pytest.raises(RateLimitedError) as info:
        limiter.call(lambda: 3)
    assert info.value.retry_after == 0.5
    [event] = recorder.of_type(RateLimitRejected)
    assert event.retry_after == 0.5
    clock.advance(0.5)
    assert limiter.call(lambda: 4) == 4


def test_max_wait_refuses_what_would_wait_too_long() -> None:
    clock = VirtualClock(autojump=True)
    limiter = RateLimiter(TokenBucket(rate=1.0, burst=1), max_wait=2.0, clock=clock)
    for _ in range(3):
        limiter.acquire()
    assert clock.now() == 2.0
    strict = RateLimiter(TokenBucket(rate=1.0, burst=1), max_wait=0.5, clock=clock)
    strict.acquire()
    with pytest.raises(RateLimitedError) as info:
        strict.call(lambda: "never")
    assert info.value.retry_after == 1.0


async def test_sliding_window_serves_every_request_in_order() -> None:
    clock = VirtualClock(autojump=True)
    limiter = RateLimiter(SlidingWindowLog(limit=3, window=1.0), clock=clock)
    served: list[float] = []

    async def handle() -> None:
        served.append(clock.now())

    for _ in range(7):
        await limiter.call_async(handle)
    assert served == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0]


async def test_decorator() -> None:
    clock = VirtualClock(autojump=True)
    limiter = RateLimiter(TokenBucket(rate=1.0, burst=1), clock=clock)

    @limiter
    async def ping() -> float:
        return clock.now()

    assert [await ping() for _ in range(3)] == [0.0, 1.0, 2.0]


arrivals = st.lists(st.floats(0.0, 2.0), min_size=1, max_size=80)


@settings(max_examples=200, deadline=None)
@given(gaps=arrivals, rate=st.floats(0.5, 20.0), burst=st.integers(1, 10))
def test_token_bucket_never_exceeds_burst_plus_rate(
    gaps: list[float], rate: float, burst: int
) -> None:
    bucket = TokenBucket(rate=rate, burst=burst)
    now, admitted = 0.0, []
    for gap in gaps:
        now += gap
        admitted.append(now + bucket.reserve(now, float("inf")))
    assert admitted == sorted(admitted)  # first come, first served
    for i in range(len(admitted)):
        for j in range(i, len(admitted)):
            assert j - i + 1 <= burst + rate * (admitted[j] - admitted[i]) + 1e-6


@settings(max_examples=200, deadline=None)
@given(gaps=arrivals, limit=st.integers(1, 6), window=st.floats(0.1, 5.0))
def test_sliding_window_never_exceeds_the_limit(
    gaps: list[float], limit: int, window: float
) -> None:
    log = SlidingWindowLog(limit=limit, window=window)
    now, admitted = 0.0, []
    for gap in gaps:
        now += gap
        admitted.append(now + log.reserve(now, float("inf")))
    assert all(a <= b + EPS for a, b in itertools.pairwise(admitted))
    for i in range(len(admitted) - limit):
        # Any `limit + 1` consecutive permits span at least a whole window.
        assert admitted[i + limit] - admitted[i] >= window - EPS


@settings(max_examples=200, deadline=None)
@given(gaps=arrivals, rate=st.floats(0.5, 20.0), burst=st.integers(1, 10))
def test_reject_mode_grants_only_free_permits(gaps: list[float], rate: float, burst: int) -> None:
    bucket = TokenBucket(rate=rate, burst=burst)
    now = 0.0
    for gap in gaps:
        now += gap
        expected = bucket.wait_time(now)
        got = bucket.reserve(now, 0.0)
        assert (got == 0.0) if expected == 0.0 else (got == -1.0)
        assert bucket.tokens >= 0 - EPS
