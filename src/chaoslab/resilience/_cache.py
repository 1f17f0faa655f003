"""A cache that serves stale data when the source fails, and says so.

Two lifetimes per entry, as in RFC 5861's `stale-if-error`: a value is
*fresh* for `ttl` seconds (served without calling the source), then *stale*
for `stale_ttl` more seconds: the source is called, and only if it fails is
the stale value served, flagged `stale=True` and announced by a
`CacheStaleServed` event. Misses are single-flight: however many callers
(threads or asyncio tasks) miss one key at once, the source is called once
and every caller gets its answer, or its error.

Example:
    >>> from chaoslab.clock import VirtualClock
    >>> clock = VirtualClock()
    >>> cache = Cache(ttl=60.0, stale_ttl=600.0, clock=clock)
    >>> cache.lookup("user:1", lambda: {"name": "Ada"})
    CacheResult(value={'name': 'Ada'}, stale=False, age=0.0, error=None)
    >>> clock.advance(90.0)
    >>> def database_down() -> dict[str, str]:
    ...     raise ConnectionError("db down")
    >>> result = cache.lookup("user:1", database_down)
    >>> (result.value, result.stale, result.age)
    ({'name': 'Ada'}, True, 90.0)
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, TypeVar, cast

from chaoslab.clock import Clock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus
from chaoslab.resilience._cache_backend import CacheBackend, CacheEntry, MemoryBackend
from chaoslab.resilience._events_b import CacheHit, CacheMiss, CacheStaleServed
from chaoslab.resilience._support import STOPPING, bus_of, resolve_clock

__all__ = ["Cache", "CacheResult", "CacheStats", "KeyedCache"]

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class CacheResult(Generic[T]):
    """A cached answer: `stale` is True when the source failed (`error`) and an old value answered.

    `age` is the value's age in seconds (0.0 when just computed).
    """

    value: T
    stale: bool
    age: float
    error: BaseException | None = None


@dataclass(slots=True)
class CacheStats:
    """Counters of one cache, since it was made."""

    hits: int = 0
    misses: int = 0
    computes: int = 0
    stale_served: int = 0
    errors: int = 0


@dataclass(slots=True)
class _Flight:
    """One in-flight computation of a key, shared by the threads that missed it."""

    done: threading.Event = field(default_factory=threading.Event)
    waiters: int = 1
    value: Any = None
    error: BaseException | None = None


@dataclass(slots=True)
class _AsyncFlight:
    task: asyncio.Task[Any]
    loop: asyncio.AbstractEventLoop
    waiters: int = 0


class Cache:
    """TTL + LRU cache with stale-if-error and single-flight misses.

    Args:
        ttl: seconds a value is fresh.
        stale_ttl: seconds past `ttl` during which a stale value may answer
            for a failing source (default: forever, until evicted).
        max_entries: LRU bound of the default memory backend.
        backend: where entries live (default `MemoryBackend(max_entries)`).
        stale_on: the errors for which a stale value is served (default:
            every `Exception`; cancellation never).
        name: the `source` of events.

    Events: `CacheHit`, `CacheMiss`, `CacheStaleServed`. Counters: `stats`.
    """

    def __init__(
        self,
        *,
        ttl: float,
        stale_ttl: float | None = None,
        max_entries: int = 1024,
        backend: CacheBackend | None = None,
        stale_on: type[BaseException] | tuple[type[BaseException], ...] = (Exception,),
        name: str = "cache",
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        problems = []
        if not ttl > 0:
            problems.append(("ttl", f"must be > 0 seconds, got {ttl!r}"))
        if stale_ttl is not None and not stale_ttl >= 0:
            problems.append(("stale_ttl", f"must be >= 0 seconds or None, got {stale_ttl!r}"))
        if problems:
            raise ConfigError(problems)
        self.ttl = ttl
        self.keep_for = math.inf if stale_ttl is None else ttl + stale_ttl
        self.clock = resolve_clock(clock)
        self.backend: CacheBackend = (
            backend if backend is not None else MemoryBackend(max_entries, clock=self.clock)
        )
        self.stale_on = stale_on if isinstance(stale_on, tuple) else (stale_on,)
        self.name = name
        self._events = events
        self.stats = CacheStats()
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        self._aflights: dict[str, _AsyncFlight] = {}

    def __repr__(self) -> str:
        return f"Cache(name={self.name!r}, ttl={self.ttl!r}, keep_for={self.keep_for!r})"

    # -- public API ----------------------------------------------------------

    def lookup(self, key: str, fn: Callable[[], T]) -> CacheResult[T]:
        """The value for `key`: cached if fresh, else `fn()` (once for all callers), else stale."""
        entry = self.backend.get(key)
        if entry is not None and entry.is_fresh:
            return self._hit(key, entry)
        read_at = self.clock.now()
        self._miss(key, entry)
        try:
            value = self._flight(key, fn)
        except self.stale_on as exc:
            stale = self._stale(key, entry, read_at, exc)
            if stale is None:
                raise
            return stale
        return CacheResult(value, stale=False, age=0.0)

    async def lookup_async(self, key: str, fn: Callable[[], Awaitable[T]]) -> CacheResult[T]:
        """`lookup` for asyncio: `fn()` is awaited once however many tasks miss `key`."""
        entry = await self.backend.get_async(key)
        if entry is not None and entry.is_fresh:
            return self._hit(key, entry)
        read_at = self.clock.now()
        self._miss(key, entry)
        try:
            value = await self._flight_async(key, fn)
        except self.stale_on as exc:
            stale = self._stale(key, entry, read_at, exc)
            if stale is None:
                raise
            return stale
        return CacheResult(value, stale=False, age=0.0)

    def get(self, key: str, fn: Callable[[], T]) -> T:
        """Like `lookup` but only the value (staleness is still announced by an event)."""
        return self.lookup(key, fn).value

    async def get_async(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        """Like `lookup_async` but only the value."""
        return (await self.lookup_async(key, fn)).value

    def invalidate(self, key: str) -> bool:
        """Forget `key`; True if it was cached."""
        return self.backend.delete(key)

    def pending(self, key: str) -> int:
        """How many callers (threads plus tasks) wait now on the computation of `key`."""
        with self._lock:
            flight = self._flights.get(key)
            aflight = self._aflights.get(key)
            return (flight.waiters if flight else 0) + (aflight.waiters if aflight else 0)

    def keyed(self, key: str) -> KeyedCache:
        """A `Strategy` that caches its calls under one `key` (to put in a pipeline)."""
        return KeyedCache(self, key)

    def cached(
        self, key: Callable[..., str] | None = None
    ) -> Callable[[Callable[P, T]], Callable[P, T]]:
        """Decorate a sync or async function; `key(*args, **kwargs)` names the entry.

        The default key is the function's qualified name and the repr of its arguments.

        Example:
            >>> cache = Cache(ttl=60.0)
            >>> @cache.cached()
            ... def square(x: int) -> int:
            ...     return x * x
            >>> square(4), square(4), cache.stats.computes
            (16, 16, 1)
        """

        def decorate(func: Callable[P, T]) -> Callable[P, T]:
            def key_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
                if key is not None:
                    return key(*args, **kwargs)
                return f"{func.__qualname__}:{args!r}:{sorted(kwargs.items())!r}"

            if inspect.iscoroutinefunction(func):

                @functools.wraps(func)
                async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                    return await self.get_async(
                        key_of(args, kwargs), lambda: cast(Awaitable[Any], func(*args, **kwargs))
                    )

                return cast(Callable[P, T], async_wrapper)

            @functools.wraps(func)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
                return self.get(key_of(args, kwargs), lambda: func(*args, **kwargs))

            return wrapper

        return decorate

    # -- internals -----------------------------------------------------------

    def _emit_ok(self) -> EventBus | None:
        bus = bus_of(self._events)
        return bus if bus.active else None

    def _hit(self, key: str, entry: CacheEntry) -> CacheResult[Any]:
        with self._lock:
            self.stats.hits += 1
        bus = self._emit_ok()
        if bus is not None:
            bus.emit(CacheHit(at=self.clock.now(), source=self.name, key=key, age=entry.age))
        return CacheResult(entry.value, stale=False, age=entry.age)

    def _miss(self, key: str, entry: CacheEntry | None) -> None:
        with self._lock:
            self.stats.misses += 1
        bus = self._emit_ok()
        if bus is not None:
            at = self.clock.now()
            bus.emit(CacheMiss(at=at, source=self.name, key=key, has_stale=entry is not None))

    def _stale(
        self, key: str, entry: CacheEntry | None, read_at: float, exc: BaseException
    ) -> CacheResult[Any] | None:
        """The stale answer to a failed lookup, or None (the caller re-raises)."""
        if isinstance(exc, STOPPING):
            return None  # stopping is not failing: neither counted nor answered
        with self._lock:
            self.stats.errors += 1
        if entry is None:
            return None
        age = entry.age + (self.clock.now() - read_at)
        if age >= entry.keep_for:
            return None
        with self._lock:
            self.stats.stale_served += 1
        bus = self._emit_ok()
        if bus is not None:
            error = type(exc).__name__
            bus.emit(
                CacheStaleServed(
                    at=self.clock.now(), source=self.name, key=key, age=age, error=error
                )
            )
        return CacheResult(entry.value, stale=True, age=age, error=exc)

    def _flight(self, key: str, fn: Callable[[], T]) -> T:
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
            else:
                flight.waiters += 1
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return cast(T, flight.value)
        try:
            with self._lock:
                self.stats.computes += 1
            flight.value = fn()
            self.backend.set(key, flight.value, fresh_for=self.ttl, keep_for=self.keep_for)
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()
        return cast(T, flight.value)

    async def _compute(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        with self._lock:
            self.stats.computes += 1
        value = await fn()
        await self.backend.set_async(key, value, fresh_for=self.ttl, keep_for=self.keep_for)
        return value

    async def _flight_async(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        with self._lock:
            flight = self._aflights.get(key)
            if flight is None or flight.loop is not loop:
                # The computation runs in its own task: a caller that is
                # cancelled leaves it running for the others; only when the
                # last waiter leaves is it cancelled (no orphan task).
                task = loop.create_task(self._compute(key, fn), name=f"chaoslab-cache:{key}")
                flight = self._aflights[key] = _AsyncFlight(task, loop)
                task.add_done_callback(functools.partial(self._landed, key, flight))
            flight.waiters += 1
        try:
            return cast(T, await asyncio.shield(flight.task))
        finally:
            with self._lock:
                flight.waiters -= 1
                orphan = flight.waiters == 0 and not flight.task.done()
            if orphan:
                flight.task.cancel()

    def _landed(self, key: str, flight: _AsyncFlight, _task: asyncio.Task[Any]) -> None:
        with self._lock:
            if self._aflights.get(key) is flight:
                del self._aflights[key]


class KeyedCache:
    """A `Strategy` caching every call under one key of a `Cache`.

    Example:
        >>> cache = Cache(ttl=60.0)
        >>> cache.keyed("config").call(lambda: {"debug": False})
        {'debug': False}
    """

    __slots__ = ("cache", "key")

    def __init__(self, cache: Cache, key: str) -> None:
        self.cache = cache
        self.key = key

    def __repr__(self) -> str:
        return f"KeyedCache({self.cache!r}, key={self.key!r})"

    def call(self, fn: Callable[[], T]) -> T:
        """`cache.get(key, fn)`."""
        return self.cache.get(self.key, fn)

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """`await cache.get_async(key, fn)`."""
        return await self.cache.get_async(self.key, fn)
