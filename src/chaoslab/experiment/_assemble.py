"""Assembling the journal at the end of a run (see `_journal` for the schema)."""

from __future__ import annotations

import platform
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chaoslab._version import __version__
from chaoslab.experiment._context import merge
from chaoslab.experiment._journal import (
    SCHEMA_VERSION,
    ChaoslabSection,
    FaultWindow,
    GuardEvent,
    GuardRailSummary,
    Journal,
    LoadSeries,
    MetricSlice,
    Status,
    Strategies,
    TimelineEntry,
)
from chaoslab.experiment._model import Experiment
from chaoslab.experiment._recovery import criteria_from, recovery_report

if TYPE_CHECKING:
    from chaoslab.experiment._runner import Runner

__all__ = [
    "build_journal",
    "chaoslab_section",
    "combined_slices",
    "journal_of",
    "planned_duration",
]


def combined_slices(series: Sequence[LoadSeries]) -> list[MetricSlice]:
    """One series from several loads: slices starting in the same second merged."""
    if len(series) == 1:
        return list(series[0]["slices"])
    buckets: dict[float, list[MetricSlice]] = defaultdict(list)
    for load in series:
        for s in load["slices"]:
            buckets[round(s["t"])].append(s)
    out: list[MetricSlice] = []
    for t in sorted(buckets):
        stats = merge(buckets[t], 1.0)
        out.append(
            {
                "t": float(t),
                "requests": stats.requests,
                "errors": stats.errors,
                "throughput": stats.throughput,
                "error_rate": stats.error_rate,
                "p50": stats.p50,
                "p90": stats.p90,
                "p95": stats.p95,
                "p99": stats.p99,
                "max": stats.max,
            }
        )
    return out


def planned_duration(experiment: Experiment) -> float:
    """A rough length of the run (warmup, pauses, `duration` arguments), for displays."""
    total = experiment.chaoslab.warmup
    for item in experiment.method:
        try:
            activity = experiment.resolve(item)
        except LookupError:
            continue
        if activity.background:
            continue
        if activity.pauses:
            total += activity.pauses.before + activity.pauses.after
        arguments = getattr(activity.provider, "arguments", None)
        is_load = getattr(activity.provider, "module", None) == "load"
        if isinstance(arguments, dict) and not is_load:
            duration = arguments.get("duration")
            total += float(duration) if isinstance(duration, int | float) else 0.0
    return total


def build_journal(
    *,
    experiment: Experiment,
    start: str,
    end: str,
    duration: float,
    status: Status,
    deviated: bool,
    steady_states: dict[str, Any],
    run: list[dict[str, Any]],
    rollbacks: list[dict[str, Any]],
    section: dict[str, Any],
) -> Journal:
    """Chaos Toolkit's keys in its order, then the `chaoslab` section."""
    raw = dict(experiment.raw) or experiment.model_dump(mode="json", by_alias=True)
    raw.setdefault("dry", section.get("dry"))
    return {
        "chaoslib-version": f"chaoslab {__version__}",
        "platform": platform.platform(),
        "node": platform.node(),
        "experiment": raw,
        "start": start,
        "status": status,
        "deviated": deviated,
        "steady_states": steady_states,
        "run": run,
        "rollbacks": rollbacks,
        "end": end,
        "duration": duration,
        "chaoslab": section,  # type: ignore[typeddict-item]
    }


def chaoslab_section(
    *,
    experiment: Experiment,
    seed: int | None,
    started_at: str,
    duration: float,
    dry: str | None,
    interrupted_by: str | None,
    error: str | None,
    strategies: Strategies,
    timeline: list[TimelineEntry],
    loads: list[LoadSeries],
    fault_windows: list[FaultWindow],
    guard_rails: list[GuardRailSummary],
    guard_events: list[GuardEvent],
    events: list[dict[str, Any]],
) -> ChaoslabSection:
    """The `chaoslab` section, with recovery computed from the series."""
    criteria = criteria_from(experiment.steady_state_hypothesis, experiment.chaoslab.recovery)
    recovery = recovery_report(fault_windows, combined_slices(loads) if loads else [], criteria)
    return {
        "schema": SCHEMA_VERSION,
        "version": __version__,
        "seed": seed,
        "started_at": started_at,
        "duration": duration,
        "dry": dry,
        "interrupted_by": interrupted_by,
        "error": error,
        "strategies": strategies,
        "timeline": timeline,
        "loads": loads,
        "fault_windows": fault_windows,
        "guard_rails": guard_rails,
        "guard_events": guard_events,
        "recovery": recovery,
        "events": events,
    }


def journal_of(runner: Runner, events: list[dict[str, Any]]) -> Journal:
    """The journal of a finished run."""
    end = runner.clock.now()
    duration = round(end - runner.t0, 6)
    section = chaoslab_section(
        experiment=runner.experiment,
        seed=runner.seed,
        started_at=runner.stamps.iso(runner.t0),
        duration=duration,
        dry=runner.options.dry,
        interrupted_by=runner.stop_reason if runner.status == "interrupted" else None,
        error=runner.error,
        strategies={
            "hypothesis": runner.hypothesis_strategy,
            "rollbacks": runner.rollback_strategy,
            "hypothesis_frequency": runner.frequency,
            "fail_fast": runner.fail_fast,
        },
        timeline=runner.executor.timeline,
        loads=runner.ctx.metrics.series(),
        fault_windows=runner.ctx.faults.windows,
        guard_rails=runner.guards.summary(),
        guard_events=runner.guards.events,
        events=events,
    )
    return build_journal(
        experiment=runner.experiment,
        start=runner.stamps.iso(runner.t0),
        end=runner.stamps.iso(end),
        duration=duration,
        status=runner.status,
        deviated=runner.deviated,
        steady_states=runner.steady_states,
        run=runner.run_records,
        rollbacks=runner.rollback_records,
        section=dict(section),
    )
