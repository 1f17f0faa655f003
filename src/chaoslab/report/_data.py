"""Reading a journal into typed, lenient models for the report.

The journal is Chaos Toolkit's shape plus a `chaoslab` section (see
`chaoslab.experiment._journal` for the schema). The report reads it at the
edge into these models: unknown keys are ignored, missing optional parts
become empty, and a journal written by Chaos Toolkit itself (no `chaoslab`
section) still renders its hypothesis and activities. Wrong types are
reported with the path of the field, all at once.

Example:
    >>> data = ReportData.from_journal({"experiment": {"title": "t"}, "status": "completed"})
    >>> data.title, data.status, data.metrics.loads
    ('t', 'completed', [])
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaoslab.errors import ConfigError

__all__ = [
    "Baseline",
    "ChaoslabMetrics",
    "FaultWindow",
    "GuardEvent",
    "GuardRail",
    "LoadSeries",
    "MetricSlice",
    "Record",
    "RecoveryWindow",
    "ReportData",
    "TimelineEntry",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class MetricSlice(_Lenient):
    """One second of load metrics; latencies in seconds, `t` since the run started."""

    t: float
    requests: int = 0
    errors: int = 0
    throughput: float = 0.0
    error_rate: float = 0.0
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None
    errors_by_kind: dict[str, int] = {}


class LoadSeries(_Lenient):
    """One load run's slices."""

    name: str = "load"
    target: str = ""
    mode: str = ""
    slices: list[MetricSlice] = []


class FaultWindow(_Lenient):
    """When a fault was active (`end` None: never removed before the run ended)."""

    name: str
    kind: str = ""
    target: str = ""
    start: float
    end: float | None = None
    activity: str = ""


class GuardRail(_Lenient):
    """A configured guard rail."""

    name: str
    condition: str = ""
    checks: int = 0
    tripped: bool = False


class GuardEvent(_Lenient):
    """A guard rail that tripped."""

    at: float
    rail: str
    condition: str = ""
    value: float | None = None
    threshold: float | None = None
    message: str = ""


class Baseline(_Lenient):
    """Metrics before the first fault."""

    start: float = 0.0
    end: float = 0.0
    requests: int = 0
    throughput: float = 0.0
    error_rate: float = 0.0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


class RecoveryWindow(_Lenient):
    """Recovery after one fault."""

    fault: str
    fault_start: float = 0.0
    fault_end: float = 0.0
    recovered_at: float | None = None
    recovery_time: float | None = None
    criteria: str = ""
    degradation: dict[str, float | None] | None = None


class Recovery(_Lenient):
    """Baseline and recovery windows."""

    baseline: Baseline | None = None
    windows: list[RecoveryWindow] = []


class TimelineEntry(_Lenient):
    """One activity on the run's clock."""

    name: str
    type: str = "action"
    phase: str = "method"
    start: float
    end: float | None = None
    status: str | None = None
    background: bool = False


class ChaoslabMetrics(_Lenient):
    """The journal's `chaoslab` section (all parts optional)."""

    seed: int | None = None
    started_at: str | None = None
    duration: float | None = None
    interrupted_by: str | None = None
    strategies: dict[str, Any] = {}
    timeline: list[TimelineEntry] = []
    loads: list[LoadSeries] = []
    fault_windows: list[FaultWindow] = []
    guard_rails: list[GuardRail] = []
    guard_events: list[GuardEvent] = []
    recovery: Recovery = Recovery()


class Record(_Lenient):
    """A Chaos Toolkit run record: an activity and what came of it."""

    activity: dict[str, Any] = {}
    output: Any = None
    status: str | None = None
    exception: list[str] | str | None = None
    start: str | None = None
    end: str | None = None
    duration: float | None = None
    tolerance_met: bool | None = None

    @property
    def name(self) -> str:
        """The activity's name."""
        return str(self.activity.get("name", "?"))

    @property
    def type(self) -> str:
        """probe or action."""
        return str(self.activity.get("type", ""))

    @property
    def error(self) -> str | None:
        """The last line of the exception, if the activity failed."""
        if not self.exception:
            return None
        lines = [self.exception] if isinstance(self.exception, str) else self.exception
        return lines[-1].strip() if lines else None


class HypothesisState(_Lenient):
    """One check of the steady-state hypothesis."""

    steady_state_met: bool | None = None
    probes: list[Record] = []


class SteadyStates(_Lenient):
    """Before, after and during the method."""

    before: HypothesisState | None = None
    after: HypothesisState | None = None
    during: list[HypothesisState] = []


class ReportData(_Lenient):
    """Everything the report shows, read from one journal."""

    title: str = "Untitled experiment"
    description: str = ""
    status: str = "unknown"
    deviated: bool = False
    start: str | None = None
    end: str | None = None
    duration: float | None = None
    steady_states: SteadyStates = SteadyStates()
    run: list[Record] = []
    rollbacks: list[Record] = []
    metrics: ChaoslabMetrics = Field(default=ChaoslabMetrics(), alias="chaoslab")

    @classmethod
    def from_journal(cls, journal: Any) -> ReportData:
        """Validate a parsed journal; `ConfigError` lists every bad field with its path."""
        if not isinstance(journal, dict):
            raise ConfigError([("", "a journal is a JSON object")])
        experiment = journal.get("experiment")
        data = dict(journal)
        if isinstance(experiment, dict):
            data.setdefault("title", experiment.get("title") or cls.model_fields["title"].default)
            data.setdefault("description", experiment.get("description") or "")
        if data.get("chaoslab") is None:
            data.pop("chaoslab", None)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(
                [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
            ) from None

    @property
    def has_metrics(self) -> bool:
        """Whether any load slices were recorded."""
        return any(load.slices for load in self.metrics.loads)

    @property
    def run_length(self) -> float:
        """Seconds on the run's timeline, for chart axes."""
        candidates = [self.metrics.duration or 0.0, self.duration or 0.0]
        if self.metrics.duration is None:  # else a last, partial slice would overhang the run
            candidates.extend(load.slices[-1].t + 1.0 for load in self.metrics.loads if load.slices)
        candidates.extend(w.end or w.start for w in self.metrics.fault_windows)
        candidates.extend(e.end or e.start for e in self.metrics.timeline)
        return max(candidates) or 1.0
