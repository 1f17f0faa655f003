"""The fault injector: which faults fire, at which point, on which call.

A `FaultInjector` holds injections (target + fault + schedule), decides on
each call at a named injection point which faults fire, counts calls and
faults per point, and records every decision as an event with the clock's
timestamp. All random draws come from one generator seeded by the injector,
so the same seed replays the same faults for the same sequence of calls.

Example:
    >>> from chaoslab.faults import Error, FirstN
    >>> chaos = FaultInjector(seed=42)
    >>> with chaos.inject("llm.*", Error(TimeoutError), FirstN(1)):
    ...     first, second = chaos.fire("llm.complete"), chaos.fire("llm.complete")
    >>> [f.kind for f in first], second
    (['error'], ())
"""

from __future__ import annotations

import contextlib
import itertools
import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from chaoslab.clock import Clock, SystemClock
from chaoslab.errors import UnsupportedFaultError
from chaoslab.faults import Always, Fault, Latency, Schedule, Target, Tick
from chaoslab.inject._events import FaultInjected, InjectionAdded, InjectionRemoved
from chaoslab.observe import Event, EventBus, EventRecorder, default_bus

if TYPE_CHECKING:
    from chaoslab.inject._points import InjectionPoint

__all__ = ["FaultInjector", "Injection", "PointStats"]


@dataclass(frozen=True, slots=True)
class PointStats:
    """What one injection point has seen: calls, and faults fired by kind."""

    calls: int
    faults: dict[str, int]

    @property
    def injected(self) -> int:
        """Faults fired in all."""
        return sum(self.faults.values())


class Injection:
    """One active injection; a handle that is also a context manager.

    Leaving the `with` block, or calling `remove()`, ends it.
    """

    __slots__ = (
        "_fired",
        "_injector",
        "_matches",
        "active",
        "calls",
        "fault",
        "name",
        "schedule",
        "started_at",
        "target",
    )

    def __init__(  # noqa: PLR0917 - built only by FaultInjector.inject
        self,
        injector: FaultInjector,
        name: str,
        target: Target,
        fault: Fault,
        schedule: Schedule,
        started_at: float,
    ) -> None:
        self._injector = injector
        self.name = name
        self.target = target
        self.fault = fault
        self.schedule = schedule
        self.started_at = started_at
        self.calls = 0
        self._fired = 0
        self._matches: dict[str, bool] = {}
        self.active = True

    @property
    def fired(self) -> int:
        """How many times the fault fired."""
        return self._fired

    def matches(self, point: str) -> bool:
        """Whether this injection targets `point` (memoised per name)."""
        hit = self._matches.get(point)
        if hit is None:
            hit = self._matches[point] = self.target.matches(point)
        return hit

    def remove(self) -> None:
        """End the injection (idempotent)."""
        self._injector._remove(self)

    def __enter__(self) -> Injection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def __repr__(self) -> str:
        return (
            f"Injection({self.name!r}, target={str(self.target)!r}, "
            f"fault={self.fault.describe()!r}, schedule={self.schedule.describe()!r})"
        )


class FaultInjector:
    """Decides, records and counts faults at named injection points.

    Thread-safe and task-safe: decisions are taken under one lock that never
    spans a call, a sleep or an await.

    Args:
        seed: seeds the injector's generator; None picks one at random and
            keeps it in `seed` so that the run can be replayed.
        clock: the clock for timestamps, windows and latencies.
        events: the bus events go to besides the injector's own `recorder`.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        self.seed: int = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self.rng = random.Random(self.seed)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.events = events if events is not None else default_bus()
        self.recorder = EventRecorder()
        self.started_at = self.clock.now()
        self._lock = threading.Lock()
        self._injections: tuple[Injection, ...] = ()
        self._names = itertools.count(1)
        self._calls: dict[str, itertools.count[int]] = {}
        self._faults: dict[str, Counter[str]] = {}
        self._supports: dict[str, frozenset[type[Fault]]] = {}

    def __repr__(self) -> str:
        return f"FaultInjector(seed={self.seed}, injections={len(self._injections)})"

    # -- configuration -------------------------------------------------

    def register(self, name: str, supports: frozenset[type[Fault]] | None = None) -> None:
        """Declare an injection point and the faults it can apply.

        Injecting a fault into a point that cannot apply it fails at once with
        `UnsupportedFaultError` rather than misbehaving later.
        """
        with self._lock:
            if supports is not None:
                self._supports[name] = supports
            self._calls.setdefault(name, itertools.count())

    def inject(
        self,
        target: Target | str,
        fault: Fault,
        schedule: Schedule | None = None,
        *,
        name: str | None = None,
    ) -> Injection:
        """Start injecting `fault` at the points `target` matches, when `schedule` says.

        Returns the `Injection`, which ends when its `with` block does.
        """
        from chaoslab.inject._points import declared_families, declared_supports, may_match_prefix

        target = Target.of(target)
        schedule = schedule if schedule is not None else Always()
        if not isinstance(fault, Fault):
            raise TypeError(f"fault must be a chaoslab.faults.Fault, got {fault!r}")
        with self._lock:
            supports = {**declared_supports(), **self._supports}
            for point, allowed in supports.items():
                if target.matches(point) and type(fault) not in allowed:
                    names = ", ".join(sorted(f.kind for f in allowed))
                    raise UnsupportedFaultError(
                        [("fault", f"{point!r} cannot apply {fault.kind!r}; it supports: {names}")]
                    )
            for prefix, allowed in declared_families().items():
                if type(fault) not in allowed and any(
                    may_match_prefix(p, prefix) for p in target.patterns
                ):
                    names = ", ".join(sorted(f.kind for f in allowed))
                    problem = f"'{prefix}*' cannot apply {fault.kind!r}; it supports: {names}"
                    raise UnsupportedFaultError([("fault", problem)])
            label = name or f"{fault.kind}-{next(self._names)}"
            injection = Injection(self, label, target, fault, schedule, self.clock.now())
            self._injections = (*self._injections, injection)
        self._emit(
            InjectionAdded(
                at=injection.started_at,
                source=label,
                target=str(target),
                fault=fault.describe(),
                schedule=schedule.describe(),
            )
        )
        return injection

    def _remove(self, injection: Injection) -> None:
        with self._lock:
            if not injection.active:
                return
            injection.active = False
            self._injections = tuple(i for i in self._injections if i is not injection)
        self._emit(
            InjectionRemoved(
                at=self.clock.now(),
                source=injection.name,
                calls=injection.calls,
                fired=injection.fired,
            )
        )

    def clear(self) -> None:
        """End every injection."""
        for injection in self._injections:
            injection.remove()

    @property
    def injections(self) -> tuple[Injection, ...]:
        """The active injections, oldest first."""
        return self._injections

    # -- the decision --------------------------------------------------

    def fire(self, point: str) -> tuple[Fault, ...]:
        """Decide which faults fire for one call at `point`, and count the call.

        Latency jitter is drawn here, so the returned faults carry the exact
        delay to apply.
        """
        counter = self._calls.get(point)
        if counter is None:
            counter = self._calls.setdefault(point, itertools.count())
        next(counter)  # atomic under the GIL: the inactive path takes no lock
        # Lock-free early exit when nothing targets this point (memoised glob
        # matches): an active injector costs little at untargeted points.
        for injection in self._injections:
            if injection.matches(point):
                break
        else:
            return ()
        fired: list[Fault] = []
        events: list[Event] = []
        with self._lock:
            now = self.clock.now()
            for injection in self._injections:
                if not injection.matches(point):
                    continue
                injection.calls += 1
                tick = Tick(injection.calls, now - injection.started_at, self.rng)
                if not injection.schedule.fires(tick):
                    continue
                injection._fired += 1
                fault = self._resolve(injection.fault)
                fired.append(fault)
                self._faults.setdefault(point, Counter())[fault.kind] += 1
                events.append(
                    FaultInjected(
                        at=now,
                        source=point,
                        fault=fault.describe(),
                        fault_kind=fault.kind,
                        injection=injection.name,
                        call=injection.calls,
                    )
                )
        for event in events:
            self._emit(event)
        return tuple(fired)

    def _resolve(self, fault: Fault) -> Fault:
        # Called with the lock held, so draws happen in a replayable order.
        if isinstance(fault, Latency) and (fault.jitter or fault.distribution == "exponential"):
            return Latency(fault.sample(self.rng))
        return fault

    # -- what happened -------------------------------------------------

    def stats(self, point: str) -> PointStats:
        """Calls seen and faults fired at one point."""
        counter = self._calls.get(point)
        # itertools.count cannot be read without advancing it; its repr can.
        calls = int(repr(counter)[6:-1]) if counter is not None else 0
        return PointStats(calls=calls, faults=dict(self._faults.get(point, {})))

    def all_stats(self) -> dict[str, PointStats]:
        """Statistics for every point seen so far."""
        return {name: self.stats(name) for name in sorted(self._calls)}

    def timeline(self) -> list[str]:
        """The recorded events as readable lines, for failure reports."""
        lines = []
        for event in self.recorder.events:
            data = event.to_dict()
            offset = event.at - self.started_at
            detail = "  ".join(
                f"{k}={v}" for k, v in data.items() if k not in ("kind", "at", "source")
            )
            lines.append(f"+{offset:9.3f}s  {event.kind:<24} {event.source:<24} {detail}")
        return lines

    def _emit(self, event: Event) -> None:
        self.recorder(event)
        self.events.emit(event)

    # -- process-wide activation ---------------------------------------

    @contextlib.contextmanager
    def activate(self) -> Iterator[FaultInjector]:
        """Make this the injector that `@injectable` points consult, for a block.

        The previous one is restored afterwards, and every injection made
        through this injector during the block is cleared.
        """
        from chaoslab.inject._points import _swap_current

        previous = _swap_current(self)
        try:
            yield self
        finally:
            self.clear()
            _swap_current(previous)

    def point(self, name: str, supports: frozenset[type[Fault]] | None = None) -> InjectionPoint:
        """An injection point bound to this injector (a decorator and a block)."""
        from chaoslab.inject._points import InjectionPoint

        self.register(name, supports)
        return InjectionPoint(name, supports=supports, injector=self)
