"""Timeout: async cancellation, sync worker threads that are never left unseen."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from chaoslab.clock import SystemClock, VirtualClock
from chaoslab.errors import ResilienceError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    Strategy,
    Timeout,
    TimeoutExpired,
    TimeoutRejected,
    abandoned_threads,
)

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def test_is_a_strategy_and_the_error_is_a_timeout_error() -> None:
    assert isinstance(Timeout(1.0), Strategy)
    assert issubclass(TimeoutRejected, TimeoutError)
    assert issubclass(TimeoutRejected, ResilienceError)


async def test_async_call_is_cancelled_at_exactly_the_deadline() -> None:
    clock = VirtualClock(autojump=True)
    recorder = EventRecorder()
    bus = EventBus()
    bus.subscribe(recorder)
    cleaned_up = []

    async def slow() -> str:
        try:
            await clock.sleep_async(10.0)
        finally:
            cleaned_up.append(clock.now())
        return "late"

    with pytest.raises(TimeoutRejected) as info:
        await Timeout(2.0, name="llm", clock=clock, events=bus).call_async(slow)
    assert clock.now() == 2.0
    assert cleaned_up == [2.0]  # cancelled, and awaited until it stopped
    assert info.value.timeout == 2.0
    [expired] = recorder.of_type(TimeoutExpired)
    assert (expired.at, expired.source, expired.thread) == (2.0, "llm", None)


async def test_async_fast_call_answers_and_its_errors_pass_through() -> None:
    clock = VirtualClock(autojump=True)
    timeout = Timeout(2.0, clock=clock)

    async def fast() -> str:
        await clock.sleep_async(1.0)
        return "ok"

    async def broken() -> str:
        raise ValueError("broken")

    assert await timeout.call_async(fast) == "ok"
    with pytest.raises(ValueError, match="broken"):
        await timeout.call_async(broken)
    assert clock.next_deadline() is None  # the timer did not linger


async def test_outer_cancellation_takes_the_call_down_too() -> None:
    clock = VirtualClock()
    stopped = asyncio.Event()

    async def hang() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()

    task = asyncio.create_task(Timeout(5.0, clock=clock).call_async(hang))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stopped.is_set()


async def test_system_clock_uses_a_real_deadline() -> None:
    async def never() -> None:
        await asyncio.Event().wait()

    async def own_timeout() -> None:
        raise TimeoutError("the call's own")

    with pytest.raises(TimeoutRejected):
        await Timeout(0.01, clock=SystemClock()).call_async(never)
    with pytest.raises(TimeoutError, match="the call's own") as info:
        await Timeout(5.0).call_async(own_timeout)
    assert not isinstance(info.value, TimeoutRejected)


def test_sync_call_runs_in_a_named_worker_and_sees_the_callers_context() -> None:
    timeout = Timeout(5.0, name="db", clock=VirtualClock())
    request_id.set("r-42")
    seen = timeout.call(lambda: (threading.current_thread().name, request_id.get()))
    assert seen[0].startswith("chaoslab-timeout-db-")
    assert seen[1] == "r-42"
    with pytest.raises(ZeroDivisionError):
        timeout.call(lambda: 1 / 0)


def test_sync_call_that_sleeps_past_the_deadline_on_virtual_time_times_out() -> None:
    clock = VirtualClock(autojump=True)

    def slow() -> str:
        clock.sleep(10.0)
        return "late"

    with pytest.raises(TimeoutRejected):
        Timeout(2.0, clock=clock).call(slow)


def test_an_abandoned_worker_is_tracked_until_it_ends() -> None:
    clock = VirtualClock()
    started, release = threading.Event(), threading.Event()
    recorder = EventRecorder()
    bus = EventBus()
    bus.subscribe(recorder)

    def stuck() -> str:
        started.set()
        release.wait(timeout=30)
        return "too late"

    def advance_once_started() -> None:
        started.wait(timeout=30)
        clock.advance(3.0)

    helper = threading.Thread(target=advance_once_started)
    helper.start()
    with pytest.raises(TimeoutRejected) as info:
        Timeout(3.0, name="stuck", clock=clock, events=bus).call(stuck)
    helper.join(timeout=30)
    name = info.value.thread
    assert name is not None
    assert name in str(info.value)
    assert [t.name for t in abandoned_threads()].count(name) == 1
    assert recorder.of_type(TimeoutExpired)[0].thread == name
    release.set()
    for thread in abandoned_threads():
        if thread.name == name:
            thread.join(timeout=30)
    assert name not in [t.name for t in abandoned_threads()]


def test_sync_real_deadline() -> None:
    release = threading.Event()
    try:
        with pytest.raises(TimeoutRejected):
            Timeout(0.01, clock=SystemClock()).call(lambda: release.wait(timeout=30))
    finally:
        release.set()


async def test_decorator() -> None:
    clock = VirtualClock(autojump=True)
    timeout = Timeout(1.0, clock=clock)

    @timeout
    async def work(x: int) -> int:
        await clock.sleep_async(0.5)
        return x * 2

    @timeout
    def work_sync(x: int) -> int:
        return x * 3

    assert await work(2) == 4
    assert work_sync(2) == 6
