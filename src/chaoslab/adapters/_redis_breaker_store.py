"""`RedisBreakerStore`: circuit-breaker state shared between processes through Redis.

Consistency model:

- **Atomic saves.** A save is one Lua script: the state, the failure count,
  the end of the open period and a version number are written together, so
  a reader never sees half of one save and half of another.
- **One clock.** The end of the open period is stored as an absolute time on
  the Redis server's clock (`TIME`, read inside the script), and a load
  turns it back into "seconds left" on the same clock. Processes never
  compare their own monotonic clocks, which mean nothing to each other.
- **Last save wins.** Saves are ordered by Redis; a breaker saves only when
  its state changes, so the stored snapshot is the latest transition any
  process made. Breakers adopt it when built and on `refresh()` (not on
  every call: a shared breaker costs no Redis round trip per call).
- **Redis down never breaks the breaker.** A failed save or load is counted
  (`errors`), reported as a `BreakerStoreFailed` event, and otherwise
  ignored: each breaker keeps working on its own state, and publishes it
  again at its next transition. Give the client a short `socket_timeout`:
  saves run while the breaker holds its lock.

Example:
    >>> import redis
    >>> store = RedisBreakerStore(redis.Redis(socket_timeout=0.2), prefix="app:breaker:")
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import redis

from chaoslab.clock import Clock, SystemClock
from chaoslab.observe import Event, EventBus, default_bus
from chaoslab.resilience import BreakerSnapshot, CircuitState

__all__ = ["BreakerStoreFailed", "RedisBreakerStore"]

# KEYS[1]: the breaker's hash. ARGV: state, failures, open_remaining_ms, ttl_ms.
_SAVE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local remaining = tonumber(ARGV[3])
local open_until = 0
if remaining > 0 then open_until = now + remaining end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'failures', ARGV[2],
           'open_until', open_until, 'saved_at', now)
if tonumber(ARGV[4]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return version
"""

# Returns {state, failures, open_remaining_ms, version} or nil.
_LOAD = """
local h = redis.call('HMGET', KEYS[1], 'state', 'failures', 'open_until', 'version')
if not h[1] then return nil end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local open_until = tonumber(h[3])
local remaining = 0
if open_until > now then remaining = open_until - now end
return {h[1], h[2], remaining, h[4]}
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerStoreFailed(Event):
    """A save or load of shared breaker state failed (Redis unreachable)."""

    kind: ClassVar[str] = "breaker.store_failed"
    operation: str
    error: str


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBreakerStore:
    """A `BreakerStore` on Redis: breakers with the same name share one state.

    Args:
        client: a sync `redis.Redis` (breakers save from any thread or task).
        prefix: prepended to the breaker name to make its key.
        ttl: seconds a snapshot is kept after its last save (None: forever),
            so breakers that disappeared leave nothing behind.
        events: where `BreakerStoreFailed` goes (default bus if None).
        clock: timestamps the events (the stored times are Redis's own).

    Example:
        >>> from chaoslab.resilience import CircuitBreaker
        >>> store = RedisBreakerStore(redis.Redis(socket_timeout=0.2))
        >>> def make() -> CircuitBreaker:
        ...     return CircuitBreaker("payments", store=store)
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "chaoslab:breaker:",
        ttl: float | None = 86_400.0,
        events: EventBus | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.clock = clock if clock is not None else SystemClock()
        self.prefix = prefix
        self.ttl = ttl
        self._events = events
        self._save = client.register_script(_SAVE)
        self._load = client.register_script(_LOAD)
        self._lock = threading.Lock()
        self.errors = 0
        self.last_error: BaseException | None = None

    def key(self, name: str) -> str:
        """The Redis key holding breaker `name`."""
        return self.prefix + name

    def save(self, name: str, snapshot: BreakerSnapshot) -> None:
        """Publish `snapshot` as the shared state of breaker `name` (atomic)."""
        remaining_ms = math.ceil(snapshot.open_remaining * 1000)
        ttl_ms = math.ceil(self.ttl * 1000) if self.ttl is not None else 0
        args = [snapshot.state.value, snapshot.consecutive_failures, remaining_ms, ttl_ms]
        try:
            self._save(keys=[self.key(name)], args=args)
        except (redis.RedisError, OSError) as exc:
            self._failed("save", name, exc)

    def load(self, name: str) -> BreakerSnapshot | None:
        """The shared state of breaker `name`, its open period aged on Redis's clock."""
        try:
            found = self._load(keys=[self.key(name)])
        except (redis.RedisError, OSError) as exc:
            self._failed("load", name, exc)
            return None
        if found is None:
            return None
        state, failures, remaining_ms, _version = found
        return BreakerSnapshot(
            CircuitState(_text(state)), int(_text(failures)), int(remaining_ms) / 1000
        )

    def version(self, name: str) -> int:
        """How many saves breaker `name` has had (0 if none): a cheap change check."""
        value = self.client.hget(self.key(name), "version")
        return int(_text(value)) if value is not None else 0

    def _failed(self, operation: str, name: str, exc: BaseException) -> None:
        with self._lock:
            self.errors += 1
            self.last_error = exc
        bus = self._events if self._events is not None else default_bus()
        bus.emit(
            BreakerStoreFailed(
                at=self.clock.now(), source=name, operation=operation, error=repr(exc)
            )
        )
