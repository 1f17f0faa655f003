"""Fallback: a value or an action on chosen errors and results, sync and async."""

from __future__ import annotations

import asyncio

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.errors import ConfigError, ResilienceError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    BulkheadFullError,
    CircuitOpenError,
    Fallback,
    FallbackUsed,
    Outcome,
    RateLimitedError,
    RetriesExhausted,
    TimeoutRejected,
)


class Rejected(ResilienceError):
    """Stands for any rejection (open circuit, full bulkhead): all are ResilienceErrors."""


def fail(exc: BaseException) -> str:
    raise exc


async def afail(exc: BaseException) -> str:
    raise exc


def test_value_replaces_a_handled_error_and_success_passes_through() -> None:
    fb = Fallback("default")
    assert fb.call(lambda: "real") == "real"
    assert fb.call(lambda: fail(ConnectionError())) == "default"
    assert fb.used == 1


def test_unhandled_errors_propagate_unchanged() -> None:
    fb = Fallback("default", on=(TimeoutError,))
    error = KeyError("boom")
    with pytest.raises(KeyError) as caught:
        fb.call(lambda: fail(error))
    assert caught.value is error
    assert fb.used == 0


def test_rejections_are_handled_when_chosen() -> None:
    fb = Fallback("from fallback", on=ResilienceError)
    assert fb.call(lambda: fail(Rejected("circuit open"))) == "from fallback"


def test_action_receives_the_outcome() -> None:
    seen: list[Outcome] = []

    def action(outcome: Outcome) -> str:
        seen.append(outcome)
        return f"handled {type(outcome.exception).__name__}"

    fb = Fallback(action=action)
    error = TimeoutError("slow")
    assert fb.call(lambda: fail(error)) == "handled TimeoutError"
    assert seen == [Outcome(exception=error)]


def test_result_predicate_treats_a_result_as_a_failure() -> None:
    fb = Fallback(action=lambda o: f"replaced {o.result!r}", on_result=lambda r: r is None)
    assert fb.call(lambda: None) == "replaced None"
    assert fb.call(lambda: 0) == 0


def test_async_action_needs_call_async() -> None:
    async def action(outcome: Outcome) -> str:
        return "async"

    fb = Fallback(action=action)
    with pytest.raises(TypeError, match="call_async"):
        fb.call(lambda: fail(ValueError()))


async def test_call_async_awaits_an_async_action() -> None:
    async def action(outcome: Outcome) -> str:
        await asyncio.sleep(0)
        return "async default"

    fb = Fallback(action=action)
    assert await fb.call_async(lambda: afail(OSError())) == "async default"


async def test_call_async_with_value_and_sync_action() -> None:
    async def ok() -> str:
        return "ok"

    assert await Fallback("v").call_async(ok) == "ok"
    assert await Fallback("v").call_async(lambda: afail(OSError())) == "v"
    assert await Fallback(action=lambda o: "s").call_async(lambda: afail(OSError())) == "s"


async def test_cancellation_is_never_replaced_even_with_a_broad_on() -> None:
    fb = Fallback("never", on=BaseException)
    with pytest.raises(asyncio.CancelledError):
        await fb.call_async(lambda: afail(asyncio.CancelledError()))
    with pytest.raises(KeyboardInterrupt):
        fb.call(lambda: fail(KeyboardInterrupt()))
    assert fb.used == 0


def test_needs_exactly_one_of_value_or_action() -> None:
    with pytest.raises(ConfigError):
        Fallback()
    with pytest.raises(ConfigError):
        Fallback(1, action=lambda o: 2)


def test_none_is_a_valid_fallback_value() -> None:
    assert Fallback(None).call(lambda: fail(OSError())) is None


def test_emits_an_event_with_the_reason_and_clock_time() -> None:
    clock, bus, recorder = VirtualClock(start=5.0), EventBus(), EventRecorder()
    bus.subscribe(recorder)
    fb = Fallback(0, name="scores", clock=clock, events=bus, on_result=lambda r: r < 0)
    fb.call(lambda: fail(ConnectionError()))
    fb.call(lambda: -1)
    assert recorder.of_type(FallbackUsed) == [
        FallbackUsed(at=5.0, source="scores", reason="ConnectionError"),
        FallbackUsed(at=5.0, source="scores", reason="result"),
    ]


@pytest.mark.parametrize(
    "rejection",
    [
        CircuitOpenError("llm", "open", 12.0),
        BulkheadFullError("pool", "full", 4, 0),
        RateLimitedError("api", 0.5),
        TimeoutRejected("llm", 30.0),
        RetriesExhausted(3, "attempts", last_exception=ConnectionError()),
    ],
    ids=type,
)
def test_every_strategy_rejection_is_a_resilience_error_the_fallback_handles(
    rejection: ResilienceError,
) -> None:
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    fb = Fallback("served by fallback", on=ResilienceError, events=bus)
    assert fb.call(lambda: fail(rejection)) == "served by fallback"
    assert recorder.of_type(FallbackUsed)[0].reason == type(rejection).__name__
