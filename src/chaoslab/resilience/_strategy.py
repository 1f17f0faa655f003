"""The one contract every resilience strategy keeps.

A strategy wraps a zero-argument call, sync or async. Composition is plain
nesting: a pipeline calls `outer.call(lambda: inner.call(fn))`. Strategies
keep their decision logic in a pure, clock-driven state machine and use
these two methods only as thin drivers, so no logic is written twice.

Example:
    >>> class Passthrough:
    ...     def call(self, fn):
    ...         return fn()
    ...     async def call_async(self, fn):
    ...         return await fn()
    >>> isinstance(Passthrough(), Strategy)
    True
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar, runtime_checkable

__all__ = ["Strategy"]

T = TypeVar("T")


@runtime_checkable
class Strategy(Protocol):
    """Wraps a call; sync through `call`, asyncio through `call_async`."""

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` under this strategy in the calling thread."""
        ...

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()` under this strategy."""
        ...
