"""The journal: Chaos Toolkit's shape, plus a `chaoslab` section.

A journal is one JSON object written when a run ends (also on failure,
abort and interrupt), atomically: to a temporary file beside the target,
then `os.replace`. Its top-level keys are Chaos Toolkit's, in its order, so
that its tooling (`chaoslib`, chaostoolkit-reporting) reads ours::

    chaoslib-version   str      chaoslab writes "chaoslab <version>"
    platform, node     str
    experiment         object   the experiment as loaded (raw keys, not substituted)
    start, end         str      ISO 8601 with microseconds and +00:00
    status             "completed" | "failed" | "aborted" | "interrupted"
    deviated           bool     the after-method hypothesis was not met
    steady_states      {before: State|null, after: State|null, during: [State]}
    run                [Record] the method's activities, in start order
    rollbacks          [Record]
    duration           float    seconds
    chaoslab           ChaoslabSection (below)

A `Record` is `{activity, output, start, status: "succeeded"|"failed",
exception?, end, duration}`; hypothesis records add `tolerance_met`. A
`State` is `{steady_state_met, probes: [Record]}`. An activity cut by an
abort or interrupt stays in `run` without a `status`.

The `chaoslab` section
----------------------

Every time in it (`t`, `at`, `start`, `end`) is **seconds since the run
started** on the run's clock (virtual or real), so the report can draw one
timeline; `started_at` anchors it to wall time. Latencies are **seconds**.
Fields that may be unknown are `null`, never absent.

- `schema`: 1 (bumped on incompatible changes).
- `version`: chaoslab's version. `seed`: the run's seed or null.
- `started_at`: ISO 8601 of t = 0. `duration`: seconds (clock).
- `dry`: null or the `--dry` mode. `interrupted_by`: null or "SIGINT"/"SIGTERM"
  ("cancelled" when the caller cancelled the run). `error`: null, or the
  unexpected error that aborted the run (`"ExcType: message"`).
- `strategies`: `{hypothesis, rollbacks, hypothesis_frequency, fail_fast}`.
- `timeline`: one `TimelineEntry` per activity run: `{name, type: "probe"|
  "action", phase: "hypothesis-before"|"hypothesis-during"|
  "hypothesis-after"|"method"|"rollback", start, end, status, background}`.
- `loads`: one `LoadSeries` per load run: `{name, target, mode, slices}`;
  `slices` are per-second `MetricSlice`s `{t, requests, errors,
  throughput, error_rate, p50, p90, p95, p99, max}` (`t` = slice start;
  throughput in requests/s; error_rate in 0..1; percentiles null when the
  slice had no successful request); optional `errors_by_kind`.
- `fault_windows`: `FaultWindow` `{name, kind, target, start, end,
  activity, details}`; `kind` is "proxy.toxic", "service.<action>",
  "inject" or "load"; `end` is when the fault was removed (by an action,
  its own duration, or the end-of-run cleanup).
- `guard_rails`: `GuardRail` `{name, condition, checks, tripped}` per rail.
- `guard_events`: `GuardEvent` `{at, rail, condition, value, threshold,
  message}`, one per trip (a run stops at the first, so at most one today).
- `recovery`: `{baseline: Baseline|null, windows: [RecoveryWindow]}`.
  `Baseline` = `{start, end, requests, throughput, error_rate, p50, p95,
  p99}` over the slices before the first fault. `RecoveryWindow` =
  `{fault, fault_start, fault_end, recovered_at, recovery_time, criteria,
  degradation}`; `recovered_at`/`recovery_time` null when the metrics
  never came back within the criteria before the run ended;
  `degradation` = `{p99_ratio, error_rate_delta}` worst slice in the window
  against the baseline (null without a baseline).
- `events`: chaoslab events seen during the run, as `Event.to_dict()`, at
  most 200 of each kind; a last `{"kind": "journal.events_dropped",
  "counts": {kind: n}}` entry counts the rest.

Example:
    >>> from chaoslab.experiment._journal import MetricSlice
    >>> s: MetricSlice = {"t": 3.0, "requests": 100, "errors": 2, "throughput": 100.0,
    ...     "error_rate": 0.02, "p50": 0.01, "p90": 0.02, "p95": 0.03, "p99": 0.05,
    ...     "max": 0.08}
    >>> s["error_rate"]
    0.02
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NotRequired

# typing_extensions' TypedDict (a pydantic dependency) lets pydantic validate a journal
# against these types on Python 3.11: `TypeAdapter(Journal).validate_python(data)`.
from typing_extensions import TypedDict

__all__ = [
    "Baseline",
    "ChaoslabSection",
    "Degradation",
    "FaultWindow",
    "GuardEvent",
    "GuardRailSummary",
    "Journal",
    "LoadSeries",
    "MetricSlice",
    "RecoveryReport",
    "RecoveryWindow",
    "Status",
    "Strategies",
    "TimelineEntry",
    "iso",
    "read_journal",
    "write_journal",
]

SCHEMA_VERSION = 1

Status = Literal["completed", "failed", "aborted", "interrupted"]
Phase = Literal["hypothesis-before", "hypothesis-during", "hypothesis-after", "method", "rollback"]


class MetricSlice(TypedDict):
    """One second of load metrics (latencies in seconds).

    `errors_by_kind` (optional) counts the errors by kind (`timeout`,
    `ConnectionRefusedError`, `http_503`, ...), as `chaoslab.load` names them.
    """

    t: float
    requests: int
    errors: int
    throughput: float
    error_rate: float
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    max: float | None
    errors_by_kind: NotRequired[dict[str, int]]


class LoadSeries(TypedDict):
    """The per-second metrics of one load run."""

    name: str
    target: str
    mode: str
    slices: list[MetricSlice]


class FaultWindow(TypedDict):
    """When a fault was active."""

    name: str
    kind: str
    target: str
    start: float
    end: float | None
    activity: str
    details: dict[str, Any]


class GuardRailSummary(TypedDict):
    """A guard rail as configured, and whether it tripped."""

    name: str
    condition: str
    checks: int
    tripped: bool


class GuardEvent(TypedDict):
    """A guard rail tripped."""

    at: float
    rail: str
    condition: str
    value: float | None
    threshold: float | None
    message: str


class Baseline(TypedDict):
    """The metrics before the first fault."""

    start: float
    end: float
    requests: int
    throughput: float
    error_rate: float
    p50: float | None
    p95: float | None
    p99: float | None


class Degradation(TypedDict):
    """The worst slice of a fault window against the baseline."""

    p99_ratio: float | None
    error_rate_delta: float | None


class RecoveryWindow(TypedDict):
    """Recovery after one fault window."""

    fault: str
    fault_start: float
    fault_end: float
    recovered_at: float | None
    recovery_time: float | None
    criteria: str
    degradation: Degradation | None


class RecoveryReport(TypedDict):
    """Baseline and recovery times."""

    baseline: Baseline | None
    windows: list[RecoveryWindow]


class Strategies(TypedDict):
    """The strategies the run used."""

    hypothesis: str
    rollbacks: str
    hypothesis_frequency: float
    fail_fast: bool


class TimelineEntry(TypedDict):
    """One activity on the run's clock."""

    name: str
    type: str
    phase: Phase
    start: float
    end: float | None
    status: str | None
    background: bool


class ChaoslabSection(TypedDict):
    """The `chaoslab` key of a journal (see the module docstring)."""

    schema: int
    version: str
    seed: int | None
    started_at: str
    duration: float
    dry: str | None
    interrupted_by: str | None
    error: NotRequired[str | None]
    strategies: Strategies
    timeline: list[TimelineEntry]
    loads: list[LoadSeries]
    fault_windows: list[FaultWindow]
    guard_rails: list[GuardRailSummary]
    guard_events: list[GuardEvent]
    recovery: RecoveryReport
    events: list[dict[str, Any]]


# Chaos Toolkit's keys contain a dash, so the journal itself uses the
# functional TypedDict form.
Journal = TypedDict(
    "Journal",
    {
        "chaoslib-version": str,
        "platform": str,
        "node": str,
        "experiment": dict[str, Any],
        "start": str,
        "status": Status,
        "deviated": bool,
        "steady_states": dict[str, Any],
        "run": list[dict[str, Any]],
        "rollbacks": list[dict[str, Any]],
        "end": str,
        "duration": float,
        "chaoslab": ChaoslabSection,
    },
)


def iso(when: datetime) -> str:
    """Chaos Toolkit's timestamp format: ISO 8601, microseconds, +00:00.

    Example:
        >>> from datetime import datetime, UTC
        >>> iso(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        '2026-01-02T03:04:05.000000+00:00'
    """
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def write_journal(path: str | os.PathLike[str], journal: Journal | dict[str, Any]) -> Path:
    """Write `journal` to `path` atomically (temporary file, then `os.replace`).

    Values JSON cannot encode are written as their `repr`, so that an odd
    activity output never loses the journal.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(journal, fh, indent=2, default=repr, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise
    return target


def read_journal(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a journal written by `write_journal` (or by Chaos Toolkit)."""
    with Path(path).open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a journal is a JSON object")  # noqa: TRY004 (bad input, not a bad call)
    return data
