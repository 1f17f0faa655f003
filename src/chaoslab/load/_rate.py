"""Request-rate profiles for open-loop load: when should request *i* start?

An open-loop generator sends requests on a schedule that does not depend on
how fast the system answers. A profile maps the request's index to its
intended start time (seconds after the load began); the generator measures
each latency from that time, so a stall delays the start of the requests
scheduled during it and their latencies show the stall.

Example:
    >>> ConstantRate(100).time_of(250)
    2.5
    >>> ramp = RampRate(start=0, end=10, over=10)
    >>> round(ramp.time_of(50), 6)   # half of the 50 requests of the ramp
    10.0
    >>> ramp.rate_at(5.0)
    5.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from chaoslab.errors import ConfigError

__all__ = ["ConstantRate", "RampRate", "RateProfile"]


class RateProfile(Protocol):
    """A request rate over time."""

    def time_of(self, index: int) -> float:
        """Intended start of request `index` (0-based), in seconds from the start."""
        ...

    def rate_at(self, t: float) -> float:
        """The intended rate (requests/s) at `t` seconds from the start."""
        ...


@dataclass(frozen=True, slots=True)
class ConstantRate:
    """`rate` requests per second, evenly spaced.

    Example:
        >>> ConstantRate(4).time_of(3)
        0.75
    """

    rate: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise ConfigError([("rate", f"must be a finite number > 0, got {self.rate!r}")])

    def time_of(self, index: int) -> float:
        """Request `index` starts at `index / rate`."""
        return index / self.rate

    def rate_at(self, t: float) -> float:
        """Always `rate`."""
        return self.rate


@dataclass(frozen=True, slots=True)
class RampRate:
    """A rate moving linearly from `start` to `end` over `over` seconds, then holding `end`.

    The count of requests intended by time t is the integral of the rate, so
    request i starts where that integral reaches i (a quadratic, solved in
    closed form).

    Example:
        >>> RampRate(start=10, end=30, over=2).time_of(40)   # 40 = (10+30)/2 * 2
        2.0
        >>> RampRate(start=10, end=30, over=2).time_of(70)   # then 30/s
        3.0
    """

    start: float
    end: float
    over: float

    def __post_init__(self) -> None:
        problems: list[tuple[str, str]] = []
        if not (math.isfinite(self.start) and self.start >= 0):
            problems.append(("start", f"must be a finite rate >= 0, got {self.start!r}"))
        if not (math.isfinite(self.end) and self.end > 0):
            problems.append(("end", f"must be a finite rate > 0, got {self.end!r}"))
        if not (math.isfinite(self.over) and self.over > 0):
            problems.append(("over", f"must be a duration > 0 seconds, got {self.over!r}"))
        if problems:
            raise ConfigError(problems)

    @property
    def _ramp_count(self) -> float:
        return (self.start + self.end) / 2 * self.over

    def time_of(self, index: int) -> float:
        """Solve start*t + (end-start)*t^2/(2*over) = index for t."""
        if index <= 0:
            return 0.0
        if index >= self._ramp_count:
            return self.over + (index - self._ramp_count) / self.end
        a = (self.end - self.start) / (2 * self.over)
        # 2i / (b + sqrt(b^2 + 4ai)) is the positive root without cancellation
        # when a is tiny or negative (a ramp down).
        disc = self.start * self.start + 4 * a * index
        return 2 * index / (self.start + math.sqrt(max(disc, 0.0)))

    def rate_at(self, t: float) -> float:
        """The rate at `t`: on the line during the ramp, `end` after it."""
        if t >= self.over:
            return self.end
        return self.start + (self.end - self.start) * max(t, 0.0) / self.over
