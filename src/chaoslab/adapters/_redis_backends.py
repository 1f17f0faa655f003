"""Redis storage for chaoslab's strategies: a cache backend, a fallback, a breaker store.

- `RedisCacheBackend` keeps a `chaoslab.resilience.Cache`'s entries in Redis,
  sync (`redis.Redis`) and asyncio (`redis.asyncio.Redis`). Values are JSON
  by default: readable by any service and any language, and loading them can
  never run code, which matters for a store that other processes write.
  `codec="pickle"` takes any Python value, for a Redis only you can write to.
  Redis keeps the expiry (`SET ... PX keep_for`); the age of an entry comes
  from its remaining TTL, so no clock is shared between processes.
- `FallbackBackend(primary, secondary)` serves from the secondary (memory)
  while the primary (Redis) fails, and goes back to the primary once a
  cooldown on the clock has passed and the primary answers again.
- `RedisBreakerStore` shares circuit-breaker state between processes (see its
  docstring for the consistency model).

Example:
    >>> import redis
    >>> from chaoslab.resilience import Cache, MemoryBackend
    >>> backend = FallbackBackend(RedisCacheBackend(redis.Redis()), MemoryBackend())
    >>> cache = Cache(ttl=30, backend=backend)
"""

from __future__ import annotations

import json
import math
import pickle
import threading
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import redis
import redis.asyncio

from chaoslab.clock import Clock, SystemClock
from chaoslab.errors import ConfigError
from chaoslab.observe import Event, EventBus, default_bus
from chaoslab.resilience import CacheBackend, CacheEntry

__all__ = [
    "CacheBackendFailedOver",
    "CacheBackendRestored",
    "FallbackBackend",
    "RedisCacheBackend",
]

Codec = Literal["json", "pickle"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheBackendFailedOver(Event):
    """The primary backend failed; the secondary serves until it is back."""

    kind: ClassVar[str] = "cache.backend_failed_over"
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheBackendRestored(Event):
    """The primary backend answered again after a failover."""

    kind: ClassVar[str] = "cache.backend_restored"
    down_for: float


def _encode(codec: Codec, value: Any, fresh_for: float, keep_for: float) -> bytes:
    if codec == "pickle":
        return pickle.dumps((value, fresh_for, keep_for), protocol=pickle.HIGHEST_PROTOCOL)
    keep = keep_for if math.isfinite(keep_for) else None  # JSON has no infinity
    return json.dumps({"v": value, "f": fresh_for, "k": keep}, separators=(",", ":")).encode()


def _decode(codec: Codec, data: bytes) -> tuple[Any, float, float]:
    if codec == "pickle":
        value, fresh_for, keep_for = pickle.loads(data)  # noqa: S301 - opt-in, documented
        return value, float(fresh_for), float(keep_for)
    doc = json.loads(data)
    keep = doc["k"]
    return doc["v"], float(doc["f"]), math.inf if keep is None else float(keep)


def _entry(codec: Codec, data: bytes | None, pttl: int) -> CacheEntry | None:
    if data is None or pttl == -2:  # missing, or expired between GET and PTTL
        return None
    value, fresh_for, keep_for = _decode(codec, data)
    # A key with no expiry (-1) was kept forever: its age is unknown, call it fresh-born.
    age = 0.0 if pttl < 0 or not math.isfinite(keep_for) else max(0.0, keep_for - pttl / 1000)
    return CacheEntry(value, age, fresh_for, keep_for)


def _px(keep_for: float) -> int | None:
    return max(1, math.ceil(keep_for * 1000)) if math.isfinite(keep_for) else None


class RedisCacheBackend:
    """A `CacheBackend` on Redis (sync client, asyncio client, or both).

    Args:
        client: a `redis.Redis` for `get`/`set`/`delete`.
        async_client: a `redis.asyncio.Redis` for the `*_async` methods.
        prefix: prepended to every key, so caches can share a database.
        codec: `"json"` (default; values must be JSON data: tuples come back
            as lists) or `"pickle"` (any value; only for a Redis you trust,
            and a client without `decode_responses`).

    Redis errors (`redis.RedisError`) propagate: wrap the backend in a
    `FallbackBackend` to keep serving from memory while Redis is down.

    Example:
        >>> backend = RedisCacheBackend(redis.Redis(), prefix="app:cache:")
    """

    __slots__ = ("async_client", "client", "codec", "prefix")

    def __init__(
        self,
        client: redis.Redis | None = None,
        *,
        async_client: redis.asyncio.Redis | None = None,
        prefix: str = "chaoslab:cache:",
        codec: Codec = "json",
    ) -> None:
        if client is None and async_client is None:
            raise ConfigError([("client", "give a redis.Redis, a redis.asyncio.Redis, or both")])
        if codec not in ("json", "pickle"):
            raise ConfigError([("codec", f"must be 'json' or 'pickle', got {codec!r}")])
        self.client = client
        self.async_client = async_client
        self.prefix = prefix
        self.codec: Codec = codec

    def _sync(self) -> redis.Redis:
        if self.client is None:
            raise ConfigError([("client", "this backend has no sync client; use the *_async API")])
        return self.client

    def _async(self) -> redis.asyncio.Redis:
        if self.async_client is None:
            raise ConfigError([("async_client", "this backend has no asyncio client")])
        return self.async_client

    def get(self, key: str) -> CacheEntry | None:
        """See `CacheBackend.get`: GET and PTTL in one MULTI/EXEC."""
        with self._sync().pipeline(transaction=True) as pipe:
            pipe.get(self.prefix + key)
            pipe.pttl(self.prefix + key)
            data, pttl = pipe.execute()
        return _entry(self.codec, data, int(pttl))

    def set(self, key: str, value: Any, *, fresh_for: float, keep_for: float) -> None:
        """See `CacheBackend.set`: one SET with the expiry kept by Redis."""
        keep_for = max(keep_for, fresh_for)
        payload = _encode(self.codec, value, fresh_for, keep_for)
        self._sync().set(self.prefix + key, payload, px=_px(keep_for))

    def delete(self, key: str) -> bool:
        """See `CacheBackend.delete`."""
        return bool(self._sync().delete(self.prefix + key))

    async def get_async(self, key: str) -> CacheEntry | None:
        """See `CacheBackend.get`."""
        async with self._async().pipeline(transaction=True) as pipe:
            pipe.get(self.prefix + key)
            pipe.pttl(self.prefix + key)
            data, pttl = await pipe.execute()
        return _entry(self.codec, data, int(pttl))

    async def set_async(self, key: str, value: Any, *, fresh_for: float, keep_for: float) -> None:
        """See `CacheBackend.set`."""
        keep_for = max(keep_for, fresh_for)
        payload = _encode(self.codec, value, fresh_for, keep_for)
        await self._async().set(self.prefix + key, payload, px=_px(keep_for))

    async def delete_async(self, key: str) -> bool:
        """See `CacheBackend.delete`."""
        return bool(await self._async().delete(self.prefix + key))


#: What `FallbackBackend` treats as "the primary is down" by default.
BACKEND_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError)


class FallbackBackend:
    """A `CacheBackend` that serves from `secondary` while `primary` fails.

    Reads go to the primary; when it raises one of `errors`, the read is
    answered by the secondary, and the primary is left alone for `cooldown`
    seconds on the clock, so a dead Redis costs one failed call, not one per
    read. Writes go to both (the secondary is kept warm for the next outage);
    a failing primary write is skipped. After the cooldown the next call tries
    the primary again, and uses it as soon as it answers.

    Events: `CacheBackendFailedOver`, `CacheBackendRestored`.

    Example:
        >>> from chaoslab.resilience import MemoryBackend
        >>> fallback = FallbackBackend(MemoryBackend(), MemoryBackend(), cooldown=5)
        >>> fallback.set("k", 1, fresh_for=1, keep_for=1)
        >>> fallback.get("k").value, fallback.using_primary
        (1, True)
    """

    def __init__(
        self,
        primary: CacheBackend,
        secondary: CacheBackend,
        *,
        errors: tuple[type[BaseException], ...] = BACKEND_ERRORS,
        cooldown: float = 1.0,
        name: str = "cache-backend",
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        if not cooldown >= 0:
            raise ConfigError([("cooldown", f"must be >= 0 seconds, got {cooldown!r}")])
        self.primary = primary
        self.secondary = secondary
        self.errors = errors
        self.cooldown = cooldown
        self.name = name
        self.clock = clock if clock is not None else SystemClock()
        self._events = events
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = -math.inf
        self.failovers = 0

    @property
    def using_primary(self) -> bool:
        """False while the primary is considered down (within the cooldown)."""
        return self._down_since is None

    def _try_primary(self) -> bool:
        return self.clock.now() >= self._retry_at

    def _failed(self, exc: BaseException) -> None:
        now = self.clock.now()
        with self._lock:
            self._retry_at = now + self.cooldown
            first = self._down_since is None
            if first:
                self._down_since = now
                self.failovers += 1
        if first:
            self._emit(CacheBackendFailedOver(at=now, source=self.name, error=repr(exc)))

    def _succeeded(self) -> None:
        if self._down_since is None:
            return
        now = self.clock.now()
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            self._emit(CacheBackendRestored(at=now, source=self.name, down_for=now - since))

    def _emit(self, event: Event) -> None:
        bus = self._events if self._events is not None else default_bus()
        bus.emit(event)

    def get(self, key: str) -> CacheEntry | None:
        """The primary's entry; the secondary's while the primary is down."""
        if self._try_primary():
            try:
                entry = self.primary.get(key)
            except self.errors as exc:
                self._failed(exc)
            else:
                self._succeeded()
                return entry
        return self.secondary.get(key)

    def set(self, key: str, value: Any, *, fresh_for: float, keep_for: float) -> None:
        """Store in the secondary, and in the primary unless it is down."""
        self.secondary.set(key, value, fresh_for=fresh_for, keep_for=keep_for)
        if self._try_primary():
            try:
                self.primary.set(key, value, fresh_for=fresh_for, keep_for=keep_for)
            except self.errors as exc:
                self._failed(exc)
            else:
                self._succeeded()

    def delete(self, key: str) -> bool:
        """Forget `key` in both; True if either had it."""
        held = self.secondary.delete(key)
        if self._try_primary():
            try:
                held = self.primary.delete(key) or held
            except self.errors as exc:
                self._failed(exc)
            else:
                self._succeeded()
        return held

    async def get_async(self, key: str) -> CacheEntry | None:
        """See `get`."""
        if self._try_primary():
            try:
                entry = await self.primary.get_async(key)
            except self.errors as exc:
                self._failed(exc)
            else:
                self._succeeded()
                return entry
        return await self.secondary.get_async(key)

    async def set_async(self, key: str, value: Any, *, fresh_for: float, keep_for: float) -> None:
        """See `set`."""
        await self.secondary.set_async(key, value, fresh_for=fresh_for, keep_for=keep_for)
        if self._try_primary():
            try:
                await self.primary.set_async(key, value, fresh_for=fresh_for, keep_for=keep_for)
            except self.errors as exc:
                self._failed(exc)
            else:
                self._succeeded()

    async def delete_async(self, key: str) -> bool:
        """See `delete`."""
        held = await self.secondary.delete_async(key)
        if self._try_primary():
            try:
                held = await self.primary.delete_async(key) or held
            except self.errors as exc:
                self._failed(exc)
            else:
                self._succeeded()
        return held
