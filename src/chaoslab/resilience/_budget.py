"""A retry budget: retries limited to a fraction of calls, so a fleet does not amplify an outage.

Modelled on Finagle's RetryBudget. Every call deposits one unit; a retry
may withdraw one if, over the last `ttl` seconds of the clock,

    retries < percent_can_retry * calls + min_retries_per_sec * ttl

Deposits and withdrawals expire after `ttl`, so with steady traffic the
retries settle at `percent_can_retry` of the calls plus a small floor that
lets a quiet client still retry. Share one budget between the `Retry`
objects that talk to one dependency.

Example:
    >>> from chaoslab.clock import VirtualClock
    >>> budget = RetryBudget(ttl=10.0, min_retries_per_sec=0.0, percent_can_retry=0.2,
    ...                      clock=VirtualClock())
    >>> for _ in range(10):
    ...     budget.deposit()
    >>> [budget.try_withdraw() for _ in range(3)]
    [True, True, False]
"""

from __future__ import annotations

import threading

from chaoslab.clock import Clock
from chaoslab.errors import ConfigError
from chaoslab.resilience._support import resolve_clock
from chaoslab.resilience._windows import TimeWindow

__all__ = ["RetryBudget"]


class RetryBudget:
    """How many retries the calls of the last `ttl` seconds have paid for."""

    __slots__ = ("_clock", "_lock", "_window", "min_retries_per_sec", "percent_can_retry", "ttl")

    def __init__(
        self,
        *,
        ttl: float = 10.0,
        min_retries_per_sec: float = 10.0,
        percent_can_retry: float = 0.2,
        clock: Clock | None = None,
    ) -> None:
        problems = []
        if not 1.0 <= ttl <= 60.0:
            problems.append(("ttl", f"must be in [1, 60] seconds, got {ttl}"))
        if min_retries_per_sec < 0:
            problems.append(("min_retries_per_sec", f"must be >= 0, got {min_retries_per_sec}"))
        if not 0.0 <= percent_can_retry <= 1000.0:
            problems.append(("percent_can_retry", f"must be in [0, 1000], got {percent_can_retry}"))
        if problems:
            raise ConfigError(problems)
        self.ttl = ttl
        self.min_retries_per_sec = min_retries_per_sec
        self.percent_can_retry = percent_can_retry
        self._clock = resolve_clock(clock)
        # Calls are recorded as successes and retries as "failures" of a time window:
        # the same O(1) bucket ring the breaker uses, expiring after ttl.
        self._window = TimeWindow(ttl, buckets=max(10, int(ttl)))
        self._lock = threading.Lock()

    def deposit(self) -> None:
        """Count one call (each call through a `Retry` deposits once)."""
        now = self._clock.now()
        with self._lock:
            self._window.record(now, False, False)

    def try_withdraw(self) -> bool:
        """Take one retry from the budget; False (and nothing taken) when it is spent."""
        now = self._clock.now()
        with self._lock:
            window = self._window
            window.expire(now)
            retries = window.failures
            calls = window.calls - retries
            if retries + 1 > self.percent_can_retry * calls + self.min_retries_per_sec * self.ttl:
                return False
            window.record(now, True, False)
            return True

    @property
    def balance(self) -> float:
        """Retries still allowed now (may be fractional)."""
        now = self._clock.now()
        with self._lock:
            window = self._window
            window.expire(now)
            retries = window.failures
            calls = window.calls - retries
            return self.percent_can_retry * calls + self.min_retries_per_sec * self.ttl - retries
