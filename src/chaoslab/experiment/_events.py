"""Events an experiment run emits (on the run's `EventBus`)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from chaoslab.observe import Event

__all__ = [
    "ActivityEnded",
    "ExperimentEnded",
    "ExperimentStarted",
    "GuardTripped",
    "JournalEvents",
]


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


class JournalEvents:
    """A bus hook keeping the events for the journal, at most `per_kind` of each kind.

    Per-call events (a fault fired, a toxic applied) can number in the
    millions; the journal keeps the first ones and counts the rest.
    """

    def __init__(self, per_kind: int = 200) -> None:
        self.per_kind = per_kind
        self.events: list[dict[str, Any]] = []
        self.seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.seen[event.kind] += 1
            if self.seen[event.kind] <= self.per_kind:
                self.events.append(event.to_dict())

    def for_journal(self) -> list[dict[str, Any]]:
        """The kept events, then one `journal.events_dropped` entry if any were dropped."""
        dropped = {k: n - self.per_kind for k, n in self.seen.items() if n > self.per_kind}
        if not dropped:
            return list(self.events)
        return [*self.events, {"kind": "journal.events_dropped", "counts": dropped}]
