"""Degradation manager: modes from dependency health, hysteresis, events, periodic checks."""

from __future__ import annotations

import asyncio

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    Criticality,
    DegradationManager,
    DegradationMode,
    DegradationModeChanged,
    DependencyHealthChanged,
)

CRITICAL, IMPORTANT, OPTIONAL = Criticality.CRITICAL, Criticality.IMPORTANT, Criticality.OPTIONAL
NORMAL, DEGRADED, MINIMAL, OFFLINE = (
    DegradationMode.NORMAL,
    DegradationMode.DEGRADED,
    DegradationMode.MINIMAL,
    DegradationMode.OFFLINE,
)


def manager(**kwargs: object) -> DegradationManager:
    m = DegradationManager(clock=VirtualClock(), events=EventBus(), **kwargs)  # type: ignore[arg-type]
    m.register("postgres", criticality=CRITICAL)
    m.register("redis", criticality=CRITICAL)
    m.register("embeddings", criticality=IMPORTANT)
    m.register("analytics", criticality=OPTIONAL)
    return m


def test_modes_go_down_and_back_up() -> None:
    m = manager(recovery_threshold=1)
    assert m.mode is NORMAL
    assert m.report("analytics", healthy=False) is NORMAL  # optional: mode unchanged
    assert not m.is_available("analytics")
    assert m.report("embeddings", healthy=False) is DEGRADED
    assert m.report("redis", healthy=False) is MINIMAL
    assert m.report("postgres", healthy=False) is OFFLINE
    assert m.report("postgres", healthy=True) is MINIMAL
    assert m.report("redis", healthy=True) is DEGRADED
    assert m.report("embeddings", healthy=True) is NORMAL


def test_failure_threshold_needs_consecutive_failures() -> None:
    m = manager(failure_threshold=2)
    assert m.report("embeddings", healthy=False) is NORMAL
    assert m.report("embeddings", healthy=True) is NORMAL  # the count starts over
    assert m.report("embeddings", healthy=False) is NORMAL
    assert m.report("embeddings", healthy=False) is DEGRADED


def test_recovery_needs_n_consecutive_healthy_checks() -> None:
    m = manager(recovery_threshold=3)
    m.report("redis", healthy=False)
    assert m.mode is MINIMAL
    m.report("redis", healthy=True)
    m.report("redis", healthy=True)
    m.report("redis", healthy=False)  # a flap resets the recovery count
    m.report("redis", healthy=True)
    m.report("redis", healthy=True)
    assert m.mode is MINIMAL
    assert m.report("redis", healthy=True) is NORMAL
    assert m.status()["redis"].successes == 3


def test_events_on_dependency_flips_and_mode_changes() -> None:
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    clock = VirtualClock(start=7.0)
    m = DegradationManager(clock=clock, events=bus, name="api")
    m.register("redis", criticality=CRITICAL)
    m.register("search", criticality=IMPORTANT)
    m.report("redis", healthy=False, error="refused")
    assert recorder.events == [
        DependencyHealthChanged(
            at=7.0, source="api", dependency="redis", healthy=False, criticality="critical"
        ),
        DegradationModeChanged(
            at=7.0, source="api", previous="NORMAL", mode="OFFLINE", down=("redis",)
        ),
    ]
    assert m.status()["redis"].last_error == "refused"
    recorder.clear()
    m.report("search", healthy=False)  # still OFFLINE: no mode event
    assert [type(e) for e in recorder.events] == [DependencyHealthChanged]


def test_sync_checks_true_false_and_raising() -> None:
    m = DegradationManager(clock=VirtualClock(), events=EventBus())
    answers = {"a": True, "b": False}
    m.register("a", lambda: answers["a"], criticality=IMPORTANT)
    m.register("b", lambda: answers["b"], criticality=OPTIONAL)

    def explode() -> bool:
        raise TypeError("health endpoint broken")

    m.register("c", explode, criticality=IMPORTANT)
    m.register("manual", criticality=IMPORTANT)  # no check: fed by report()
    assert m.check_all() is DEGRADED
    status = m.status()
    assert (status["a"].healthy, status["b"].healthy, status["c"].healthy) == (True, False, False)
    assert status["c"].last_error == "TypeError: health endpoint broken"
    with pytest.raises(ConfigError):
        m.check("manual")


def test_async_check_in_a_sync_call_is_refused() -> None:
    m = DegradationManager(events=EventBus())

    async def check() -> bool:
        return True

    m.register("x", check)
    with pytest.raises(TypeError, match="check_async"):
        m.check("x")


async def test_async_checks_run_concurrently_and_time_out_on_the_clock() -> None:
    clock = VirtualClock(autojump=True)
    m = DegradationManager(clock=clock, check_timeout=2.0, events=EventBus())

    async def slow() -> bool:
        await clock.sleep_async(10.0)
        return True

    async def quick() -> bool:
        await clock.sleep_async(1.0)
        return True

    m.register("slow", slow, criticality=CRITICAL)
    m.register("quick", quick, criticality=CRITICAL)
    m.register("sync", lambda: True, criticality=IMPORTANT)
    assert await m.check_all_async() is MINIMAL
    assert clock.now() == 2.0  # concurrent, and the slow one was cut at 2 s
    assert m.status()["slow"].last_error == "TimeoutError: health check took over 2 s"


async def test_periodic_checking_follows_the_clock_with_hysteresis() -> None:
    clock = VirtualClock(autojump=True)
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    m = DegradationManager(clock=clock, recovery_threshold=2, events=bus)
    up_at = {"redis": 25.0}

    async def redis_check() -> bool:
        return clock.now() >= up_at["redis"] or clock.now() < 5.0

    m.register("redis", redis_check, criticality=CRITICAL)
    m.register("other", lambda: True, criticality=CRITICAL)
    await m.run(interval=5.0, rounds=8)  # checks at 0, 5, ..., 35
    assert clock.now() == 35.0
    changes = [(e.at, e.mode) for e in recorder.of_type(DegradationModeChanged)]
    # down at the first failing check (5 s); up after two healthy checks (25, 30)
    assert changes == [(5.0, "MINIMAL"), (30.0, "NORMAL")]


async def test_run_can_be_cancelled() -> None:
    clock = VirtualClock(autojump=True)
    m = DegradationManager(clock=clock, events=EventBus())
    m.register("x", lambda: True)
    task = asyncio.create_task(m.run(interval=1.0))
    await clock.sleep_async(3.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert m.status()["x"].successes == 4  # checks at 0, 1, 2, 3


def test_configuration_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        DegradationManager(failure_threshold=0, recovery_threshold=0, check_timeout=0)
    assert len(caught.value.problems) == 3
    m = manager()
    with pytest.raises(ConfigError):
        m.register("redis")
    with pytest.raises(ConfigError):
        m.report("nope", healthy=True)


def test_unregister_recomputes_the_mode_and_custom_policy() -> None:
    m = manager()
    m.report("embeddings", healthy=False)
    assert m.unregister("embeddings") is NORMAL

    strict = DegradationManager(
        policy=lambda s: OFFLINE if any(not d.healthy for d in s.values()) else NORMAL,
        events=EventBus(),
    )
    strict.register("cdn", criticality=OPTIONAL)
    assert strict.report("cdn", healthy=False) is OFFLINE
