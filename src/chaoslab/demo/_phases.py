"""The demo's summary: the run cut into phases, each with its load figures and answer sources.

Phases come from the journal: the baseline (before the first fault), each
fault window, and the recovery after each fault (until the next fault or
the end of the method). A one-second slice that overlaps a fault window
counts for the fault. Load figures come from the journal's per-second slices, stated as
the report states them (`chaoslab.report.load_stats`: p50 of the median
second, p99 of the worst second); the sources of the answers come from the
demo's traffic, which read them in each response.

Example:
    >>> journal = {"chaoslab": {"duration": 4.0, "fault_windows": [
    ...     {"name": "proxy:redis:slow", "activity": "redis-latency", "start": 2.0, "end": 3.0}],
    ...     "loads": [], "recovery": {"windows": []}}}
    >>> [(p.name, p.start, p.end) for p in phases(journal)]
    [('baseline', 0.0, 2.0), ('redis-latency', 2.0, 3.0), ('after redis-latency', 3.0, 4.0)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaoslab.demo._traffic import Answered

__all__ = ["SOURCES", "Phase", "PhaseRow", "phase_rows", "phases"]

SOURCES = ("redis", "memory", "llm", "stale", "error")


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of the run, in seconds since its start; `fault` is the fault window's name."""

    name: str
    start: float
    end: float
    fault: str | None = None


@dataclass(frozen=True, slots=True)
class PhaseRow:
    """One line of the summary table."""

    phase: Phase
    requests: int
    error_rate: float
    p50: float | None
    p99: float | None
    sources: Mapping[str, int] = field(default_factory=dict)
    recovery_time: float | None = None
    recovered: bool | None = None

    def share(self, source: str) -> float:
        """The fraction of answered requests of this phase that `source` served."""
        total = sum(self.sources.values())
        return self.sources.get(source, 0) / total if total else 0.0


def _method_end(section: Mapping[str, Any]) -> float:
    """When the method ended: the after-hypothesis or the rollbacks begin, else the run's end.

    What follows (probes, rollbacks, stopping the load) is bookkeeping,
    not the service's recovery, so the last phase stops there.
    """
    after = [
        float(entry["start"])
        for entry in section.get("timeline", [])
        if entry.get("phase") in ("hypothesis-after", "rollback")
    ]
    return min(after) if after else float(section.get("duration") or 0.0)


def phases(journal: Mapping[str, Any]) -> list[Phase]:
    """Baseline, then each fault window and the recovery after it, until the method's end."""
    section = journal["chaoslab"]
    end = _method_end(section)
    windows = sorted(section.get("fault_windows", []), key=lambda w: w["start"])
    out: list[Phase] = []
    cursor = 0.0
    for index, window in enumerate(windows):
        start = float(window["start"])
        stop = float(window["end"] if window.get("end") is not None else end)
        label = window.get("activity") or window["name"]
        if start > cursor:
            name = "baseline" if index == 0 else f"after {out[-1].name}"
            out.append(Phase(name, cursor, start))
        out.append(Phase(label, start, stop, fault=window["name"]))
        cursor = stop
    if end > cursor:
        out.append(Phase("baseline" if not windows else f"after {out[-1].name}", cursor, end))
    return out


def _phase_of(t: float, cut: Sequence[Phase]) -> int | None:
    """The phase a one-second slice starting at `t` belongs to.

    A slice that overlaps a fault window belongs to that fault: its requests
    met the fault for part of their second, and a fault's effects must not
    leak into the calm phases around it. Any other slice belongs to the
    phase its middle falls in.
    """
    for index, phase in enumerate(cut):
        if phase.fault is not None and t < phase.end and t + 1 > phase.start:
            return index
    middle = t + 0.5
    return next((i for i, p in enumerate(cut) if p.start <= middle < p.end), None)


def phase_rows(
    journal: Mapping[str, Any], answers: Sequence[Answered] = (), *, origin: float = 0.0
) -> list[PhaseRow]:
    """The summary table: per phase, the load's figures and where the answers came from.

    `answers` are the traffic's records, on the clock whose reading at the
    run's start is `origin`.
    """
    from chaoslab.report import load_stats
    from chaoslab.report._data import MetricSlice

    section = journal["chaoslab"]
    duration = float(section.get("duration") or 0.0)
    slices = [s for load in section.get("loads", []) for s in load.get("slices", [])]
    recovery = {w["fault"]: w for w in section.get("recovery", {}).get("windows", [])}
    cut = phases(journal)
    chosen: list[list[MetricSlice]] = [[] for _ in cut]
    for data in slices:
        index = _phase_of(float(data["t"]), cut)
        if index is not None:
            chosen[index].append(MetricSlice.model_validate(data))
    rows = []
    for phase, own in zip(cut, chosen, strict=True):
        stats = load_stats(own, end=duration)
        counted = Counter(a.source for a in answers if phase.start <= a.at - origin < phase.end)
        window = recovery.get(phase.fault) if phase.fault else None
        rows.append(
            PhaseRow(
                phase=phase,
                requests=stats.requests,
                error_rate=stats.error_rate,
                p50=stats.p50_median,
                p99=stats.p99_worst,
                sources=dict(counted),
                recovery_time=window.get("recovery_time") if window else None,
                recovered=(window.get("recovery_time") is not None) if window else None,
            )
        )
    return rows
