"""The outcome of a load run, and the events a run emits.

`LoadResult.to_dict()` is the journal's `LoadSeries` (`name`, `target`,
`mode`, `slices`) plus `description`, `duration`, `unsent` and `overall`;
`offset` shifts every slice's `t` so that the experiment's journal can put
the load on the run's timeline.

Example:
    >>> from chaoslab.load._series import SeriesRecorder
    >>> rec = SeriesRecorder(origin=0.0)
    >>> rec.record(0.1, 0.15)
    >>> result = LoadResult.build(name="api", target="GET http://127.0.0.1/", mode="open",
    ...                           description="open loop", recorder=rec, elapsed=1.0)
    >>> data = result.to_dict(offset=12.0)
    >>> data["slices"][0]["t"], data["overall"]["requests"]
    (12.0, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from chaoslab.load._series import LatencyStats, SeriesRecorder, Slice
from chaoslab.observe import Event

__all__ = ["LoadFinished", "LoadResult", "LoadStarted"]


class LoadResult(BaseModel):
    """Per-slice and overall metrics of a finished load run (latencies in seconds)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    target: str
    mode: str
    description: str
    duration: float
    unsent: int
    slices: list[Slice]
    overall: LatencyStats

    @classmethod
    def build(
        cls,
        *,
        name: str,
        target: str,
        mode: str,
        description: str,
        recorder: SeriesRecorder,
        elapsed: float,
    ) -> LoadResult:
        """Freeze what `recorder` holds."""
        return cls(
            name=name,
            target=target,
            mode=mode,
            description=description,
            duration=elapsed,
            unsent=recorder.unsent,
            slices=recorder.slices(),
            overall=recorder.summary(elapsed),
        )

    def to_dict(self, *, offset: float = 0.0) -> dict[str, Any]:
        """Plain data for a journal; `offset` (seconds) is added to every slice's `t`."""
        slices = []
        for s in self.slices:
            data = s.to_dict()
            data["t"] = round(s.t + offset, 6)
            slices.append(data)
        return {
            "name": self.name,
            "target": self.target,
            "mode": self.mode,
            "description": self.description,
            "duration": self.duration,
            "unsent": self.unsent,
            "overall": self.overall.model_dump(),
            "slices": slices,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadStarted(Event):
    """A load run began."""

    kind = "load.started"
    target: str
    mode: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadFinished(Event):
    """A load run ended."""

    kind = "load.finished"
    requests: int
    errors: int
    duration: float
