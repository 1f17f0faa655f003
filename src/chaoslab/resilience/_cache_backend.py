"""Where a `Cache` keeps its entries: the backend protocol and the memory backend.

The protocol is deliberately small (get, set, delete; sync and async) and
speaks in *durations*, never in clock readings: `set` says how long a value
is fresh and how long it may be kept (fresh plus the stale-if-error window),
and `get` answers with the entry's age. A shared backend such as Redis can
then keep the expiry itself (`SET ... PX keep_for`) and derive the age from
the remaining TTL, with no clock shared between processes.

Example:
    >>> from chaoslab.clock import VirtualClock
    >>> clock = VirtualClock()
    >>> backend = MemoryBackend(max_entries=2, clock=clock)
    >>> backend.set("a", 1, fresh_for=10.0, keep_for=60.0)
    >>> clock.advance(15.0)
    >>> entry = backend.get("a")
    >>> (entry.value, entry.age, entry.is_fresh)
    (1, 15.0, False)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from chaoslab.clock import Clock
from chaoslab.errors import ConfigError
from chaoslab.resilience._support import resolve_clock

__all__ = ["CacheBackend", "CacheEntry", "MemoryBackend"]


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A stored value with its age and its lifetimes, all in seconds."""

    value: Any
    age: float
    fresh_for: float
    keep_for: float

    @property
    def is_fresh(self) -> bool:
        """True while the value may be served without asking the source."""
        return self.age < self.fresh_for


@runtime_checkable
class CacheBackend(Protocol):
    """Storage for a `Cache`. Implementations must be safe to share between threads.

    `get` returns None for a missing key and for an entry older than its
    `keep_for`; `set` replaces any previous entry; `delete` says whether
    there was one.
    """

    def get(self, key: str) -> CacheEntry | None:
        """The entry for `key`, or None."""
        ...

    def set(self, key: str, value: Any, *, fresh_for: float, keep_for: float) -> None:
        """Store `value`, fresh for `fresh_for` s and kept for `keep_for` s (>= fresh_for)."""
        ...

    def delete(self, key: str) -> bool:
        """Forget `key`; True if it was there."""
        ...

    async def get_async(self, key: str) -> CacheEntry | None:
        """`get`, for asyncio."""
        ...

    async def set_async(self, key: str, value: Any, *, fresh_for: float, keep_for: float) -> None:
        """`set`, for asyncio."""
        ...

    async def delete_async(self, key: str) -> bool:
        """`delete`, for asyncio."""
        ...


class MemoryBackend:
    """An in-process LRU map with expiry, bounded to `max_entries`.

    Reading a key makes it the most recently used; storing a new key when
    full evicts the least recently used one. Expired entries are dropped
    when read. All time comes from `clock`.
    """

    __slots__ = ("_clock", "_data", "_lock", "evictions", "max_entries")

    def __init__(self, max_entries: int = 1024, *, clock: Clock | None = None) -> None:
        if max_entries < 1:
            raise ConfigError([("max_entries", f"must be >= 1, got {max_entries!r}")])
        self.max_entries = max_entries
        self._clock = resolve_clock(clock)
        # key -> (value, stored_at, fresh_for, keep_for)
        self._data: OrderedDict[str, tuple[Any, float, float, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> list[str]:
        """The keys held, least recently used first."""
        with self._lock:
            return list(self._data)

    def get(self, key: str) -> CacheEntry | None:
        """See `CacheBackend.get`."""
        now = self._clock.now()
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            value, stored_at, fresh_for, keep_for = item
            age = now - stored_at
            if age >= keep_for:
                del self._data[key]
                return None
            self._data.move_to_end(key)
        return CacheEntry(value, age, fresh_for, keep_for)

    def set(self, key: str, value: Any, *, fresh_for: float, keep_for: float) -> None:
        """See `CacheBackend.set`."""
        now = self._clock.now()
        with self._lock:
            self._data[key] = (value, now, fresh_for, max(keep_for, fresh_for))
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
                self.evictions += 1

    def delete(self, key: str) -> bool:
        """See `CacheBackend.delete`."""
        with self._lock:
            return self._data.pop(key, None) is not None

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()

    async def get_async(self, key: str) -> CacheEntry | None:
        """See `CacheBackend.get` (memory never blocks, so no thread hop)."""
        return self.get(key)

    async def set_async(self, key: str, value: Any, *, fresh_for: float, keep_for: float) -> None:
        """See `CacheBackend.set`."""
        self.set(key, value, fresh_for=fresh_for, keep_for=keep_for)

    async def delete_async(self, key: str) -> bool:
        """See `CacheBackend.delete`."""
        return self.delete(key)
