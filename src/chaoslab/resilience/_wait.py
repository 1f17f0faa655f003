"""Retry waits: small frozen objects that compute the pause before retry `n`.

Each wait is a pure function of the 0-based retry index `n`, the previous
pause and a `random.Random` owned by the retry (so a seeded retry pauses
the same way every run). Waits add up with `+`.

With `x = min(max, base * multiplier**n)` (AWS "Exponential Backoff And Jitter"):

| wait | pause |
|---|---|
| `WaitConstant(s)` | `s` |
| `WaitExponential(base, multiplier, max)` | `x` |
| `WaitFullJitter(...)` | `U(0, x)` |
| `WaitEqualJitter(...)` | `x/2 + U(0, x/2)` |
| `WaitDecorrelatedJitter(base, max)` | `min(max, U(base, 3 * previous))`, from `base` |

Example:
    >>> import random
    >>> wait = WaitExponential(base=0.5, multiplier=2.0, max=3.0) + WaitConstant(0.25)
    >>> [wait.compute(n, 0.0, random.Random(0)) for n in range(4)]
    [0.75, 1.25, 2.25, 3.25]
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from chaoslab.errors import ConfigError

__all__ = [
    "Wait",
    "WaitConstant",
    "WaitDecorrelatedJitter",
    "WaitEqualJitter",
    "WaitExponential",
    "WaitFullJitter",
    "WaitSum",
]


class Wait:
    """Base of every wait: `compute(n, previous, rng)` seconds; `+` adds waits."""

    __slots__ = ()

    def compute(self, n: int, previous: float, rng: random.Random) -> float:
        """The pause before retry `n` (0-based), given the previous pause."""
        raise NotImplementedError

    def __add__(self, other: Wait) -> WaitSum:
        return WaitSum((self, other))


@dataclass(frozen=True, slots=True)
class WaitSum(Wait):
    """The sum of several waits (built by `+`)."""

    parts: tuple[Wait, ...]

    def compute(self, n: int, previous: float, rng: random.Random) -> float:
        """Sum of the parts' pauses."""
        return sum(part.compute(n, previous, rng) for part in self.parts)

    def __add__(self, other: Wait) -> WaitSum:
        return WaitSum((*self.parts, other))


@dataclass(frozen=True, slots=True)
class WaitConstant(Wait):
    """The same pause every time."""

    seconds: float

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise ConfigError([("seconds", f"must be >= 0, got {self.seconds}")])

    def compute(self, n: int, previous: float, rng: random.Random) -> float:
        """`seconds`."""
        return self.seconds


def _check_exponential(base: float, multiplier: float, maximum: float) -> None:
    problems = []
    if base < 0:
        problems.append(("base", f"must be >= 0, got {base}"))
    if multiplier < 1:
        problems.append(("multiplier", f"must be >= 1, got {multiplier}"))
    if maximum < 0:
        problems.append(("max", f"must be >= 0, got {maximum}"))
    if problems:
        raise ConfigError(problems)


@dataclass(frozen=True, slots=True)
class _ExponentialWait(Wait):
    """The fields, checks and capped pause `x` shared by the three exponential waits."""

    base: float = 0.1
    multiplier: float = 2.0
    max: float = 10.0

    def __post_init__(self) -> None:
        _check_exponential(self.base, self.multiplier, self.max)

    def _pause(self, n: int) -> float:
        try:
            return min(self.max, self.base * self.multiplier**n)
        except OverflowError:  # multiplier**n past the float range: the cap applies
            return self.max


@dataclass(frozen=True, slots=True)
class WaitExponential(_ExponentialWait):
    """`min(max, base * multiplier**n)`: 0.1, 0.2, 0.4, ... by default, capped at 10 s."""

    def compute(self, n: int, previous: float, rng: random.Random) -> float:
        """The capped exponential pause."""
        return self._pause(n)


@dataclass(frozen=True, slots=True)
class WaitFullJitter(_ExponentialWait):
    """`U(0, x)` with `x` the capped exponential: the least work for a fleet of clients."""

    def compute(self, n: int, previous: float, rng: random.Random) -> float:
        """A uniform draw below the exponential pause."""
        return rng.uniform(0.0, self._pause(n))


@dataclass(frozen=True, slots=True)
class WaitEqualJitter(_ExponentialWait):
    """`x/2 + U(0, x/2)`: never less than half the exponential pause."""

    def compute(self, n: int, previous: float, rng: random.Random) -> float:
        """Half the exponential pause plus a uniform draw below the other half."""
        half = self._pause(n) / 2
        return half + rng.uniform(0.0, half)


@dataclass(frozen=True, slots=True)
class WaitDecorrelatedJitter(Wait):
    """`min(max, U(base, 3 * previous))`, the previous pause starting at `base`."""

    base: float = 0.1
    max: float = 10.0

    def __post_init__(self) -> None:
        _check_exponential(self.base, 1.0, self.max)

    def compute(self, n: int, previous: float, rng: random.Random) -> float:
        """A draw between `base` and three times the previous pause, capped."""
        prev = previous if previous > 0 else self.base
        return min(self.max, rng.uniform(self.base, max(self.base, 3 * prev)))
