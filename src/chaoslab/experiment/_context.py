"""What a running experiment shares: clock, metrics, fault windows, handles.

Providers receive a `RunContext`; they find there the clock to sleep on,
the injector, the proxy URL, the services, the load driver and the metrics
store, and they record the fault windows they open and close.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from chaoslab.clock import Clock
from chaoslab.errors import ExperimentError
from chaoslab.experiment._journal import FaultWindow, LoadSeries, MetricSlice
from chaoslab.observe import EventBus

__all__ = [
    "ActivityFailed",
    "FaultTracker",
    "MetricsSource",
    "MetricsStore",
    "RunContext",
    "WindowStats",
]


class ActivityFailed(ExperimentError):
    """An activity failed; the run goes on (Chaos Toolkit's ActivityFailed)."""


@runtime_checkable
class MetricsSource(Protocol):
    """Per-second metrics of one load run; slice `t` is clock time (absolute)."""

    name: str
    target: str
    mode: str

    def slices(self) -> Sequence[MetricSlice]:
        """The slices so far, oldest first (the last one may still be filling)."""
        ...


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Load metrics merged over a time window.

    Percentiles over several slices are the worst slice's (conservative:
    per-second percentiles cannot be merged exactly without histograms).
    """

    requests: int
    errors: int
    throughput: float
    error_rate: float
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    max: float | None

    def get(self, metric: str) -> float | None:
        """A metric by its condition name (`error_rate`, `p99`, ...)."""
        value = getattr(self, metric)
        return None if value is None else float(value)


_PEAKS = ("p50", "p90", "p95", "p99", "max")


def _worst(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def merge(slices: Sequence[MetricSlice], seconds: float) -> WindowStats:
    """Merge slices covering `seconds` of time into one `WindowStats`."""
    requests = sum(s["requests"] for s in slices)
    errors = sum(s["errors"] for s in slices)
    return WindowStats(
        requests=requests,
        errors=errors,
        throughput=requests / seconds if seconds > 0 else 0.0,
        error_rate=errors / requests if requests else 0.0,
        **{k: _worst(s[k] for s in slices) for k in _PEAKS},  # type: ignore[literal-required]
    )


def combine(views: Sequence[WindowStats], seconds: float) -> WindowStats:
    """Combine several loads' stats: counts add up, percentiles take the worst."""
    requests = sum(v.requests for v in views)
    errors = sum(v.errors for v in views)
    return WindowStats(
        requests=requests,
        errors=errors,
        throughput=sum(v.throughput for v in views),
        error_rate=errors / requests if requests else 0.0,
        **{k: _worst(v.get(k) for v in views) for k in _PEAKS},
    )


class MetricsStore:
    """The load runs of an experiment, queried by time window."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self._sources: dict[str, MetricsSource] = {}

    def add(self, source: MetricsSource) -> None:
        """Track a load run's metrics (names are unique)."""
        self._sources[source.name] = source

    def names(self) -> list[str]:
        """The load runs known so far."""
        return list(self._sources)

    def _slices(self, load: str | None) -> list[MetricSlice]:
        if load is not None:
            if load not in self._sources:
                raise ExperimentError(f"no load run named {load!r} (known: {self.names()})")
            return list(self._sources[load].slices())
        return [s for src in self._sources.values() for s in src.slices()]

    def window(self, start: float, end: float, load: str | None = None) -> WindowStats:
        """Merge the slices that start in [start, end) (clock times)."""
        chosen = [s for s in self._slices(load) if start <= s["t"] < end]
        return merge(chosen, end - start)

    def last(self, seconds: float, now: float, load: str | None = None) -> WindowStats:
        """The complete slices of the last `seconds` before `now`."""
        chosen = [
            s for s in self._slices(load) if now - seconds - 1.0 < s["t"] and s["t"] + 1.0 <= now
        ]
        return merge(chosen, seconds)

    def live(self, now: float, window: float = 1.0, load: str | None = None) -> WindowStats:
        """Live metrics over the last `window` seconds, for guard rails.

        Sources with their own live view (requests still in flight counted
        with their age) give it; others give their last complete slice.
        """
        names = [load] if load is not None else self.names()
        views: list[WindowStats] = []
        for name in names:
            source = self._sources.get(name)
            if source is None:
                raise ExperimentError(f"no load run named {name!r} (known: {self.names()})")
            live = getattr(source, "live", None)
            views.append(live(window) if live is not None else self.last(window, now, name))
        return combine(views, window)

    def series(self) -> list[LoadSeries]:
        """The journal's `loads` (times relative to the run's start)."""
        return [
            {
                "name": src.name,
                "target": src.target,
                "mode": src.mode,
                "slices": [{**s, "t": round(s["t"] - self.t0, 6)} for s in src.slices()],
            }
            for src in self._sources.values()
        ]


class FaultTracker:
    """The fault windows of a run, with the blast radius's concurrency limit."""

    def __init__(self, clock: Clock, t0: float, max_concurrent: int | None = None) -> None:
        self._clock = clock
        self._t0 = t0
        self._max = max_concurrent
        self.windows: list[FaultWindow] = []
        self._open: dict[str, FaultWindow] = {}
        self.undo: dict[str, Callable[[], Any]] = {}

    def active(self) -> list[str]:
        """Names of the faults active now."""
        return list(self._open)

    def open(
        self, name: str, kind: str, target: str, activity: str, details: Mapping[str, Any]
    ) -> None:
        """Record a fault starting now; refuse past the concurrency limit."""
        if self._max is not None and len(self._open) >= self._max and name not in self._open:
            raise ExperimentError(
                f"blast radius: {name!r} would make {len(self._open) + 1} concurrent faults "
                f"(max-concurrent-faults is {self._max})"
            )
        window: FaultWindow = {
            "name": name,
            "kind": kind,
            "target": target,
            "start": round(self._clock.now() - self._t0, 6),
            "end": None,
            "activity": activity,
            "details": dict(details),
        }
        self.windows.append(window)
        self._open[name] = window

    def discard(self, name: str) -> None:
        """Forget a fault that never started (its injection failed)."""
        window = self._open.pop(name, None)
        self.undo.pop(name, None)
        if window is not None:
            self.windows.remove(window)

    def close(self, name: str) -> None:
        """Record a fault ending now (no-op if it is not open)."""
        window = self._open.pop(name, None)
        self.undo.pop(name, None)
        if window is not None:
            window["end"] = round(self._clock.now() - self._t0, 6)


@dataclass
class RunContext:
    """Everything providers share during one run."""

    clock: Clock
    t0: float
    events: EventBus
    metrics: MetricsStore
    faults: FaultTracker
    rng: random.Random
    seed: int | None = None
    proxy_url: str = "http://127.0.0.1:8474"
    proxy_server: Any = None
    injector: Any = None
    services: Mapping[str, Any] = field(default_factory=dict)
    targets: Mapping[str, Callable[[], Any]] = field(default_factory=dict)
    load_driver: Any = None
    loads: dict[str, Any] = field(default_factory=dict)
    injections: dict[str, Any] = field(default_factory=dict)
    configuration: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    activity: str = ""

    def elapsed(self) -> float:
        """Seconds since the run started, on its clock."""
        return self.clock.now() - self.t0
