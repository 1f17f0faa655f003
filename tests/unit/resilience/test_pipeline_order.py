"""Pipeline: composition order, order checks, decorator, context, sync and async."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from chaoslab import ConnectionRefused, FaultInjector, FirstN, Latency, VirtualClock
from chaoslab.errors import ConfigError, UnsupportedFaultError
from chaoslab.faults import Malformed
from chaoslab.resilience import (
    Bulkhead,
    Chaos,
    CircuitBreaker,
    Fallback,
    Hedging,
    Pipeline,
    PipelineOrderWarning,
    Retry,
    Strategy,
    Timeout,
    current_pipeline,
)

T = TypeVar("T")


class Recorder:
    """A strategy that notes when it is entered and left (no rank: never warns)."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def call(self, fn: Callable[[], T]) -> T:
        self.log.append(f"enter {self.name}")
        try:
            return fn()
        finally:
            self.log.append(f"leave {self.name}")

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        self.log.append(f"enter {self.name}")
        try:
            return await fn()
        finally:
            self.log.append(f"leave {self.name}")


def test_first_strategy_is_outermost_sync_and_async() -> None:
    log: list[str] = []
    pipeline = Pipeline(Recorder("outer", log), Recorder("inner", log))

    def work() -> str:
        log.append("call")
        return "done"

    assert pipeline.call(work) == "done"
    expected = ["enter outer", "enter inner", "call", "leave inner", "leave outer"]
    assert log == expected
    log.clear()

    async def awork() -> str:
        log.append("call")
        return "done"

    assert asyncio.run(pipeline.call_async(awork)) == "done"
    assert log == expected


def test_empty_pipeline_just_calls() -> None:
    assert Pipeline().call(lambda: 42) == 42


def test_recommended_order_builds_without_warning() -> None:
    clock = VirtualClock()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Pipeline(
            Fallback(None),
            Bulkhead(max_concurrent=4, clock=clock),
            Timeout(30.0, clock=clock),
            Retry(clock=clock),
            CircuitBreaker(clock=clock),
            Timeout(5.0, clock=clock),
            Chaos("upstream"),
        )


def test_wrong_order_warns_and_names_the_strategies() -> None:
    with pytest.warns(PipelineOrderWarning, match=r"Retry \(retry/hedging\) should come before "):
        Pipeline(CircuitBreaker(), Retry())


def test_chaos_outside_anything_warns() -> None:
    with pytest.warns(PipelineOrderWarning, match="Fallback"):
        Pipeline(Chaos("x"), Fallback(None))


def test_strict_order_raises_config_error_with_the_path() -> None:
    with pytest.raises(ConfigError) as caught:
        Pipeline(Timeout(1.0), Hedging(delay=1.0), Fallback(None), order="strict")
    assert [path for path, _ in caught.value.problems] == ["strategies[2]"]


def test_free_order_says_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Pipeline(CircuitBreaker(), Retry(), order="free")


def test_a_timeout_fits_outside_retry_and_inside_the_breaker_but_not_after_chaos() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Pipeline(Timeout(9.0), Retry(), CircuitBreaker(), Timeout(1.0))
    with pytest.warns(PipelineOrderWarning):
        Pipeline(Chaos("p"), Timeout(1.0))


def test_non_strategies_and_bad_order_values_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"strategies\[0\]"):
        Pipeline(object())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="order"):
        Pipeline(order="sometimes")  # type: ignore[arg-type]


def test_a_pipeline_is_a_strategy_and_nests() -> None:
    log: list[str] = []
    inner = Pipeline(Recorder("b", log))
    outer = Pipeline(Recorder("a", log), inner)
    assert isinstance(inner, Strategy)
    assert outer.call(lambda: 1) == 1
    assert log == ["enter a", "enter b", "leave b", "leave a"]


def test_decorator_sync_keeps_name_and_arguments() -> None:
    pipeline = Pipeline(Fallback(-1))

    @pipeline
    def divide(a: int, b: int) -> int:
        """Divide."""
        return a // b

    assert divide(7, b=2) == 3
    assert divide(1, 0) == -1
    assert divide.__name__ == "divide"
    assert divide.__doc__ == "Divide."


async def test_decorator_async() -> None:
    pipeline = Pipeline(Fallback("fallback"))

    @pipeline
    async def fetch(ok: bool) -> str:
        if not ok:
            raise ConnectionError("down")
        return "fresh"

    assert await fetch(True) == "fresh"
    assert await fetch(ok=False) == "fallback"


async def test_context_sets_current_pipeline_for_the_block_and_its_tasks() -> None:
    a, b = Pipeline(), Pipeline()
    assert current_pipeline() is None
    with a:
        assert current_pipeline() is a
        with b:
            assert current_pipeline() is b

            async def look() -> Pipeline | None:
                return current_pipeline()

            assert await asyncio.create_task(look()) is b
        assert current_pipeline() is a
    assert current_pipeline() is None


def test_context_is_restored_when_the_block_raises() -> None:
    pipeline = Pipeline()
    with pytest.raises(RuntimeError), pipeline:
        raise RuntimeError
    assert current_pipeline() is None


# -- the chaos strategy ---------------------------------------------------------


def test_chaos_applies_fired_faults_before_the_call() -> None:
    clock = VirtualClock(autojump=True)
    injector = FaultInjector(seed=1, clock=clock)
    calls: list[float] = []
    chaos = Chaos("db.query", injector)
    with injector.inject("db.*", Latency(2.0), FirstN(1)):
        chaos.call(lambda: calls.append(clock.now()))
        chaos.call(lambda: calls.append(clock.now()))
    assert calls == [2.0, 2.0]
    assert injector.stats("db.query").calls == 2


async def test_chaos_async_raises_the_injected_error_without_calling() -> None:
    injector = FaultInjector(seed=1, clock=VirtualClock(autojump=True))
    chaos = Chaos("db.query", injector)
    called = False

    async def query() -> str:
        nonlocal called
        called = True
        return "rows"

    with injector.inject("db.query", ConnectionRefused()), pytest.raises(ConnectionRefusedError):
        await chaos.call_async(query)
    assert not called
    assert await chaos.call_async(query) == "rows"


def test_chaos_uses_the_current_injector_when_none_is_given() -> None:
    injector = FaultInjector(seed=1, clock=VirtualClock())
    chaos = Chaos("svc.call")
    assert chaos.call(lambda: "no injector") == "no injector"
    with (
        injector.activate(),
        injector.inject("svc.*", ConnectionRefused()),
        pytest.raises(ConnectionRefusedError),
    ):
        chaos.call(lambda: "x")
    assert injector.stats("svc.call").calls == 1


def test_chaos_point_refuses_faults_it_cannot_apply() -> None:
    injector = FaultInjector(seed=1)
    Chaos("db.query", injector)
    with pytest.raises(UnsupportedFaultError):
        injector.inject("db.query", Malformed())
