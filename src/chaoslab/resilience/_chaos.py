"""Chaos as a strategy: the innermost layer of a pipeline asks the injector.

Each call fires the injection point `point` on a `FaultInjector` (the one
given, else `chaoslab.inject.current_injector()`); the faults it returns
are applied before the call, exactly where a real failure would strike:
latency and timeouts wait on the clock, errors raise the exception a real
failure raises. With no injector or no active injection the call costs one
`fire()` (no lock).

`Malformed` and `DropMidStream` cannot be applied to an arbitrary result,
so the point is registered as not supporting them: injecting one fails at
configuration time with `UnsupportedFaultError`.

Example:
    >>> from chaoslab import FaultInjector, ConnectionRefused, FirstN
    >>> from chaoslab.resilience import Chaos
    >>> injector = FaultInjector(seed=1)
    >>> chaos = Chaos("db.query", injector)
    >>> with injector.inject("db.*", ConnectionRefused(), FirstN(1)):
    ...     try:
    ...         chaos.call(lambda: "rows")
    ...     except ConnectionRefusedError:
    ...         print("refused")
    ...     print(chaos.call(lambda: "rows"))
    refused
    rows
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from chaoslab.clock import Clock
from chaoslab.faults import DropMidStream, Malformed
from chaoslab.inject import GENERIC_FAULTS, FaultInjector, apply_async, apply_sync
from chaoslab.inject import current_injector as _current_injector

__all__ = ["Chaos"]

T = TypeVar("T")

_SUPPORTED = frozenset(GENERIC_FAULTS - {Malformed, DropMidStream})


class Chaos:
    """Apply the faults an injector fires at `point`, then make the call.

    Args:
        point: the injection point name (targets match it with globs).
        injector: the injector to ask; None = the current one at each call.
        clock: the clock latencies wait on (default: the injector's).
    """

    __slots__ = ("_clock", "_seen", "injector", "point")

    def __init__(
        self, point: str, injector: FaultInjector | None = None, *, clock: Clock | None = None
    ) -> None:
        self.point = point
        self.injector = injector
        self._clock = clock
        self._seen: FaultInjector | None = injector
        if injector is not None:
            injector.register(point, _SUPPORTED)

    def __repr__(self) -> str:
        return f"Chaos({self.point!r})"

    def _injector(self) -> FaultInjector | None:
        injector = self.injector if self.injector is not None else _current_injector()
        if injector is not None and injector is not self._seen:
            # Declared once per injector met, not per call (register takes a lock).
            injector.register(self.point, _SUPPORTED)
            self._seen = injector
        return injector

    def call(self, fn: Callable[[], T]) -> T:
        """Apply the fired faults in this thread, then call `fn()`."""
        injector = self._injector()
        if injector is not None:
            faults = injector.fire(self.point)
            if faults:
                apply_sync(faults, self._clock if self._clock is not None else injector.clock)
        return fn()

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Apply the fired faults in this task, then await `fn()`."""
        injector = self._injector()
        if injector is not None:
            faults = injector.fire(self.point)
            if faults:
                clock = self._clock if self._clock is not None else injector.clock
                await apply_async(faults, clock)
        return await fn()
