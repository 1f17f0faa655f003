"""Schedules: when a fault fires.

A schedule is a pure decision on a `Tick`: the call's number at this
injection (1-based), the seconds elapsed on the clock since the injection
began, and the injector's seeded generator. Schedules combine with `&`
(both), `|` (either) and `~` (not).

Example:
    >>> import random
    >>> rng = random.Random(0)
    >>> s = FirstN(2) | EveryNth(5)
    >>> [s.fires(Tick(call=n, elapsed=0.0, rng=rng)) for n in range(1, 7)]
    [True, True, False, False, True, False]
"""

from __future__ import annotations

import random
from dataclasses import dataclass as std_dataclass
from typing import ClassVar

from pydantic import ConfigDict, Field, model_validator
from pydantic.dataclasses import dataclass

from chaoslab.faults._friendly import name_fields_in_errors

__all__ = [
    "AfterN",
    "AllOf",
    "Always",
    "AnyOf",
    "EveryNth",
    "FirstN",
    "Not",
    "Probability",
    "Ramp",
    "Schedule",
    "Tick",
    "Window",
]

_CONFIG = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


@std_dataclass(frozen=True, slots=True)
class Tick:
    """One call seen by an injection."""

    call: int
    elapsed: float
    rng: random.Random


@dataclass(frozen=True, config=_CONFIG)
class Schedule:
    """Base of every schedule."""

    kind: ClassVar[str] = "schedule"

    def fires(self, tick: Tick) -> bool:
        """Whether the fault fires on this call."""
        raise NotImplementedError

    def __and__(self, other: Schedule) -> AllOf:
        return AllOf((self, other))

    def __or__(self, other: Schedule) -> AnyOf:
        return AnyOf((self, other))

    def __invert__(self) -> Not:
        return Not(self)

    def describe(self) -> str:
        """A short human description."""
        return self.kind


@dataclass(frozen=True, config=_CONFIG)
class Always(Schedule):
    """Every call."""

    kind: ClassVar[str] = "always"

    def fires(self, tick: Tick) -> bool:
        """Always true."""
        return True


@dataclass(frozen=True, config=_CONFIG)
class Probability(Schedule):
    """Each call with probability `p`, drawn from the injector's seeded generator.

    Example:
        >>> Probability(0.0).fires(Tick(1, 0.0, random.Random(0)))
        False
    """

    kind: ClassVar[str] = "probability"
    p: float = Field(ge=0.0, le=1.0)

    def fires(self, tick: Tick) -> bool:
        """Roll the dice."""
        return tick.rng.random() < self.p

    def describe(self) -> str:
        """E.g. `p=0.3`."""
        return f"p={self.p:g}"


@dataclass(frozen=True, config=_CONFIG)
class FirstN(Schedule):
    """The first `n` calls."""

    kind: ClassVar[str] = "first"
    n: int = Field(ge=0)

    def fires(self, tick: Tick) -> bool:
        """True for calls 1..n."""
        return tick.call <= self.n

    def describe(self) -> str:
        """E.g. `first 3 calls`."""
        return f"first {self.n} calls"


@dataclass(frozen=True, config=_CONFIG)
class AfterN(Schedule):
    """Every call after the first `n`."""

    kind: ClassVar[str] = "after"
    n: int = Field(ge=0)

    def fires(self, tick: Tick) -> bool:
        """True from call n+1 on."""
        return tick.call > self.n

    def describe(self) -> str:
        """E.g. `after 3 calls`."""
        return f"after {self.n} calls"


@dataclass(frozen=True, config=_CONFIG)
class EveryNth(Schedule):
    """Every `n`-th call (n, 2n, 3n, ...)."""

    kind: ClassVar[str] = "every"
    n: int = Field(ge=1)

    def fires(self, tick: Tick) -> bool:
        """True when the call number is a multiple of n."""
        return tick.call % self.n == 0

    def describe(self) -> str:
        """E.g. `every 3rd call`."""
        return f"every {self.n}th call"


@dataclass(frozen=True, config=_CONFIG)
class Window(Schedule):
    """Calls between `start` and `end` seconds after the injection began.

    `end=None` means open-ended. Time is the injector's clock.
    """

    kind: ClassVar[str] = "window"
    start: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    end: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) must not be before start ({self.start})")
        return self

    def fires(self, tick: Tick) -> bool:
        """True inside [start, end)."""
        return tick.elapsed >= self.start and (self.end is None or tick.elapsed < self.end)

    def describe(self) -> str:
        """E.g. `window 5s..10s`."""
        end = "" if self.end is None else f"{self.end:g}s"
        return f"window {self.start:g}s..{end}"


@dataclass(frozen=True, config=_CONFIG)
class Ramp(Schedule):
    """A probability rising (or falling) linearly from `start` to `end` over `over` seconds.

    After `over` seconds the probability stays at `end`.

    Example:
        >>> Ramp(0.0, 1.0, over=10).rate(5.0)
        0.5
    """

    kind: ClassVar[str] = "ramp"
    start: float = Field(ge=0.0, le=1.0)
    end: float = Field(ge=0.0, le=1.0)
    over: float = Field(gt=0, allow_inf_nan=False)

    def rate(self, elapsed: float) -> float:
        """The probability at `elapsed` seconds."""
        frac = min(max(elapsed / self.over, 0.0), 1.0)
        return self.start + (self.end - self.start) * frac

    def fires(self, tick: Tick) -> bool:
        """Roll against the current rate."""
        return tick.rng.random() < self.rate(tick.elapsed)

    def describe(self) -> str:
        """E.g. `ramp 0→1 over 60s`."""
        return f"ramp {self.start:g}→{self.end:g} over {self.over:g}s"


@dataclass(frozen=True, config=_CONFIG)
class AllOf(Schedule):
    """Fires when every part fires (parts are evaluated in order, short-circuit)."""

    kind: ClassVar[str] = "all"
    parts: tuple[Schedule, ...]

    def fires(self, tick: Tick) -> bool:
        """All parts."""
        return all(part.fires(tick) for part in self.parts)

    def describe(self) -> str:
        """Parts joined by `and`."""
        return " and ".join(p.describe() for p in self.parts)


@dataclass(frozen=True, config=_CONFIG)
class AnyOf(Schedule):
    """Fires when any part fires (parts are evaluated in order, short-circuit)."""

    kind: ClassVar[str] = "any"
    parts: tuple[Schedule, ...]

    def fires(self, tick: Tick) -> bool:
        """Any part."""
        return any(part.fires(tick) for part in self.parts)

    def describe(self) -> str:
        """Parts joined by `or`."""
        return " or ".join(p.describe() for p in self.parts)


@dataclass(frozen=True, config=_CONFIG)
class Not(Schedule):
    """Fires when its part does not."""

    kind: ClassVar[str] = "not"
    part: Schedule

    def fires(self, tick: Tick) -> bool:
        """The opposite of the part."""
        return not self.part.fires(tick)

    def describe(self) -> str:
        """`not (...)`."""
        return f"not ({self.part.describe()})"


for _cls in (Probability, FirstN, AfterN, EveryNth, Window, Ramp, AllOf, AnyOf, Not):
    name_fields_in_errors(_cls)
