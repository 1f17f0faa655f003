"""Declarative experiments: Chaos Toolkit's file format, run with load, guard rails and a journal.

Load a JSON or YAML experiment (all problems reported at once, with the
path of each field), run it on a clock, get a journal Chaos Toolkit's
tooling can read, with a `chaoslab` section of metrics, fault windows,
guard-rail events and recovery times.

Example:
    >>> from chaoslab.clock import VirtualClock
    >>> from chaoslab.experiment import Runner, load_experiment
    >>> exp = load_experiment({"title": "t", "description": "d", "method": []})
    >>> Runner(exp, clock=VirtualClock(autojump=True)).run()["status"]
    'completed'
"""

from chaoslab.experiment._conditions import Condition, parse_condition
from chaoslab.experiment._config import Vars, load_var_file, parse_var
from chaoslab.experiment._context import (
    ActivityFailed,
    MetricsSource,
    MetricsStore,
    RunContext,
    WindowStats,
)
from chaoslab.experiment._events import (
    ActivityEnded,
    ExperimentEnded,
    ExperimentStarted,
    GuardTripped,
)
from chaoslab.experiment._journal import (
    ChaoslabSection,
    FaultWindow,
    GuardEvent,
    Journal,
    LoadSeries,
    MetricSlice,
    RecoveryWindow,
    read_journal,
    write_journal,
)
from chaoslab.experiment._loader import load_experiment, read_document
from chaoslab.experiment._model import (
    Activity,
    BlastRadius,
    ChaoslabSettings,
    Experiment,
    GuardRailSpec,
    Hypothesis,
)
from chaoslab.experiment._registry import ProviderRegistry, Touch, default_registry
from chaoslab.experiment._runner import LiveStatus, Runner, RunOptions

__all__ = [
    "Activity",
    "ActivityEnded",
    "ActivityFailed",
    "BlastRadius",
    "ChaoslabSection",
    "ChaoslabSettings",
    "Condition",
    "Experiment",
    "ExperimentEnded",
    "ExperimentStarted",
    "FaultWindow",
    "GuardEvent",
    "GuardRailSpec",
    "GuardTripped",
    "Hypothesis",
    "Journal",
    "LiveStatus",
    "LoadSeries",
    "MetricSlice",
    "MetricsSource",
    "MetricsStore",
    "ProviderRegistry",
    "RecoveryWindow",
    "RunContext",
    "RunOptions",
    "Runner",
    "Touch",
    "Vars",
    "WindowStats",
    "default_registry",
    "load_experiment",
    "load_var_file",
    "parse_condition",
    "parse_var",
    "read_document",
    "read_journal",
    "write_journal",
]
