"""Baseline and recovery time, computed from the journal's series.

- Baseline: the one-second slices that end before the first fault starts.
- Recovery time of a fault window: from the fault's end to the start of
  the first slice whose metrics meet the recovery criteria, counting from
  the slice the fault ended in (if that one meets them, recovery was
  immediate: 0); null if none does before the run ends. The resolution is
  the slice width (one second).
- Degradation: the worst slice overlapping the window, against the baseline.
- Criteria, first that applies: the experiment's `recovery` conditions
  (`error_rate <= 1%`, `p99 < 200ms`); else the hypothesis's `metrics`
  probes with numeric tolerances; else "back near the baseline":
  error rate at most baseline + 1 point, p99 at most twice the baseline's.

Example:
    >>> s = lambda t, er, p99: {"t": t, "requests": 10, "errors": int(er * 10),
    ...     "throughput": 10.0, "error_rate": er, "p50": p99, "p90": p99, "p95": p99,
    ...     "p99": p99, "max": p99}
    >>> series = [s(0, 0, .01), s(1, 0, .01), s(2, 1, None), s(3, .5, .5), s(4, 0, .01)]
    >>> window = {"name": "f", "kind": "inject", "target": "x", "start": 2.0, "end": 3.0,
    ...     "activity": "a", "details": {}}
    >>> report = recovery_report([window], series, [])
    >>> report["windows"][0]["recovery_time"]
    1.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chaoslab.experiment._conditions import Condition, parse_condition
from chaoslab.experiment._context import WindowStats, merge
from chaoslab.experiment._journal import (
    Baseline,
    Degradation,
    FaultWindow,
    MetricSlice,
    RecoveryReport,
    RecoveryWindow,
)
from chaoslab.experiment._model import ChaoslabProvider, Hypothesis, RangeTolerance

__all__ = ["Criterion", "criteria_from", "recovery_report"]

Criterion = tuple[str, Callable[[WindowStats], bool]]


def _within(metric: str, low: float, high: float) -> Criterion:
    def check(stats: WindowStats) -> bool:
        value = stats.get(metric)
        return value is not None and low <= value <= high

    return (f"{low:g} <= {metric} <= {high:g}", check)


def _condition(cond: Condition) -> Criterion:
    return (str(cond), lambda stats: cond.holds(stats.get(cond.metric)))


def criteria_from(hypothesis: Hypothesis | None, recovery: Sequence[str]) -> list[Criterion]:
    """The explicit criteria, else the hypothesis's metric probes (may be empty)."""
    if recovery:
        return [_condition(parse_condition(text)) for text in recovery]
    found: list[Criterion] = []
    for probe in hypothesis.probes if hypothesis else []:
        provider = probe.provider
        if not (isinstance(provider, ChaoslabProvider) and provider.module == "metrics"):
            continue
        metric = provider.func
        if metric == "percentile":
            p = provider.arguments.get("p", 99)
            metric = "max" if p == "max" else f"p{p}"
        tol = probe.tolerance
        if isinstance(tol, RangeTolerance):
            found.append(_within(metric, *tol.range))
        elif (
            isinstance(tol, list) and len(tol) == 2 and all(isinstance(x, int | float) for x in tol)
        ):
            found.append(_within(metric, float(tol[0]), float(tol[1])))
    return found


def _baseline(slices: Sequence[MetricSlice], until: float) -> Baseline | None:
    chosen = [s for s in slices if s["t"] + 1.0 <= until + 1e-9 and s["requests"] > 0]
    if not chosen:
        return None
    stats = merge(chosen, len(chosen))
    return {
        "start": chosen[0]["t"],
        "end": chosen[-1]["t"] + 1.0,
        "requests": stats.requests,
        "throughput": stats.throughput,
        "error_rate": stats.error_rate,
        "p50": _median(chosen, "p50"),
        "p95": _median(chosen, "p95"),
        "p99": _median(chosen, "p99"),
    }


def _median(slices: Sequence[MetricSlice], key: str) -> float | None:
    values = sorted(v for s in slices if (v := s[key]) is not None)  # type: ignore[literal-required]
    return values[len(values) // 2] if values else None


def _default_criteria(baseline: Baseline | None) -> list[Criterion]:
    if baseline is None:
        return []
    limit_er = baseline["error_rate"] + 0.01
    crit: list[Criterion] = [_within("error_rate", 0.0, limit_er)]
    if baseline["p99"] is not None:
        crit.append(_within("p99", 0.0, 2 * baseline["p99"]))
    return crit


def _degradation(
    slices: Sequence[MetricSlice], window: FaultWindow, end: float, baseline: Baseline | None
) -> Degradation | None:
    if baseline is None:
        return None
    inside = [s for s in slices if s["t"] < end and s["t"] + 1.0 > window["start"]]
    if not inside:
        return None
    p99s = [v for s in inside if (v := s["p99"]) is not None]
    worst_er = max(s["error_rate"] for s in inside)
    ratio = max(p99s) / baseline["p99"] if p99s and baseline["p99"] else None
    return {"p99_ratio": ratio, "error_rate_delta": worst_er - baseline["error_rate"]}


def recovery_report(
    windows: Sequence[FaultWindow], slices: Sequence[MetricSlice], criteria: list[Criterion]
) -> RecoveryReport:
    """Baseline and per-window recovery (all times relative to the run's start)."""
    ordered = sorted(slices, key=lambda s: s["t"])
    closed = [w for w in windows if w["end"] is not None]
    first = min((w["start"] for w in windows), default=None)
    baseline = _baseline(ordered, first) if first is not None else None
    crit = criteria or _default_criteria(baseline)
    text = " and ".join(c[0] for c in crit) or "no criteria (no load metrics)"
    out: list[RecoveryWindow] = []
    for window in closed:
        end = window["end"]
        assert end is not None
        recovered: float | None = None
        if crit:
            for s in ordered:
                # From the slice the fault ended in: if even that one meets the
                # criteria, recovery was immediate.
                if s["t"] + 1.0 > end + 1e-9 and s["requests"] > 0:
                    stats = merge([s], 1.0)
                    if all(check(stats) for _, check in crit):
                        recovered = max(s["t"], end)
                        break
        out.append(
            {
                "fault": window["name"],
                "fault_start": window["start"],
                "fault_end": end,
                "recovered_at": recovered,
                "recovery_time": None if recovered is None else round(max(recovered - end, 0.0), 6),
                "criteria": text,
                "degradation": _degradation(ordered, window, end, baseline),
            }
        )
    return {"baseline": baseline, "windows": out}
