"""How to run an experiment (the CLI's options) and what a live display sees."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chaoslab.experiment._model import HYPOTHESIS_STRATEGIES, ROLLBACK_STRATEGIES

__all__ = ["DRY_MODES", "LiveStatus", "RunOptions"]

DRY_MODES = ("probes", "actions", "activities", "pause")


@dataclass(frozen=True)
class RunOptions:
    """How to run: the CLI's options (None = the experiment's `runtime`, else default).

    `handle_signals` makes SIGINT/SIGTERM stop the method and roll back (the
    CLI sets it; it needs the main thread).

    Example:
        >>> RunOptions(rollback_strategy="always", dry="pause").dry
        'pause'
        >>> RunOptions(rollback_strategy="sometimes")
        Traceback (most recent call last):
        ...
        ValueError: rollback strategy: one of default, always, never, deviated
    """

    journal_path: str | Path | None = None
    rollback_strategy: str | None = None
    hypothesis_strategy: str | None = None
    hypothesis_frequency: float | None = None
    fail_fast: bool | None = None
    dry: str | None = None
    seed: int | None = None
    handle_signals: bool = False

    def __post_init__(self) -> None:
        if self.rollback_strategy not in (None, *ROLLBACK_STRATEGIES):
            raise ValueError(f"rollback strategy: one of {', '.join(ROLLBACK_STRATEGIES)}")
        if self.hypothesis_strategy not in (None, *HYPOTHESIS_STRATEGIES):
            raise ValueError(f"hypothesis strategy: one of {', '.join(HYPOTHESIS_STRATEGIES)}")
        if self.hypothesis_frequency is not None and not self.hypothesis_frequency > 0:
            raise ValueError("hypothesis frequency: a number of seconds above 0")
        if self.dry not in (None, *DRY_MODES):
            raise ValueError(f"dry: one of {', '.join(DRY_MODES)}")


@dataclass(frozen=True)
class LiveStatus:
    """What a live display shows, every quarter second of clock time."""

    phase: str
    activity: str
    elapsed: float
    remaining: float | None
    p99: float | None
    error_rate: float | None
    rails: tuple[tuple[str, float | None, bool], ...]
