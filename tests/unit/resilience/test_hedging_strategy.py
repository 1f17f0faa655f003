"""Hedging: a second attempt after a clock delay; first success wins; losers cancelled."""

from __future__ import annotations

import asyncio
import threading

import pytest

from chaoslab.clock import SystemClock, VirtualClock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import HedgeLaunched, HedgeWon, Hedging, RetryBudget

from ._threads import wait_until


class Attempts:
    """An async call whose n-th attempt takes durations[n] clock seconds (or raises)."""

    def __init__(self, clock: VirtualClock, plan: list[float | BaseException]) -> None:
        self.clock, self.plan = clock, plan
        self.started: list[float] = []
        self.cancelled: list[int] = []

    async def __call__(self) -> str:
        index = len(self.started)
        self.started.append(self.clock.now())
        step = self.plan[index]
        try:
            if isinstance(step, BaseException):
                await self.clock.sleep_async(0.1)
                raise step
            await self.clock.sleep_async(step)
        except asyncio.CancelledError:
            self.cancelled.append(index)
            raise
        return f"attempt {index}"


async def test_slow_primary_is_hedged_after_the_delay_and_cancelled() -> None:
    clock, bus, recorder = VirtualClock(autojump=True), EventBus(), EventRecorder()
    bus.subscribe(recorder)
    attempts = Attempts(clock, [10.0, 0.5])
    hedging = Hedging(delay=1.0, clock=clock, events=bus)
    assert await hedging.call_async(attempts) == "attempt 1"
    assert clock.now() == 1.5
    assert attempts.started == [0.0, 1.0]
    assert attempts.cancelled == [0]  # the loser was cancelled and awaited before returning
    assert recorder.events == [
        HedgeLaunched(at=1.0, source="hedging", attempt=1, after=1.0),
        HedgeWon(at=1.5, source="hedging", attempt=1, attempts=2),
    ]


async def test_fast_primary_launches_no_hedge() -> None:
    clock = VirtualClock(autojump=True)
    attempts = Attempts(clock, [0.5])
    hedging = Hedging(delay=1.0, clock=clock)
    assert await hedging.call_async(attempts) == "attempt 0"
    assert attempts.started == [0.0]
    assert hedging.hedges == 0


async def test_a_failed_attempt_hedges_at_once() -> None:
    clock = VirtualClock(autojump=True)
    attempts = Attempts(clock, [ConnectionError("reset"), 0.2])
    assert await Hedging(delay=5.0, clock=clock).call_async(attempts) == "attempt 1"
    assert attempts.started == [0.0, 0.1]


async def test_every_attempt_failing_raises_the_primarys_error() -> None:
    clock = VirtualClock(autojump=True)
    first, second = ConnectionError("first"), ConnectionError("second")
    attempts = Attempts(clock, [first, second])
    with pytest.raises(ConnectionError) as caught:
        await Hedging(delay=1.0, clock=clock).call_async(attempts)
    assert caught.value is first


async def test_an_unhandled_error_returns_at_once_and_cancels_the_rest() -> None:
    clock = VirtualClock(autojump=True)
    attempts = Attempts(clock, [10.0, KeyError("bad request")])
    with pytest.raises(KeyError):
        await Hedging(delay=1.0, clock=clock, on=ConnectionError).call_async(attempts)
    assert attempts.cancelled == [0]


async def test_three_attempts_are_spaced_by_the_delay() -> None:
    clock = VirtualClock(autojump=True)
    attempts = Attempts(clock, [10.0, 10.0, 0.5])
    hedging = Hedging(delay=1.0, max_attempts=3, clock=clock)
    assert await hedging.call_async(attempts) == "attempt 2"
    assert attempts.started == [0.0, 1.0, 2.0]
    assert sorted(attempts.cancelled) == [0, 1]


async def test_cancelling_the_caller_cancels_every_attempt() -> None:
    clock = VirtualClock(autojump=True)
    attempts = Attempts(clock, [100.0, 100.0])
    task = asyncio.create_task(Hedging(delay=1.0, clock=clock).call_async(attempts))
    await clock.sleep_async(2.0)
    assert len(attempts.started) == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(attempts.cancelled) == [0, 1]


def test_configuration_is_validated() -> None:
    with pytest.raises(ConfigError) as caught:
        Hedging(delay=-1.0, max_attempts=1)
    assert [p for p, _ in caught.value.problems] == ["delay", "max_attempts"]


# -- threads -------------------------------------------------------------------


def test_sync_hedge_after_virtual_delay_and_loser_tracked() -> None:
    clock = VirtualClock()
    hedging = Hedging(delay=1.0, clock=clock)
    release_primary = threading.Event()
    started: list[float] = []

    def fetch() -> str:
        index = len(started)
        started.append(clock.now())
        if index == 0:
            release_primary.wait(10)
            return "primary (discarded)"
        return "hedge"

    result: list[str] = []
    caller = threading.Thread(target=lambda: result.append(hedging.call(fetch)))
    caller.start()
    wait_until(lambda: len(started) == 1)
    clock.advance(0.5)
    assert len(started) == 1  # not yet: the delay is 1.0 s on the clock
    clock.advance(0.5)
    caller.join(10)
    assert result == ["hedge"]
    assert started == [0.0, 1.0]
    assert hedging.running() == 1  # the primary still runs: threads cannot be cancelled
    release_primary.set()
    assert hedging.join(10)
    assert hedging.running() == 0


def test_sync_fast_primary_needs_no_hedge() -> None:
    hedging = Hedging(delay=1.0, clock=VirtualClock())
    assert hedging.call(lambda: "quick") == "quick"
    assert hedging.hedges == 0
    assert hedging.join(10)


def test_sync_failure_hedges_at_once_and_all_failing_raises_the_first() -> None:
    hedging = Hedging(delay=60.0, clock=VirtualClock())
    calls: list[int] = []

    def fetch() -> str:
        calls.append(len(calls))
        raise ConnectionError(f"attempt {len(calls) - 1}")

    with pytest.raises(ConnectionError, match="attempt 0"):
        hedging.call(fetch)
    assert calls == [0, 1]  # the hedge started without waiting 60 s


def test_sync_unhandled_error_returns_at_once_without_a_hedge() -> None:
    hedging = Hedging(delay=60.0, max_attempts=3, clock=VirtualClock(), on=ConnectionError)
    calls: list[int] = []

    def fetch() -> str:
        calls.append(len(calls))
        raise ValueError("not a transport error")

    with pytest.raises(ValueError, match="not a transport error"):
        hedging.call(fetch)
    assert (calls, hedging.hedges) == ([0], 0)
    assert hedging.join(10)


def test_sync_hedging_on_the_system_clock() -> None:
    hedging = Hedging(delay=0.001, clock=SystemClock())
    release = threading.Event()
    calls: list[int] = []

    def fetch() -> str:
        calls.append(1)
        if len(calls) == 1:
            release.wait(10)  # the primary only answers once the test is over
            return "primary"
        return "hedge"

    assert hedging.call(fetch) == "hedge"
    release.set()
    assert hedging.join(10)


# -- budget --------------------------------------------------------------------


async def test_a_spent_budget_stops_hedging_but_not_the_running_attempt() -> None:
    clock = VirtualClock(autojump=True)
    budget = RetryBudget(ttl=10.0, min_retries_per_sec=0.0, percent_can_retry=0.5, clock=clock)
    hedging = Hedging(delay=1.0, budget=budget, clock=clock)
    # the rule: hedges + 1 <= 0.5 * calls; the first call cannot pay for a hedge
    first = Attempts(clock, [3.0, 0.5])
    assert await hedging.call_async(first) == "attempt 0"  # no hedge: the primary answers
    assert first.started == [0.0]
    assert clock.now() == 3.0
    second = Attempts(clock, [3.0, 0.5])  # two calls pay for one hedge
    assert await hedging.call_async(second) == "attempt 1"
    assert second.started == [3.0, 4.0]
    assert clock.now() == 4.5
    assert hedging.hedges == 1


def test_sync_budget_spent_after_a_failure_raises_the_primarys_error() -> None:
    clock = VirtualClock()
    budget = RetryBudget(ttl=10.0, min_retries_per_sec=0.0, percent_can_retry=0.0, clock=clock)
    hedging = Hedging(delay=60.0, budget=budget, clock=clock)
    calls: list[int] = []

    def fetch() -> str:
        calls.append(1)
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        hedging.call(fetch)
    assert calls == [1]  # no hedge was paid for
    assert hedging.join(10)
