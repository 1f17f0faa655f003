"""Injected faults under the breaker, retry, timeout, bulkhead and rate limiter.

Each test decorates a stand-in dependency with `injectable(...)`, as
application code would, and lets the fault injector break it; every
timing runs on a `VirtualClock` and is asserted exactly.
"""

from __future__ import annotations

import asyncio

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.errors import InjectedHTTPStatus
from chaoslab.faults import ConnectionRefused, Error, FirstN, HTTPStatus, Latency, Probability
from chaoslab.inject import FaultInjector, injectable
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    BreakerStateChanged,
    Bulkhead,
    BulkheadFullError,
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    RateLimiter,
    Retry,
    RetryScheduled,
    Timeout,
    TimeoutRejected,
    TokenBucket,
    WaitExponential,
)

pytestmark = pytest.mark.chaos


@injectable("llm.complete")
def complete(prompt: str) -> str:
    return f"answer to {prompt}"


@injectable("llm.complete")
async def complete_async(prompt: str) -> str:
    return f"answer to {prompt}"


def state_of(breaker: CircuitBreaker) -> CircuitState:
    return breaker.state


def test_circuit_opens_after_the_threshold_fails_fast_and_recovers(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    breaker = CircuitBreaker("llm", clock=virtual_clock, events=bus)
    chaos.inject("llm.*", ConnectionRefused())
    for _ in range(5):
        with pytest.raises(ConnectionRefusedError):
            breaker.call(lambda: complete("hi"))
        virtual_clock.advance(1.0)
    assert state_of(breaker) is CircuitState.OPEN
    # Fast fail: the dependency is not even reached while open.
    for _ in range(10):
        with pytest.raises(CircuitOpenError):
            breaker.call(lambda: complete("hi"))
    assert chaos.stats("llm.complete").calls == 5
    chaos.clear()
    virtual_clock.advance_to(34.0)  # opened at 4.0
    assert state_of(breaker) is CircuitState.HALF_OPEN
    assert breaker.call(lambda: complete("hi")) == "answer to hi"
    assert state_of(breaker) is CircuitState.CLOSED
    assert [(e.new, e.at) for e in recorder.of_type(BreakerStateChanged)] == [
        ("open", 4.0),
        ("half_open", 34.0),
        ("closed", 34.0),
    ]


async def test_async_circuit_reopens_when_the_probe_still_fails(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    breaker = CircuitBreaker("llm", failure_threshold=3, clock=virtual_clock)
    chaos.inject("llm.*", HTTPStatus(503))
    for _ in range(3):
        with pytest.raises(InjectedHTTPStatus):
            await breaker.call_async(lambda: complete_async("hi"))
    await virtual_clock.sleep_async(30.0)
    with pytest.raises(InjectedHTTPStatus):  # the probe reaches the still-broken dependency
        await breaker.call_async(lambda: complete_async("hi"))
    assert state_of(breaker) is CircuitState.OPEN
    assert chaos.stats("llm.complete").calls == 4


def test_intermittent_failures_open_a_failure_rate_breaker() -> None:
    clock = VirtualClock(autojump=True)
    injector = FaultInjector(seed=20, clock=clock)
    breaker = CircuitBreaker(
        "embed",
        failure_threshold=None,
        failure_rate_threshold=0.5,
        window_size=20,
        minimum_calls=20,
        clock=clock,
    )
    retry = Retry(attempts=3, wait=WaitExponential(base=0.1), clock=clock)
    outcomes = []
    with injector.activate(), injector.inject("llm.*", ConnectionRefused(), Probability(0.6)):
        for _ in range(30):
            try:
                outcomes.append(retry.call(lambda: breaker.call(lambda: complete("x"))))
            except Exception as exc:  # we tally what each call ended with
                outcomes.append(type(exc).__name__)
    # Some calls succeed thanks to retries; at 60 % failures the circuit eventually opens.
    assert "answer to x" in outcomes
    assert state_of(breaker) is CircuitState.OPEN
    assert outcomes[-1] == "CircuitOpenError"


def test_retry_succeeds_after_two_transient_failures_with_backoff(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    chaos.inject("llm.*", Error(ConnectionResetError("reset")), FirstN(2))
    retry = Retry(attempts=5, wait=WaitExponential(base=0.5), clock=virtual_clock, events=bus)
    assert retry.call(lambda: complete("hi")) == "answer to hi"
    assert virtual_clock.now() == 1.5  # 0.5 + 1.0
    assert [e.delay for e in recorder.of_type(RetryScheduled)] == [0.5, 1.0]
    assert chaos.stats("llm.complete").calls == 3


async def test_retry_honours_an_injected_429_retry_after(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    chaos.inject("llm.*", HTTPStatus(429, retry_after=4.0), FirstN(1))
    retry = Retry(attempts=3, wait=WaitExponential(base=0.1), clock=virtual_clock)
    assert await retry.call_async(lambda: complete_async("hi")) == "answer to hi"
    assert virtual_clock.now() == 4.0


async def test_timeout_cuts_a_slow_dependency_without_hanging(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    chaos.inject("llm.*", Latency(10.0))
    with pytest.raises(TimeoutRejected):
        await Timeout(2.0, clock=virtual_clock).call_async(lambda: complete_async("hi"))
    assert virtual_clock.now() == 2.0


def test_sync_timeout_on_a_slow_dependency(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    chaos.inject("llm.*", Latency(10.0))
    with pytest.raises(TimeoutRejected):
        Timeout(2.0, clock=virtual_clock).call(lambda: complete("hi"))


async def test_bulkhead_sheds_load_from_a_slow_dependency(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    chaos.inject("llm.*", Latency(1.0))
    bulkhead = Bulkhead(max_concurrent=2, max_queued=3, clock=virtual_clock)
    finished: list[float] = []

    async def request() -> str:
        answer = await bulkhead.call_async(lambda: complete_async("hi"))
        finished.append(virtual_clock.now())
        return answer

    results = await asyncio.gather(*(request() for _ in range(10)), return_exceptions=True)
    assert sum(isinstance(r, BulkheadFullError) for r in results) == 5
    assert finished == [1.0, 1.0, 2.0, 2.0, 3.0]


async def test_rate_limiter_queues_a_burst_of_100_without_drops(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    chaos.inject("llm.*", Latency(0.05))
    limiter = RateLimiter(TokenBucket(rate=20.0, burst=20), clock=virtual_clock)
    started: list[int] = []

    async def request(i: int) -> str:
        async def call() -> str:
            started.append(i)
            return await complete_async(str(i))

        return await limiter.call_async(call)

    answers = await asyncio.gather(*(request(i) for i in range(100)))
    assert answers == [f"answer to {i}" for i in range(100)]
    assert started == list(range(100))  # served in arrival order
    assert chaos.stats("llm.complete").calls == 100
    assert virtual_clock.now() == pytest.approx(4.0 + 0.05)  # 80 beyond the burst at 20/s
