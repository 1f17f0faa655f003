"""Degradation manager: which dependencies are up, and what mode the service runs in.

Dependencies are registered with a health check (a sync or async callable
returning a bool; raising counts as unhealthy) and a criticality. A
dependency is marked *down* after `failure_threshold` consecutive failed
checks and *up* again only after `recovery_threshold` consecutive healthy
ones, so a flapping dependency does not flap the mode (hysteresis). The
mode follows from what is down:

    NORMAL     everything that matters is up (OPTIONAL ones may be down)
    DEGRADED   an IMPORTANT dependency is down
    MINIMAL    a CRITICAL dependency is down
    OFFLINE    every CRITICAL dependency is down

Modes move down and back up through the same rule; each change emits a
`DegradationModeChanged` event, each dependency flip a
`DependencyHealthChanged`. Checks run on demand (`check_all`,
`await check_all_async()`), from reports (`report(name, healthy)`), or
periodically on the clock (`await manager.run(interval)`).

Example:
    >>> manager = DegradationManager(failure_threshold=2, recovery_threshold=2)
    >>> manager.register("postgres", criticality=Criticality.CRITICAL)
    >>> manager.register("redis", criticality=Criticality.IMPORTANT)
    >>> manager.report("redis", healthy=False).name
    'NORMAL'
    >>> manager.report("redis", healthy=False).name
    'DEGRADED'
    >>> _ = manager.report("postgres", healthy=False)
    >>> manager.report("postgres", healthy=False).name
    'OFFLINE'
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace

from chaoslab.clock import Clock
from chaoslab.errors import ConfigError
from chaoslab.observe import Event, EventBus
from chaoslab.resilience._events_b import DegradationModeChanged, DependencyHealthChanged
from chaoslab.resilience._support import bus_of, resolve_clock

__all__ = [
    "Criticality",
    "DegradationManager",
    "DegradationMode",
    "DependencyStatus",
    "HealthCheck",
    "default_mode_policy",
]

HealthCheck = Callable[[], bool | Awaitable[bool]]


class Criticality(enum.Enum):
    """How much the service needs a dependency."""

    CRITICAL = "critical"
    IMPORTANT = "important"
    OPTIONAL = "optional"


class DegradationMode(enum.IntEnum):
    """Service modes, from fully working to down; ordered, so `mode >= DEGRADED` reads well."""

    NORMAL = 0
    DEGRADED = 1
    MINIMAL = 2
    OFFLINE = 3


@dataclass(frozen=True, slots=True)
class DependencyStatus:
    """A registered dependency's state after the hysteresis counts."""

    name: str
    criticality: Criticality
    healthy: bool = True
    failures: int = 0  # consecutive failed checks
    successes: int = 0  # consecutive healthy checks
    checked_at: float | None = None
    last_error: str | None = None


def default_mode_policy(statuses: Mapping[str, DependencyStatus]) -> DegradationMode:
    """The mode rule of the module docstring."""
    critical = [s for s in statuses.values() if s.criticality is Criticality.CRITICAL]
    critical_down = sum(not s.healthy for s in critical)
    if critical and critical_down == len(critical):
        return DegradationMode.OFFLINE
    if critical_down:
        return DegradationMode.MINIMAL
    if any(not s.healthy and s.criticality is Criticality.IMPORTANT for s in statuses.values()):
        return DegradationMode.DEGRADED
    return DegradationMode.NORMAL


class DegradationManager:
    """Tracks dependency health and derives the service mode; see the module docstring.

    Args:
        failure_threshold: consecutive failed checks that mark a dependency down.
        recovery_threshold: consecutive healthy checks that mark it up again.
        check_timeout: seconds (on the clock) an async check may take before
            it counts as failed; None = no limit. Sync checks are not bounded.
        policy: maps dependency statuses to a mode (default `default_mode_policy`).
        name: the `source` of events.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 1,
        recovery_threshold: int = 3,
        check_timeout: float | None = 5.0,
        policy: Callable[[Mapping[str, DependencyStatus]], DegradationMode] = default_mode_policy,
        name: str = "degradation",
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        problems = []
        if failure_threshold < 1:
            problems.append(("failure_threshold", f"must be >= 1, got {failure_threshold!r}"))
        if recovery_threshold < 1:
            problems.append(("recovery_threshold", f"must be >= 1, got {recovery_threshold!r}"))
        if check_timeout is not None and not check_timeout > 0:
            problems.append(("check_timeout", f"must be > 0 or None, got {check_timeout!r}"))
        if problems:
            raise ConfigError(problems)
        self.failure_threshold = failure_threshold
        self.recovery_threshold = recovery_threshold
        self.check_timeout = check_timeout
        self.policy = policy
        self.name = name
        self.clock = resolve_clock(clock)
        self._events = events
        self._lock = threading.Lock()
        self._status: dict[str, DependencyStatus] = {}
        self._checks: dict[str, HealthCheck | None] = {}
        self._mode = DegradationMode.NORMAL

    def __repr__(self) -> str:
        return f"DegradationManager(mode={self._mode.name}, dependencies={sorted(self._status)})"

    @property
    def mode(self) -> DegradationMode:
        """The current mode."""
        return self._mode

    def register(
        self,
        name: str,
        health_check: HealthCheck | None = None,
        *,
        criticality: Criticality = Criticality.IMPORTANT,
    ) -> None:
        """Add a dependency (assumed up until checks say otherwise)."""
        with self._lock:
            if name in self._status:
                raise ConfigError([("name", f"dependency {name!r} is already registered")])
            self._status[name] = DependencyStatus(name, criticality)
            self._checks[name] = health_check

    def unregister(self, name: str) -> DegradationMode:
        """Remove a dependency; the mode is recomputed without it."""
        with self._lock:
            self._status.pop(name, None)
            self._checks.pop(name, None)
        return self._recompute([])

    def status(self) -> dict[str, DependencyStatus]:
        """A snapshot of every dependency's status."""
        with self._lock:
            return dict(self._status)

    def is_available(self, name: str) -> bool:
        """True when `name` is registered and currently marked up."""
        status = self._status.get(name)
        return status is not None and status.healthy

    # -- feeding results ---------------------------------------------------------

    def report(self, name: str, *, healthy: bool, error: str | None = None) -> DegradationMode:
        """Record one check result for `name` (from a check, a call or a probe); return the mode."""
        now = self.clock.now()
        with self._lock:
            old = self._status.get(name)
            if old is None:
                raise ConfigError([("name", f"unknown dependency {name!r}")])
            new = self._next_status(old, healthy=healthy, error=error, now=now)
            self._status[name] = new
        events: list[Event] = []
        if new.healthy != old.healthy:
            events.append(
                DependencyHealthChanged(
                    at=now,
                    source=self.name,
                    dependency=name,
                    healthy=new.healthy,
                    criticality=new.criticality.value,
                )
            )
        return self._recompute(events)

    def _next_status(
        self, old: DependencyStatus, *, healthy: bool, error: str | None, now: float
    ) -> DependencyStatus:
        if healthy:
            successes = old.successes + 1
            up = old.healthy or successes >= self.recovery_threshold
            return replace(old, healthy=up, failures=0, successes=successes, checked_at=now)
        failures = old.failures + 1
        up = old.healthy and failures < self.failure_threshold
        return replace(
            old, healthy=up, failures=failures, successes=0, checked_at=now, last_error=error
        )

    def _recompute(self, events: list[Event]) -> DegradationMode:
        with self._lock:
            previous = self._mode
            mode = self.policy(self._status)
            self._mode = mode
            down = tuple(sorted(n for n, s in self._status.items() if not s.healthy))
        if mode != previous:
            events.append(
                DegradationModeChanged(
                    at=self.clock.now(),
                    source=self.name,
                    previous=previous.name,
                    mode=mode.name,
                    down=down,
                )
            )
        bus = bus_of(self._events)
        for event in events:
            bus.emit(event)
        return mode

    # -- running checks ------------------------------------------------------------

    def check(self, name: str) -> bool:
        """Run `name`'s sync health check once and record it; True if healthy."""
        check = self._checks.get(name)
        if check is None:
            raise ConfigError([("name", f"{name!r} has no health check")])
        error: str | None
        try:
            result = check()
        except Exception as exc:  # noqa: BLE001 - a raising check is an unhealthy dependency
            healthy, error = False, f"{type(exc).__name__}: {exc}"
        else:
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()  # never awaited: close it so Python does not warn
                raise TypeError(f"{name!r} has an async health check: use check_async()")
            healthy, error = bool(result), None if result else "check returned False"
        self.report(name, healthy=healthy, error=error)
        return healthy

    def check_all(self) -> DegradationMode:
        """Run every sync health check once; return the mode."""
        for name in [n for n, c in self._checks.items() if c is not None]:
            self.check(name)
        return self._mode

    async def check_async(self, name: str) -> bool:
        """Run `name`'s health check (sync or async) once, bounded by `check_timeout`."""
        check = self._checks.get(name)
        if check is None:
            raise ConfigError([("name", f"{name!r} has no health check")])
        error: str | None
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await self._bounded(result)
            healthy, error = bool(result), None if result else "check returned False"
        except Exception as exc:  # noqa: BLE001 - a raising check is an unhealthy dependency
            healthy, error = False, f"{type(exc).__name__}: {exc}"
        self.report(name, healthy=healthy, error=error)
        return healthy

    async def _bounded(self, awaitable: Awaitable[bool]) -> bool:
        task = asyncio.ensure_future(awaitable)
        if self.check_timeout is None:
            return await task
        timer = asyncio.ensure_future(self.clock.sleep_async(self.check_timeout))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (task, timer):
                if not pending.done():
                    pending.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await pending
        if task.cancelled():
            raise TimeoutError(f"health check took over {self.check_timeout:g} s")
        return task.result()

    async def check_all_async(self) -> DegradationMode:
        """Run every health check once, concurrently; return the mode."""
        names = [n for n, c in self._checks.items() if c is not None]
        await asyncio.gather(*(self.check_async(n) for n in names))
        return self._mode

    async def run(self, interval: float, *, rounds: int | None = None) -> None:
        """Check everything every `interval` seconds of the clock, `rounds` times (None = until
        cancelled). Start it as a task; cancel the task to stop.
        """
        if not interval > 0:
            raise ConfigError([("interval", f"must be > 0 seconds, got {interval!r}")])
        done = 0
        while rounds is None or done < rounds:
            await self.check_all_async()
            done += 1
            if rounds is None or done < rounds:
                await self.clock.sleep_async(interval)
