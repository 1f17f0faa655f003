"""Sliding windows of call outcomes, for the breaker's failure and slow-call rates.

Two pure, clock-free structures with O(1) record and O(1) totals:

- `CountWindow(size)`: the last `size` calls. A ring of outcome codes and
  running totals; recording evicts the oldest outcome's contribution.
- `TimeWindow(duration, buckets)`: the calls of the last `duration` seconds,
  in `buckets` equal buckets; totals cover the current bucket and the
  `buckets - 1` before it, so between `duration - duration/buckets` and
  `duration` seconds of history. Memory does not grow with the call rate.

Both take the time as an argument, so tests drive them without a clock.

Example:
    >>> w = CountWindow(3)
    >>> for failed in (True, False, True, True):
    ...     w.record(0.0, failed, False)
    >>> w.calls, w.failures
    (3, 2)
"""

from __future__ import annotations

__all__ = ["CountWindow", "TimeWindow"]

_FAILED = 1
_SLOW = 2


class CountWindow:
    """Outcomes of the last `size` calls."""

    __slots__ = ("_index", "_ring", "calls", "failures", "size", "slow")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"window size must be >= 1, got {size}")
        self.size = size
        self._ring = [0] * size
        self._index = 0
        self.calls = 0
        self.failures = 0
        self.slow = 0

    def record(self, now: float, failed: bool, slow: bool) -> None:
        """Add one outcome, dropping the oldest once `size` are held."""
        i = self._index
        if self.calls == self.size:  # full: the oldest outcome makes way
            old = self._ring[i]
            self.failures -= old & _FAILED
            self.slow -= (old & _SLOW) >> 1
        else:
            self.calls += 1
        code = (_FAILED if failed else 0) | (_SLOW if slow else 0)
        self._ring[i] = code
        self.failures += failed
        self.slow += slow
        self._index = (i + 1) % self.size

    def expire(self, now: float) -> None:
        """Nothing expires with time in a count window."""

    def reset(self) -> None:
        """Forget every outcome."""
        self._ring = [0] * self.size
        self._index = self.calls = self.failures = self.slow = 0


class TimeWindow:
    """Outcomes of the last `duration` seconds, in `buckets` buckets."""

    __slots__ = (
        "_b_calls",
        "_b_failures",
        "_b_slow",
        "_head",
        "buckets",
        "calls",
        "duration",
        "failures",
        "slow",
        "width",
    )

    def __init__(self, duration: float, buckets: int = 10) -> None:
        if duration <= 0 or buckets < 1:
            raise ValueError(f"need duration > 0 and buckets >= 1, got {duration}, {buckets}")
        self.duration = duration
        self.buckets = buckets
        self.width = duration / buckets
        self.reset()

    def reset(self) -> None:
        """Forget every outcome."""
        n = self.buckets
        self._b_calls = [0] * n
        self._b_failures = [0] * n
        self._b_slow = [0] * n
        self._head: int | None = None
        self.calls = self.failures = self.slow = 0

    def expire(self, now: float) -> None:
        """Drop the buckets that fell out of the window by `now`."""
        current = int(now // self.width)
        head = self._head
        if head is None:
            self._head = current
            return
        if current <= head:
            return
        n = self.buckets
        # Only the buckets between the old head and now are cleared: at most n.
        for absolute in range(head + 1, min(current, head + n) + 1):
            slot = absolute % n
            self.calls -= self._b_calls[slot]
            self.failures -= self._b_failures[slot]
            self.slow -= self._b_slow[slot]
            self._b_calls[slot] = self._b_failures[slot] = self._b_slow[slot] = 0
        self._head = current

    def record(self, now: float, failed: bool, slow: bool) -> None:
        """Add one outcome at time `now` (times must not go backwards)."""
        self.expire(now)
        # A late record (its clock read raced another thread's) counts in the head bucket.
        slot = min(int(now // self.width), self._head or 0) % self.buckets
        self._b_calls[slot] += 1
        self._b_failures[slot] += failed
        self._b_slow[slot] += slow
        self.calls += 1
        self.failures += failed
        self.slow += slow
