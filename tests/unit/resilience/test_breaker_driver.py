"""CircuitBreaker: sync and async drivers, virtual time, events, decorators, manual control."""

from __future__ import annotations

import asyncio

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    BreakerRejected,
    BreakerStateChanged,
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    MemoryBreakerStore,
    Strategy,
)

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


class Down(Exception):
    pass


def down() -> None:
    raise Down("dependency down")


async def down_async() -> None:
    raise Down("dependency down")


def trip(breaker: CircuitBreaker, times: int = 5) -> None:
    for _ in range(times):
        with pytest.raises(Down):
            breaker.call(down)


@pytest.fixture
def recorder() -> EventRecorder:
    return EventRecorder()


@pytest.fixture
def bus(recorder: EventRecorder) -> EventBus:
    bus = EventBus()
    bus.subscribe(recorder)
    return bus


def test_is_a_strategy() -> None:
    assert isinstance(CircuitBreaker(), Strategy)


def test_seed_defaults_open_after_5_failures_and_half_open_at_exactly_30s(
    bus: EventBus, recorder: EventRecorder
) -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker("llm", clock=clock, events=bus)
    trip(breaker, 4)
    assert breaker.state is CLOSED
    clock.advance(2.0)
    trip(breaker, 1)
    assert breaker.state is OPEN
    clock.advance(29.999)
    assert breaker.state is OPEN
    assert breaker.remaining == pytest.approx(0.001)
    clock.advance(0.001)
    # Reported without any call: the state is current.
    assert breaker.state is HALF_OPEN
    changes = recorder.of_type(BreakerStateChanged)
    assert [(e.old, e.new, e.reason, e.at) for e in changes] == [
        ("closed", "open", "failures", 2.0),
        ("open", "half_open", "timer", 32.0),
    ]


def test_open_breaker_fails_fast_without_calling_and_says_when_it_half_opens(
    bus: EventBus, recorder: EventRecorder
) -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker("llm", clock=clock, events=bus)
    trip(breaker)
    clock.advance(12.5)
    calls = []
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(lambda: calls.append(1))
    assert calls == []
    assert info.value.remaining == 17.5
    assert info.value.retry_after == 17.5
    assert info.value.state == "open"
    assert "half-open in 17.5 s" in str(info.value)
    [rejected] = recorder.of_type(BreakerRejected)
    assert (rejected.at, rejected.state, rejected.remaining) == (12.5, "open", 17.5)


def test_recovers_through_half_open() -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker(clock=clock, half_open_calls=2, success_threshold=2)
    trip(breaker)
    clock.advance(30.0)
    assert breaker.call(lambda: "a") == "a"
    assert breaker.state is HALF_OPEN
    assert breaker.call(lambda: "b") == "b"
    assert breaker.state is CLOSED


def test_probe_failure_reopens() -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker(clock=clock)
    trip(breaker)
    clock.advance(30.0)
    with pytest.raises(Down):
        breaker.call(down)
    assert breaker.state is OPEN
    assert breaker.remaining == 30.0


async def test_async_path_behaves_the_same() -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker(clock=clock, failure_threshold=2)

    async def ok() -> str:
        return "ok"

    for _ in range(2):
        with pytest.raises(Down):
            await breaker.call_async(down_async)
    with pytest.raises(CircuitOpenError):
        await breaker.call_async(ok)
    clock.advance(30.0)
    assert await breaker.call_async(ok) == "ok"
    assert breaker.state is CLOSED


async def test_decorator_on_sync_and_async_functions() -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker(clock=clock, failure_threshold=1)

    @breaker
    def add(a: int, b: int = 0) -> int:
        return a + b

    @breaker
    async def add_async(a: int, b: int = 0) -> int:
        return a + b

    assert add(1, b=2) == 3
    assert await add_async(2, b=3) == 5
    assert add.__name__ == "add"
    assert asyncio.iscoroutinefunction(add_async)
    breaker.force_open()
    with pytest.raises(CircuitOpenError):
        add(1)
    with pytest.raises(CircuitOpenError):
        await add_async(1)


async def test_cancellation_is_never_a_failure() -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker(clock=clock, failure_threshold=1)

    async def cancelled() -> None:
        raise asyncio.CancelledError

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(asyncio.CancelledError):
        await breaker.call_async(cancelled)
    with pytest.raises(KeyboardInterrupt):
        breaker.call(interrupted)
    assert breaker.state is CLOSED
    assert breaker.consecutive_failures == 0


async def test_a_cancelled_probe_gives_its_permit_back() -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker(clock=clock, failure_threshold=1)
    trip(breaker, 1)
    clock.advance(30.0)
    started = asyncio.Event()

    async def hang() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(breaker.call_async(hang))
    await started.wait()
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(lambda: None)  # the only permit is taken
    assert info.value.remaining == 0.0
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert breaker.call(lambda: "probe") == "probe"
    assert breaker.state is CLOSED


def test_which_errors_and_results_count() -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker(
        clock=clock,
        failure_threshold=2,
        failure_on=(Down,),
        ignore=KeyError,
        failure_if=lambda result: result == "error page",
    )

    def not_found() -> None:
        raise KeyError("k")

    def bad_input() -> None:
        raise ValueError("bad")

    with pytest.raises(Down):
        breaker.call(down)
    with pytest.raises(KeyError):
        breaker.call(not_found)  # ignored: the count stays
    assert breaker.consecutive_failures == 1
    with pytest.raises(ValueError, match="bad"):
        breaker.call(bad_input)  # not a failure: counts as a success
    assert breaker.consecutive_failures == 0
    assert breaker.call(lambda: "error page") == "error page"
    assert breaker.call(lambda: "error page") == "error page"
    assert breaker.state is OPEN


def test_failure_predicate() -> None:
    breaker = CircuitBreaker(
        clock=VirtualClock(),
        failure_threshold=1,
        failure_on=lambda exc: "fatal" in str(exc),
    )
    with pytest.raises(Down):
        breaker.call(down)
    assert breaker.state is CLOSED

    def fatal() -> None:
        raise Down("fatal")

    with pytest.raises(Down):
        breaker.call(fatal)
    assert breaker.state is OPEN


def test_failure_rate_and_slow_calls_through_the_driver() -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker(
        clock=clock,
        failure_threshold=None,
        slow_call_duration=1.0,
        slow_call_rate_threshold=0.5,
        window="time",
        window_size=60,
        minimum_calls=4,
    )

    def slow() -> str:
        clock.advance(1.5)
        return "slow"

    breaker.call(lambda: "fast")
    breaker.call(lambda: "fast")
    breaker.call(slow)
    assert breaker.state is CLOSED
    breaker.call(slow)
    assert breaker.state is OPEN


def test_manual_transitions_and_reset(bus: EventBus, recorder: EventRecorder) -> None:
    clock = VirtualClock()
    breaker = CircuitBreaker(clock=clock, events=bus)
    breaker.force_open()
    clock.advance(3600)
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(lambda: None)
    assert info.value.remaining is None
    breaker.disable()
    trip(breaker, 20)
    assert breaker.state is CircuitState.DISABLED
    breaker.open()
    assert breaker.remaining == 30.0
    breaker.half_open()
    assert breaker.state is HALF_OPEN
    breaker.reset()
    assert breaker.state is CLOSED
    assert [e.new for e in recorder.of_type(BreakerStateChanged)] == [
        "forced_open",
        "disabled",
        "open",
        "half_open",
        "closed",
    ]
    assert {e.reason for e in recorder.of_type(BreakerStateChanged)} == {"manual"}


def test_store_keeps_the_state_across_instances() -> None:
    clock = VirtualClock()
    store = MemoryBreakerStore(clock)
    first = CircuitBreaker("db", clock=clock, store=store)
    trip(first)
    clock.advance(10.0)
    second = CircuitBreaker("db", clock=clock, store=store)
    assert second.state is OPEN
    assert second.remaining == 20.0
    other = CircuitBreaker("cache", clock=clock, store=store)
    assert other.state is CLOSED


def test_no_event_is_built_when_nobody_listens() -> None:
    bus = EventBus()
    breaker = CircuitBreaker(clock=VirtualClock(), events=bus, failure_threshold=1)
    trip(breaker, 1)
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: None)
    recorder = EventRecorder()
    bus.subscribe(recorder)
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: None)
    assert len(recorder.of_type(BreakerRejected)) == 1


def test_unknown_window_kind_is_refused() -> None:
    with pytest.raises(ConfigError, match="window"):
        CircuitBreaker(window="sliding", failure_rate_threshold=0.5)  # type: ignore[arg-type]
