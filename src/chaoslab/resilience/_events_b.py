"""Events of the fallback, cache, hedging, degradation and queue strategies.

One frozen type per kind of event, emitted on an `EventBus` (the breaker,
retry, timeout, bulkhead and limiter events live in `_events.py`). Emitters
check `bus.active` first, so an unobserved strategy builds no event at all.

Example:
    >>> from chaoslab.observe import EventBus, EventRecorder
    >>> bus, recorder = EventBus(), EventRecorder()
    >>> _ = bus.subscribe(recorder)
    >>> bus.emit(CacheStaleServed(at=12.0, source="users", key="u1", age=90.0, error="OSError"))
    >>> recorder.events[0].kind
    'cache.stale_served'
"""

from __future__ import annotations

from dataclasses import dataclass

from chaoslab.observe import Event

__all__ = [
    "CacheHit",
    "CacheMiss",
    "CacheStaleServed",
    "DegradationModeChanged",
    "DependencyHealthChanged",
    "FallbackUsed",
    "HedgeLaunched",
    "HedgeWon",
    "QueueDeadLettered",
    "QueueDrained",
    "QueueSpilled",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackUsed(Event):
    """A fallback answered instead of the call; `reason` is the error type or "result"."""

    kind = "fallback.used"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheHit(Event):
    """A fresh cached value answered; `age` is its age in seconds."""

    kind = "cache.hit"
    key: str
    age: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheMiss(Event):
    """No fresh value: the source is called (once per key, however many callers wait)."""

    kind = "cache.miss"
    key: str
    has_stale: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheStaleServed(Event):
    """The source failed and a stale value answered instead."""

    kind = "cache.stale_served"
    key: str
    age: float
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgeLaunched(Event):
    """Attempt number `attempt` (1 = the first hedge) started; `after` = seconds since the call."""

    kind = "hedging.launched"
    attempt: int
    after: float


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgeWon(Event):
    """Attempt `attempt` (0 = the primary) answered first; `attempts` were started in all."""

    kind = "hedging.won"
    attempt: int
    attempts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DependencyHealthChanged(Event):
    """A registered dependency was marked up or down (after the hysteresis counts)."""

    kind = "degradation.dependency_changed"
    dependency: str
    healthy: bool
    criticality: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DegradationModeChanged(Event):
    """The degradation manager moved from `previous` to `mode`; `down` lists what is down."""

    kind = "degradation.mode_changed"
    previous: str
    mode: str
    down: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueSpilled(Event):
    """An item went past the memory tier, to "disk" or to "dead_letter" (both tiers full)."""

    kind = "queue.spilled"
    seq: int
    to: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueDeadLettered(Event):
    """An item was moved to the dead-letter file; `reason` is "overflow" or "failures"."""

    kind = "queue.dead_lettered"
    seq: int
    reason: str
    failures: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueDrained(Event):
    """A drain ended: `delivered` items handed over, `remaining` still queued."""

    kind = "queue.drained"
    delivered: int
    dead_lettered: int
    remaining: int
