"""Small helpers shared by the strategies: decorating, matching errors, resolving defaults."""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, cast

from chaoslab.clock import Clock, SystemClock
from chaoslab.observe import EventBus, default_bus
from chaoslab.resilience._strategy import Strategy

__all__ = [
    "STOPPING",
    "ErrorSpec",
    "bus_of",
    "decorate",
    "error_matcher",
    "resolve_clock",
    "wait_event",
]

P = ParamSpec("P")
T = TypeVar("T")

# Which exceptions a rule applies to: a class, a tuple of classes, or a predicate.
ErrorSpec = type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool]

_SYSTEM_CLOCK = SystemClock()

# Never answered by a fallback or a stale value, even when the errors a rule
# covers are broad (BaseException): stopping is not failing.
STOPPING = (asyncio.CancelledError, KeyboardInterrupt, SystemExit, GeneratorExit)


def resolve_clock(clock: Clock | None) -> Clock:
    """The given clock, or the shared system clock."""
    return _SYSTEM_CLOCK if clock is None else clock


def bus_of(events: EventBus | None) -> EventBus:
    """The given bus, or the process-wide default at this moment (it may be swapped)."""
    return default_bus() if events is None else events


def error_matcher(spec: ErrorSpec) -> Callable[[BaseException], bool]:
    """Turn a class, tuple of classes or predicate into a predicate."""
    if isinstance(spec, type | tuple):
        classes = spec

        def matches(exc: BaseException) -> bool:
            return isinstance(exc, classes)

        return matches
    return spec


def decorate(strategy: Strategy, func: Callable[P, T]) -> Callable[P, T]:
    """Wrap `func` (sync or async) so every call goes through `strategy`."""
    if inspect.iscoroutinefunction(func):
        async_func = cast(Callable[..., Awaitable[Any]], func)

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await strategy.call_async(functools.partial(async_func, *args, **kwargs))

        return cast(Callable[P, T], async_wrapper)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return strategy.call(functools.partial(func, *args, **kwargs))

    return wrapper


_POLL = 0.001  # real seconds between clock checks when the clock is not the system's


def wait_event(event: threading.Event, deadline: float, clock: Clock) -> bool:
    """Block until `event` is set (True) or the clock reaches `deadline` (False).

    On the system clock this is `event.wait`; on any other clock (a virtual
    one moves only when something moves it) the clock is checked every
    millisecond of real time.
    """
    if isinstance(clock, SystemClock):
        return event.wait(max(0.0, deadline - clock.now()))
    while not event.wait(_POLL):
        if clock.now() >= deadline:
            return event.is_set()
    return True
