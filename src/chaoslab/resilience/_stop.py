"""When retry stops: frozen objects combined with `|` (either) and `&` (both).

A stop answers one question before each wait: what is the longest pause
still allowed, given `attempts` made and `waited` seconds already spent
waiting? A negative answer means stop now; a smaller positive answer cuts
the next pause, so a delay budget is never overshot.

Example:
    >>> stop = StopAfterAttempt(3) | StopAfterDelay(5.0)
    >>> stop.check(1, 0.0), stop.check(2, 4.5), stop.check(3, 0.0)
    ((5.0, 'delay'), (0.5, 'delay'), (-1.0, 'attempts'))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chaoslab.errors import ConfigError

__all__ = ["Stop", "StopAfterAttempt", "StopAfterDelay", "StopAll", "StopAny", "StopNever"]


class Stop:
    """Base of every stop rule."""

    __slots__ = ()

    def check(self, attempts: int, waited: float) -> tuple[float, str]:
        """(longest pause allowed, or negative to stop; the rule's name)."""
        raise NotImplementedError

    def __or__(self, other: Stop) -> StopAny:
        return StopAny((self, other))

    def __and__(self, other: Stop) -> StopAll:
        return StopAll((self, other))


@dataclass(frozen=True, slots=True)
class StopNever(Stop):
    """Never stop (bound the retries some other way: a timeout, a budget)."""

    def check(self, attempts: int, waited: float) -> tuple[float, str]:
        """Any pause is allowed."""
        return math.inf, "never"


@dataclass(frozen=True, slots=True)
class StopAfterAttempt(Stop):
    """Stop once `attempts` calls (the first included) have been made."""

    attempts: int

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigError([("attempts", f"must be >= 1, got {self.attempts}")])

    def check(self, attempts: int, waited: float) -> tuple[float, str]:
        """Any pause while attempts remain."""
        return (math.inf if attempts < self.attempts else -1.0), "attempts"


@dataclass(frozen=True, slots=True)
class StopAfterDelay(Stop):
    """A budget of `seconds` of total waiting; the last pause is cut to fit it."""

    seconds: float

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise ConfigError([("max_delay", f"must be >= 0, got {self.seconds}")])

    def check(self, attempts: int, waited: float) -> tuple[float, str]:
        """What is left of the budget (negative once spent)."""
        left = self.seconds - waited
        return (left if left > 0 else -1.0), "delay"


@dataclass(frozen=True, slots=True)
class StopAny(Stop):
    """Stop when any rule says so; the pause is the shortest any rule allows."""

    rules: tuple[Stop, ...]

    def check(self, attempts: int, waited: float) -> tuple[float, str]:
        """The strictest answer."""
        return min((rule.check(attempts, waited) for rule in self.rules), key=lambda a: a[0])

    def __or__(self, other: Stop) -> StopAny:
        return StopAny((*self.rules, other))


@dataclass(frozen=True, slots=True)
class StopAll(Stop):
    """Stop only when every rule says so; the pause is the longest any rule allows."""

    rules: tuple[Stop, ...]

    def check(self, attempts: int, waited: float) -> tuple[float, str]:
        """The most lenient answer."""
        return max((rule.check(attempts, waited) for rule in self.rules), key=lambda a: a[0])

    def __and__(self, other: Stop) -> StopAll:
        return StopAll((*self.rules, other))
