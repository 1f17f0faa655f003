"""Fallback: answer with a value, or another call, when the call fails.

A fallback is the outermost strategy of a pipeline, so that it sees every
failure: the call's own errors, but also an open circuit, a full bulkhead, a
rate-limit rejection or a timeout (all `ResilienceError` subclasses).

Example:
    >>> from chaoslab.resilience import Fallback
    >>> def broken() -> list[str]:
    ...     raise ConnectionError("recommendations service down")
    >>> Fallback(value=[]).call(broken)
    []
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from chaoslab.clock import Clock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus
from chaoslab.resilience._events_b import FallbackUsed
from chaoslab.resilience._support import STOPPING, bus_of, resolve_clock

__all__ = ["Fallback", "Outcome"]

T = TypeVar("T")

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the fallback replaces: the exception raised, or the result rejected."""

    exception: BaseException | None = None
    result: Any = None


class Fallback:
    """Replace a failed call's outcome with `value` or with `action(outcome)`.

    Args:
        value: the answer on failure (give `value` or `action`, not both).
        action: called with the `Outcome` on failure; may be sync or async
            (async only under `call_async`). Its own errors propagate.
        on: exception types that trigger the fallback (default: every
            `Exception`; cancellation and `KeyboardInterrupt` never do).
        on_result: a predicate; a result it accepts is treated as a failure
            (e.g. `lambda r: r is None`).
        name: the `source` of the events.

    Events: `FallbackUsed` each time the fallback answers.

    Example:
        >>> from chaoslab.errors import ResilienceError
        >>> fb = Fallback(action=lambda o: f"default ({type(o.exception).__name__})",
        ...               on=(ResilienceError, TimeoutError))
        >>> fb.call(lambda: (_ for _ in ()).throw(TimeoutError()))
        'default (TimeoutError)'
    """

    __slots__ = (
        "_action",
        "_clock",
        "_events",
        "_lock",
        "_value",
        "name",
        "on",
        "on_result",
        "used",
    )

    def __init__(
        self,
        value: Any = _MISSING,
        *,
        action: Callable[[Outcome], Any] | None = None,
        on: type[BaseException] | tuple[type[BaseException], ...] = (Exception,),
        on_result: Callable[[Any], bool] | None = None,
        name: str = "fallback",
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        if (value is _MISSING) == (action is None):
            raise ConfigError([("fallback", "give exactly one of value= or action=")])
        self._value = value
        self._action = action
        self.on: tuple[type[BaseException], ...] = on if isinstance(on, tuple) else (on,)
        self.on_result = on_result
        self.name = name
        self._clock = resolve_clock(clock)
        self._events = events
        self.used = 0  # how many times the fallback answered (a metric)
        self._lock = threading.Lock()  # taken on the fallback path only, never on success

    def __repr__(self) -> str:
        what = f"action={self._action!r}" if self._action else f"value={self._value!r}"
        return f"Fallback({what}, on={self.on!r})"

    def _emit(self, reason: str) -> None:
        with self._lock:
            self.used += 1
        bus = bus_of(self._events)
        if bus.active:
            bus.emit(FallbackUsed(at=self._clock.now(), source=self.name, reason=reason))

    def _replacement(self, outcome: Outcome) -> Any:
        self._emit(type(outcome.exception).__name__ if outcome.exception else "result")
        if self._action is None:
            return self._value
        return self._action(outcome)

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn()`; on a handled failure return the fallback instead."""
        try:
            result = fn()
        except self.on as exc:
            if isinstance(exc, STOPPING):
                raise
            answer = self._replacement(Outcome(exception=exc))
        else:
            if self.on_result is None or not self.on_result(result):
                return result
            answer = self._replacement(Outcome(result=result))
        if inspect.isawaitable(answer):
            if inspect.iscoroutine(answer):
                answer.close()  # never awaited: close it so Python does not warn
            raise TypeError("an async fallback action needs call_async()")
        return cast(T, answer)

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()`; on a handled failure return (or await) the fallback."""
        try:
            result = await fn()
        except self.on as exc:
            if isinstance(exc, STOPPING):
                raise
            answer = self._replacement(Outcome(exception=exc))
        else:
            if self.on_result is None or not self.on_result(result):
                return result
            answer = self._replacement(Outcome(result=result))
        if inspect.isawaitable(answer):
            answer = await answer
        return cast(T, answer)
