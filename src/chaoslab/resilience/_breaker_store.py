"""Where a breaker's state is kept: the `BreakerStore` hook and the in-memory store."""

from __future__ import annotations

import threading
from typing import Protocol

from chaoslab.clock import Clock
from chaoslab.resilience._breaker_state import BreakerSnapshot
from chaoslab.resilience._support import resolve_clock

__all__ = ["BreakerStore", "MemoryBreakerStore"]


class BreakerStore(Protocol):
    """Where a breaker's `BreakerSnapshot` is kept, to survive restarts or be shared.

    The breaker loads once when built (and on `refresh()`), and saves after
    every state change, never per call.
    """

    def load(self, name: str) -> BreakerSnapshot | None:
        """The stored snapshot of breaker `name`, if any."""
        ...

    def save(self, name: str, snapshot: BreakerSnapshot) -> None:
        """Store the snapshot of breaker `name`."""
        ...


class MemoryBreakerStore:
    """A dict-backed store, shared by the breakers given the same instance.

    A snapshot's `open_remaining` is aged by the clock time between save and
    load (a store shared between processes would age it by wall time).

    Example:
        >>> from chaoslab.resilience import CircuitBreaker
        >>> store = MemoryBreakerStore()
        >>> CircuitBreaker("db", store=store).force_open()
        >>> CircuitBreaker("db", store=store).state
        <CircuitState.FORCED_OPEN: 'forced_open'>
    """

    __slots__ = ("_clock", "_data", "_lock")

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = resolve_clock(clock)
        self._data: dict[str, tuple[BreakerSnapshot, float]] = {}
        self._lock = threading.Lock()

    def load(self, name: str) -> BreakerSnapshot | None:
        """The snapshot saved under `name`, its open period aged to now."""
        with self._lock:
            saved = self._data.get(name)
        if saved is None:
            return None
        snapshot, at = saved
        if snapshot.open_remaining <= 0:
            return snapshot
        left = max(0.0, snapshot.open_remaining - (self._clock.now() - at))
        return BreakerSnapshot(snapshot.state, snapshot.consecutive_failures, left)

    def save(self, name: str, snapshot: BreakerSnapshot) -> None:
        """Keep `snapshot` under `name`."""
        now = self._clock.now()
        with self._lock:
            self._data[name] = (snapshot, now)
