"""The report's numbers: per-load totals, hypothesis, activities, recovery, comparison.

The journal keeps per-second slices, not raw latencies, so run-wide latency
figures are stated for what they are: the *median second's* p50 and p99,
and the *worst second's* p99 and max. Counts, error rate and throughput
are exact sums.

Example:
    >>> from chaoslab.report._data import MetricSlice
    >>> stats = load_stats([MetricSlice(t=0, requests=90, errors=9, throughput=90, p99=0.02),
    ...                     MetricSlice(t=1, requests=110, errors=1, throughput=110, p99=0.5)])
    >>> stats.requests, stats.error_rate, stats.throughput, stats.p99_worst
    (200, 0.05, 100.0, 0.5)
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from chaoslab.report._data import MetricSlice, Record, ReportData

__all__ = ["Comparison", "LoadStats", "compare", "load_stats", "summarize", "trim"]


@dataclass(frozen=True, slots=True)
class LoadStats:
    """Run-wide figures of one series (latencies in seconds)."""

    seconds: int
    requests: int
    errors: int
    error_rate: float
    throughput: float
    p50_median: float | None
    p99_median: float | None
    p99_worst: float | None
    max: float | None
    errors_by_kind: dict[str, int]


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _worst(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def trim(slices: Sequence[MetricSlice], end: float | None = None) -> list[MetricSlice]:
    """Drop or rescale the incomplete last slice.

    A last slice in which no request started only holds completions of the
    second before (slices count requests by their intended start); and when
    the run ended at `end`, part-way through the last slice, its throughput
    counts a fraction of a second. Unadjusted, either would read as a
    collapse at the end of every run. Under a quarter of a second is dropped,
    more is rescaled to a per-second rate.

    Example:
        >>> [s.t for s in trim([MetricSlice(t=0, requests=5), MetricSlice(t=1, throughput=2)])]
        [0.0]
        >>> trim([MetricSlice(t=0, requests=5, throughput=5)], end=0.5)[0].throughput
        10.0
    """
    out = list(slices)
    while out and out[-1].requests == 0:
        out.pop()
    if out and end is not None and out[-1].t < end < out[-1].t + 1:
        covered = end - out[-1].t
        last = out.pop()
        if covered >= 0.25:
            out.append(last.model_copy(update={"throughput": last.throughput / covered}))
    return out


def load_stats(slices: Sequence[MetricSlice], end: float | None = None) -> LoadStats:
    """Sum and summarise a series of slices (`trim`med at the run's `end`)."""
    slices = trim(slices, end)
    requests = sum(s.requests for s in slices)
    errors = sum(s.errors for s in slices)
    busy = [s for s in slices if s.requests or s.throughput]
    kinds: dict[str, int] = {}
    for s in slices:
        for kind, n in s.errors_by_kind.items():
            kinds[kind] = kinds.get(kind, 0) + n
    return LoadStats(
        seconds=len(slices),
        requests=requests,
        errors=errors,
        error_rate=errors / requests if requests else 0.0,
        throughput=sum(s.throughput for s in busy) / len(busy) if busy else 0.0,
        p50_median=_median([s.p50 for s in slices]),
        p99_median=_median([s.p99 for s in slices]),
        p99_worst=_worst([s.p99 for s in slices]),
        max=_worst([s.max for s in slices]),
        errors_by_kind=dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """One metric, here and in the baseline journal."""

    metric: str
    unit: str  # "latency" | "rate" | "throughput" | "seconds"
    baseline: float | None
    current: float | None
    higher_is_worse: bool

    @property
    def ratio(self) -> float | None:
        """current / baseline, when both are known and the baseline is not zero."""
        if self.baseline is None or self.current is None or self.baseline == 0:
            return None
        return self.current / self.baseline

    @property
    def worse(self) -> bool | None:
        """Whether this run did worse; None when unknown or within 5 % (noise)."""
        if self.baseline is None or self.current is None:
            return None
        if abs(self.current - self.baseline) <= 0.05 * max(abs(self.baseline), 1e-12):
            return None
        return (self.current > self.baseline) == self.higher_is_worse


def _all_slices(data: ReportData) -> list[MetricSlice]:
    end = data.metrics.duration
    return [s for load in data.metrics.loads for s in trim(load.slices, end)]


def compare(current: ReportData, baseline: ReportData) -> list[Comparison]:
    """This run against a baseline run: load figures, then recovery time per fault."""
    a, b = load_stats(_all_slices(current)), load_stats(_all_slices(baseline))
    rows = [
        Comparison("error rate", "rate", b.error_rate, a.error_rate, True),
        Comparison("throughput", "throughput", b.throughput, a.throughput, False),
        Comparison("p50 (median second)", "latency", b.p50_median, a.p50_median, True),
        Comparison("p99 (median second)", "latency", b.p99_median, a.p99_median, True),
        Comparison("p99 (worst second)", "latency", b.p99_worst, a.p99_worst, True),
        Comparison("max latency", "latency", b.max, a.max, True),
    ]
    before = {w.fault: w.recovery_time for w in baseline.metrics.recovery.windows}
    rows.extend(
        Comparison(f"recovery: {w.fault}", "seconds", before[w.fault], w.recovery_time, True)
        for w in current.metrics.recovery.windows
        if w.fault in before
    )
    return rows


def _state(state: Any) -> bool | None:
    return None if state is None else state.steady_state_met


def _record(record: Record, phase: str) -> dict[str, Any]:
    return {
        "name": record.name,
        "type": record.type,
        "phase": phase,
        "status": record.status,
        "duration": record.duration,
        "error": record.error,
    }


def summarize(data: ReportData, baseline: ReportData | None = None) -> dict[str, Any]:
    """The JSON summary: plain data, latencies in seconds, times in seconds since the start."""
    m = data.metrics
    during = data.steady_states.during
    out: dict[str, Any] = {
        "title": data.title,
        "status": data.status,
        "deviated": data.deviated,
        "start": data.start,
        "duration": data.duration,
        "seed": m.seed,
        "hypothesis": {
            "before": _state(data.steady_states.before),
            "after": _state(data.steady_states.after),
            "during_checks": len(during),
            "during_met": sum(1 for s in during if s.steady_state_met),
        },
        "activities": [_record(r, "method") for r in data.run]
        + [_record(r, "rollback") for r in data.rollbacks],
        "loads": [
            {
                "name": load.name,
                "target": load.target,
                "mode": load.mode,
                **asdict(load_stats(load.slices, m.duration)),
            }
            for load in m.loads
        ],
        "fault_windows": [w.model_dump() for w in m.fault_windows],
        "guard_rails": [g.model_dump() for g in m.guard_rails],
        "guard_trips": [e.model_dump() for e in m.guard_events],
        "recovery": m.recovery.model_dump(),
    }
    if baseline is not None:
        out["baseline"] = {
            "title": baseline.title,
            "start": baseline.start,
            "comparison": [
                {**asdict(c), "ratio": c.ratio, "worse": c.worse} for c in compare(data, baseline)
            ],
        }
    return out
