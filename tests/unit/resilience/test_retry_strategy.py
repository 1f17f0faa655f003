"""Retry: sync and async drivers on virtual time."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from chaoslab.clock import VirtualClock
from chaoslab.errors import InjectedHTTPStatus
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    CircuitOpenError,
    RateLimitedError,
    RetriesExhausted,
    Retry,
    RetryBudget,
    RetryGaveUp,
    RetryScheduled,
    StopAfterAttempt,
    Strategy,
    TimeoutRejected,
    WaitConstant,
    WaitExponential,
    WaitFullJitter,
    retry_after_of,
    testing,
)


class Flaky:
    """Fails with the given errors (or returns the given bad results) in order, then answers."""

    def __init__(self, clock: VirtualClock, *outcomes: object, answer: object = "ok") -> None:
        self.clock = clock
        self.outcomes: Iterator[object] = iter(outcomes)
        self.answer = answer
        self.calls: list[float] = []

    def __call__(self) -> object:
        self.calls.append(self.clock.now())
        outcome = next(self.outcomes, self.answer)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def run(self) -> object:
        return self()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(autojump=True)


@pytest.fixture
def recorder() -> EventRecorder:
    return EventRecorder()


@pytest.fixture
def bus(recorder: EventRecorder) -> EventBus:
    bus = EventBus()
    bus.subscribe(recorder)
    return bus


def test_is_a_strategy() -> None:
    assert isinstance(Retry(), Strategy)


def test_succeeds_after_transient_failures_with_exponential_waits(
    clock: VirtualClock, bus: EventBus, recorder: EventRecorder
) -> None:
    flaky = Flaky(clock, ConnectionError("a"), ConnectionError("b"))
    retry = Retry(attempts=5, wait=WaitExponential(base=1.0), clock=clock, events=bus)
    assert retry.call(flaky) == "ok"
    assert flaky.calls == [0.0, 1.0, 3.0]
    scheduled = recorder.of_type(RetryScheduled)
    assert [(e.attempt, e.delay, e.error) for e in scheduled] == [
        (1, 1.0, "ConnectionError"),
        (2, 2.0, "ConnectionError"),
    ]


async def test_async_driver_makes_the_same_decisions(clock: VirtualClock) -> None:
    flaky = Flaky(clock, ConnectionError("a"), ConnectionError("b"))
    retry = Retry(attempts=5, wait=WaitExponential(base=1.0), clock=clock)
    assert await retry.call_async(flaky.run) == "ok"
    assert flaky.calls == [0.0, 1.0, 3.0]


def test_gives_up_after_the_attempts_with_the_last_error(
    clock: VirtualClock, bus: EventBus, recorder: EventRecorder
) -> None:
    errors = [ConnectionError(str(i)) for i in range(5)]
    flaky = Flaky(clock, *errors)
    retry = Retry(attempts=3, wait=WaitConstant(1.0), clock=clock, events=bus)
    with pytest.raises(RetriesExhausted) as info:
        retry.call(flaky)
    assert info.value.attempts == 3
    assert info.value.reason == "attempts"
    assert info.value.last_exception is errors[2]
    assert info.value.__cause__ is errors[2]
    [gave_up] = recorder.of_type(RetryGaveUp)
    assert (gave_up.attempts, gave_up.reason, gave_up.at) == (3, "attempts", 2.0)


def test_reraise_raises_the_last_error_itself(clock: VirtualClock) -> None:
    errors = [ConnectionError(str(i)) for i in range(5)]
    retry = Retry(attempts=2, wait=WaitConstant(0.0), clock=clock, reraise=True)
    with pytest.raises(ConnectionError) as info:
        retry.call(Flaky(clock, *errors))
    assert info.value is errors[1]


def test_delay_budget_is_never_overshot_the_last_wait_is_cut(clock: VirtualClock) -> None:
    flaky = Flaky(clock, *[ConnectionError()] * 10)
    retry = Retry(attempts=None, max_delay=10.0, wait=WaitConstant(4.0), clock=clock)
    with pytest.raises(RetriesExhausted) as info:
        retry.call(flaky)
    # Waits 4 + 4 + 2 (cut) = 10: the total never exceeds the budget.
    assert flaky.calls == [0.0, 4.0, 8.0, 10.0]
    assert info.value.reason == "delay"


def test_results_can_be_retried(clock: VirtualClock) -> None:
    flaky = Flaky(clock, None, None, answer="ready")
    retry = Retry(
        attempts=5, wait=WaitConstant(1.0), retry_if_result=lambda r: r is None, clock=clock
    )
    assert retry.call(flaky) == "ready"
    with pytest.raises(RetriesExhausted) as info:
        Retry(
            attempts=2, wait=WaitConstant(1.0), retry_if_result=lambda r: r is None, clock=clock
        ).call(lambda: None)
    assert info.value.last_exception is None
    assert info.value.last_result is None
    assert "result None" in str(info.value)


def test_only_matching_errors_are_retried(clock: VirtualClock) -> None:
    retry = Retry(attempts=5, retry_on=ConnectionError, clock=clock)
    flaky = Flaky(clock, ValueError("bad input"))
    with pytest.raises(ValueError, match="bad input"):
        retry.call(flaky)
    assert len(flaky.calls) == 1
    predicate = Retry(
        attempts=5, retry_on=lambda e: "transient" in str(e), clock=clock, wait=WaitConstant(0.0)
    )
    assert predicate.call(Flaky(clock, RuntimeError("transient"))) == "ok"


def test_an_open_circuit_ends_retries_at_once(clock: VirtualClock) -> None:
    flaky = Flaky(clock, CircuitOpenError("b", "open", 30.0))
    with pytest.raises(CircuitOpenError):
        Retry(attempts=5, clock=clock).call(flaky)
    assert len(flaky.calls) == 1


async def test_cancellation_is_never_retried(clock: VirtualClock) -> None:
    flaky = Flaky(clock, asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        await Retry(attempts=5, clock=clock).call_async(flaky.run)
    assert len(flaky.calls) == 1
    interrupted = Flaky(clock, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        Retry(attempts=5, clock=clock).call(interrupted)
    assert len(interrupted.calls) == 1


def test_seeded_jitter_replays_the_same_schedule() -> None:
    def schedule(seed: int) -> list[float]:
        clock = VirtualClock(autojump=True)
        flaky = Flaky(clock, *[ConnectionError()] * 4)
        Retry(attempts=5, wait=WaitFullJitter(base=1.0), rng=random.Random(seed), clock=clock).call(
            flaky
        )
        return flaky.calls

    assert schedule(7) == schedule(7)
    assert schedule(7) != schedule(8)


def test_honours_retry_after_from_an_injected_429(clock: VirtualClock) -> None:
    flaky = Flaky(clock, InjectedHTTPStatus(429, retry_after=7.0))
    assert Retry(attempts=3, wait=WaitConstant(1.0), clock=clock).call(flaky) == "ok"
    assert flaky.calls == [0.0, 7.0]


def test_retry_after_longer_than_the_budget_gives_up_instead_of_cutting(
    clock: VirtualClock,
) -> None:
    flaky = Flaky(clock, RateLimitedError("api", retry_after=60.0))
    retry = Retry(attempts=None, max_delay=10.0, wait=WaitConstant(1.0), clock=clock)
    with pytest.raises(RetriesExhausted) as info:
        retry.call(flaky)
    assert info.value.reason == "retry_after"
    assert flaky.calls == [0.0]


def _status_error(status: int, retry_after: str) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "http://127.0.0.1/")
    response = httpx.Response(status, headers={"Retry-After": retry_after}, request=request)
    return httpx.HTTPStatusError("status", request=request, response=response)


def test_retry_after_from_httpx_seconds_and_http_date() -> None:
    assert retry_after_of(_status_error(503, "12")) == 12.0
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    date = (now + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_of(_status_error(429, date), wall_now=now) == 90.0
    assert retry_after_of(_status_error(500, "12")) is None  # only 429 and 503 say when
    assert retry_after_of(_status_error(429, "soon")) is None
    assert retry_after_of(ConnectionError()) is None


def test_retry_budget_stops_amplification(clock: VirtualClock) -> None:
    budget = RetryBudget(ttl=10.0, min_retries_per_sec=0.0, percent_can_retry=0.5, clock=clock)
    retry = Retry(attempts=3, wait=WaitConstant(0.0), budget=budget, clock=clock)
    attempts = 0
    for _ in range(10):
        flaky = Flaky(clock, *[ConnectionError()] * 3)
        with pytest.raises(RetriesExhausted):
            retry.call(flaky)
        attempts += len(flaky.calls)
    # 10 calls pay for exactly 5 retries (50 %), however they fall.
    assert attempts == 15
    assert budget.balance == 0


def test_budget_is_shared_and_refills_over_its_ttl(clock: VirtualClock) -> None:
    budget = RetryBudget(ttl=10.0, min_retries_per_sec=0.1, percent_can_retry=0.0, clock=clock)
    assert budget.try_withdraw()  # the floor: 0.1 per second over 10 s = 1 retry
    assert not budget.try_withdraw()
    clock.advance(10.0)
    assert budget.try_withdraw()


def test_attempt_timeout_and_overall_timeout(clock: VirtualClock) -> None:
    def slow() -> str:
        clock.sleep(5.0)
        return "late"

    retry = Retry(attempts=3, wait=WaitConstant(1.0), attempt_timeout=2.0, clock=clock)
    with pytest.raises(RetriesExhausted) as info:
        retry.call(slow)
    assert isinstance(info.value.last_exception, TimeoutRejected)
    assert info.value.attempts == 3


async def test_overall_timeout_bounds_attempts_and_waits(clock: VirtualClock) -> None:
    async def slow() -> str:
        await clock.sleep_async(4.0)
        return "late"

    retry = Retry(
        attempts=10, wait=WaitConstant(1.0), attempt_timeout=3.0, timeout=8.0, clock=clock
    )
    with pytest.raises(RetriesExhausted) as info:
        await retry.call_async(slow)
    # 0-3 attempt, 3-4 wait, 4-7 attempt, 7-8 wait would leave no time: give up at 7.
    assert info.value.reason == "timeout"
    assert clock.now() == 7.0


def test_test_mode_removes_the_waits(clock: VirtualClock) -> None:
    flaky = Flaky(clock, ConnectionError(), ConnectionError())
    with testing(no_wait=True):
        assert Retry(attempts=3, wait=WaitConstant(30.0), clock=clock).call(flaky) == "ok"
    assert flaky.calls == [0.0, 0.0, 0.0]


async def test_decorator_on_sync_and_async(clock: VirtualClock) -> None:
    flaky = Flaky(clock, ConnectionError())
    retry = Retry(stop=StopAfterAttempt(2), wait=WaitConstant(0.5), clock=clock)

    @retry
    def get(x: int) -> object:
        return (x, flaky())

    @retry
    async def get_async(x: int) -> object:
        return (x, flaky())

    assert get(1) == (1, "ok")
    assert await get_async(2) == (2, "ok")
    assert get.__name__ == "get"


def test_one_budget_is_shared_by_several_retries(clock: VirtualClock) -> None:
    budget = RetryBudget(ttl=10.0, min_retries_per_sec=0.0, percent_can_retry=0.25, clock=clock)
    first = Retry("a", attempts=2, wait=WaitConstant(0.0), budget=budget, clock=clock)
    second = Retry("b", attempts=2, wait=WaitConstant(0.0), budget=budget, clock=clock)
    for _ in range(4):
        assert first.call(lambda: "ok") == "ok"  # four calls pay for one retry
    flaky = Flaky(clock, ConnectionError())
    assert second.call(flaky) == "ok"  # 5 calls x 25 % = 1.25: one retry allowed
    with pytest.raises(RetriesExhausted) as info:
        first.call(Flaky(clock, ConnectionError()))
    assert info.value.reason == "budget"
