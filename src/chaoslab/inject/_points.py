"""Injection points: decorators and blocks that consult an injector.

`injectable("llm.complete")` turns any sync or async function, generator or
async generator into an injection point. Application code is decorated at
import time, long before a test builds its injector, so such a point asks
for the *current* injector on each call (set by `FaultInjector.activate()`
or the pytest `chaos` fixture); with none active, a call costs one global
read and one `is None` test.

Example:
    >>> from chaoslab.faults import ConnectionRefused, FirstN
    >>> from chaoslab.inject import FaultInjector
    >>> @injectable("cache.get")
    ... def get(key: str) -> str:
    ...     return "value"
    >>> chaos = FaultInjector(seed=1)
    >>> with chaos.activate(), chaos.inject("cache.*", ConnectionRefused(), FirstN(1)):
    ...     try:
    ...         get("k")
    ...     except ConnectionRefusedError:
    ...         print("refused, then", get("k"))
    refused, then value
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from chaoslab.errors import InjectedStreamDrop
from chaoslab.faults import DropMidStream, Fault, Malformed
from chaoslab.inject._apply import GENERIC_FAULTS, apply_async, apply_sync

if TYPE_CHECKING:
    from chaoslab.inject._injector import FaultInjector

__all__ = ["InjectionPoint", "current_injector", "injectable"]

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_current: FaultInjector | None = None
_declared: dict[str, frozenset[type[Fault]]] = {}
# Points named per call (one per URL, per Redis command) cannot be declared one
# by one; a family declares the faults of every point whose name has a prefix.
_families: dict[str, frozenset[type[Fault]]] = {}

STREAM_FAULTS: frozenset[type[Fault]] = GENERIC_FAULTS | {DropMidStream}
BLOCK_FAULTS: frozenset[type[Fault]] = GENERIC_FAULTS - {Malformed}


def current_injector() -> FaultInjector | None:
    """The injector that unbound injection points consult now, if any."""
    return _current


def _swap_current(injector: FaultInjector | None) -> FaultInjector | None:
    global _current  # the one documented process-wide default, swapped under a lock
    with _lock:
        previous, _current = _current, injector
    return previous


def declared_supports() -> dict[str, frozenset[type[Fault]]]:
    """The faults each declared (decorated) point can apply."""
    with _lock:
        return dict(_declared)


def declare_family(prefix: str, supports: frozenset[type[Fault]]) -> None:
    """Declare the faults that every point named `prefix...` can apply.

    For seams that name a point per call (e.g. `http.GET host/path`), so that
    injecting a fault they cannot apply fails at `inject()` time.
    """
    with _lock:
        _families[prefix] = supports


def declared_families() -> dict[str, frozenset[type[Fault]]]:
    """The families declared with `declare_family`, by name prefix."""
    with _lock:
        return dict(_families)


def may_match_prefix(pattern: str, prefix: str) -> bool:
    """Whether the glob `pattern` can match some name starting with `prefix`."""
    cut = min((i for i, ch in enumerate(pattern) if ch in "*?["), default=None)
    if cut is None:
        return pattern.startswith(prefix)
    literal = pattern[:cut]
    return literal.startswith(prefix) or prefix.startswith(literal)


class InjectionPoint:
    """A named place where faults are applied: a decorator, and a block.

    Bound to one injector, or (by default) following `current_injector()`.
    """

    __slots__ = ("injector", "name", "supports")

    def __init__(
        self,
        name: str,
        *,
        supports: frozenset[type[Fault]] | None = None,
        injector: FaultInjector | None = None,
    ) -> None:
        self.name = name
        self.supports = supports
        self.injector = injector

    def __repr__(self) -> str:
        return f"InjectionPoint({self.name!r})"

    def _injector(self) -> FaultInjector | None:
        return self.injector if self.injector is not None else _current

    def fire(self) -> tuple[Fault, ...]:
        """The faults that fire for one call here (none without an injector)."""
        injector = self._injector()
        return injector.fire(self.name) if injector is not None else ()

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorate `fn` (sync, async, generator or async generator)."""
        streaming = inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)
        self._declare(STREAM_FAULTS if streaming else GENERIC_FAULTS)
        if inspect.isasyncgenfunction(fn):
            return cast("Callable[P, R]", self._wrap_async_gen(fn))
        if inspect.isgeneratorfunction(fn):
            return cast("Callable[P, R]", self._wrap_gen(fn))
        if inspect.iscoroutinefunction(fn):
            return cast("Callable[P, R]", self._wrap_async(fn))
        return self._wrap_sync(fn)

    def _declare(self, default: frozenset[type[Fault]]) -> None:
        if self.supports is None:
            self.supports = default
        if self.injector is not None:
            self.injector.register(self.name, self.supports)
        else:
            with _lock:
                _declared[self.name] = self.supports

    def _wrap_sync(self, fn: Callable[P, R]) -> Callable[P, R]:
        point = self

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            injector = point.injector or _current
            if injector is not None:
                faults = injector.fire(point.name)
                if faults and apply_sync(faults, injector.clock) is not None:
                    return cast("R", _malformed(faults))
            return fn(*args, **kwargs)

        return wrapper

    def _wrap_async(self, fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        point = self

        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            injector = point.injector or _current
            if injector is not None:
                faults = injector.fire(point.name)
                if faults and await apply_async(faults, injector.clock) is not None:
                    return cast("R", _malformed(faults))
            return await fn(*args, **kwargs)

        return wrapper

    def _wrap_gen(self, fn: Callable[P, Iterator[Any]]) -> Callable[P, Iterator[Any]]:
        point = self

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[Any]:
            injector = point.injector or _current
            drop = None
            if injector is not None:
                faults = injector.fire(point.name)
                if faults:
                    outcome = apply_sync(faults, injector.clock)
                    drop = outcome if isinstance(outcome, DropMidStream) else None
            counter = _DropCounter(drop)
            for item in fn(*args, **kwargs):
                counter.check(item)
                yield item

        return wrapper

    def _wrap_async_gen(
        self, fn: Callable[P, AsyncIterator[Any]]
    ) -> Callable[P, AsyncIterator[Any]]:
        point = self

        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> AsyncIterator[Any]:
            injector = point.injector or _current
            drop = None
            if injector is not None:
                faults = injector.fire(point.name)
                if faults:
                    outcome = await apply_async(faults, injector.clock)
                    drop = outcome if isinstance(outcome, DropMidStream) else None
            counter = _DropCounter(drop)
            async for item in fn(*args, **kwargs):
                counter.check(item)
                yield item

        return wrapper

    def block(self) -> Block:
        """A `with` / `async with` block that applies this point's faults on entry.

        A block has no result to spoil, so `Malformed` and `DropMidStream`
        are refused when injected, not silently ignored.
        """
        self._declare(BLOCK_FAULTS)
        return Block(self)


class Block:
    """Applies an injection point's faults when a block is entered."""

    __slots__ = ("point",)

    def __init__(self, point: InjectionPoint) -> None:
        self.point = point

    def __enter__(self) -> None:
        injector = self.point._injector()
        if injector is not None:
            apply_sync(injector.fire(self.point.name), injector.clock)

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def __aenter__(self) -> None:
        injector = self.point._injector()
        if injector is not None:
            await apply_async(injector.fire(self.point.name), injector.clock)

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class _DropCounter:
    __slots__ = ("bytes", "drop", "events")

    def __init__(self, drop: DropMidStream | None) -> None:
        self.drop = drop
        self.events = 0
        self.bytes = 0

    def check(self, item: object) -> None:
        drop = self.drop
        if drop is None:
            return
        if drop.after_events is not None and self.events >= drop.after_events:
            _raise_drop(drop)
        if drop.after_bytes is not None and isinstance(item, bytes | str):
            if self.bytes + len(item) > drop.after_bytes:
                _raise_drop(drop)
            self.bytes += len(item)
        self.events += 1


def _raise_drop(drop: DropMidStream) -> None:
    exc = InjectedStreamDrop(104, f"stream dropped ({drop.describe()}, injected)")
    exc.fault = drop
    raise exc


def _malformed(faults: tuple[Fault, ...]) -> bytes:
    for fault in faults:
        if isinstance(fault, Malformed):
            return fault.payload
    return b""


def injectable(name: str, *, supports: frozenset[type[Fault]] | None = None) -> InjectionPoint:
    """An injection point following the current injector; use it as a decorator.

    Example:
        >>> @injectable("llm.complete")
        ... async def complete(prompt: str) -> str:
        ...     return "ok"
    """
    return InjectionPoint(name, supports=supports)
