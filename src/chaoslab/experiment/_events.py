"""Events an experiment run emits (on the run's `EventBus`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chaoslab.observe import Event

__all__ = ["ActivityEnded", "ExperimentEnded", "ExperimentStarted", "GuardTripped"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExperimentStarted(Event):
    """A run began."""

    kind: ClassVar[str] = "experiment.started"
    title: str
    seed: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityEnded(Event):
    """An activity finished (`status` is None when it was cut short)."""

    kind: ClassVar[str] = "experiment.activity_ended"
    name: str
    phase: str
    status: str | None
    duration: float


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardTripped(Event):
    """A guard rail tripped; the method stops and the rollbacks run."""

    kind: ClassVar[str] = "experiment.guard_tripped"
    rail: str
    condition: str
    value: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExperimentEnded(Event):
    """A run ended."""

    kind: ClassVar[str] = "experiment.ended"
    status: str
    deviated: bool
