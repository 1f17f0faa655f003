"""Rate limiting: a token bucket or a sliding window, waiting in line or refusing.

The algorithms are pure objects that take the time as an argument and hand
out *reservations*: `reserve(now, max_wait)` returns how long the caller must
wait for its permit (committing it), or -1.0 when that wait would exceed
`max_wait` (committing nothing). Reservations are made in arrival order
under one lock and each caller then sleeps until its own time, so callers
are served first-in first-out and none is dropped.

- `TokenBucket(rate, burst)`: `burst` permits at once, refilled at `rate`
  per second. In any interval of `d` seconds at most `burst + rate * d`
  permits are granted.
- `SlidingWindowLog(limit, window)`: at most `limit` permits in any
  `window` seconds (an exact log of the last `limit` permit times).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Literal, ParamSpec, Protocol, TypeVar

from chaoslab.clock import Clock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus
from chaoslab.resilience._errors import RateLimitedError
from chaoslab.resilience._events import RateLimitRejected, RateLimitWaited
from chaoslab.resilience._support import bus_of, decorate, resolve_clock

__all__ = ["LimitAlgorithm", "RateLimiter", "SlidingWindowLog", "TokenBucket"]

P = ParamSpec("P")
T = TypeVar("T")


class LimitAlgorithm(Protocol):
    """What a `RateLimiter` needs from its algorithm."""

    def wait_time(self, now: float) -> float:
        """The wait a permit reserved at `now` would have (nothing committed)."""
        ...

    def reserve(self, now: float, max_wait: float) -> float:
        """Reserve the next permit: its wait, or -1.0 if longer than `max_wait`."""
        ...


class TokenBucket:
    """`burst` permits at once, refilled at `rate` per second.

    Example:
        >>> bucket = TokenBucket(rate=10.0, burst=2)
        >>> waits = [bucket.reserve(0.0, float("inf")) for _ in range(4)]
        >>> waits
        [0.0, 0.0, 0.1, 0.2]
    """

    __slots__ = ("burst", "last", "rate", "tokens")

    def __init__(self, rate: float, burst: float | None = None) -> None:
        burst = max(1.0, rate) if burst is None else float(burst)
        problems = []
        if not rate > 0:
            problems.append(("rate", f"must be > 0 permits per second, got {rate}"))
        if burst < 1:
            problems.append(("burst", f"must be >= 1, got {burst}"))
        if problems:
            raise ConfigError(problems)
        self.rate = float(rate)
        self.burst = burst
        self.tokens = burst
        self.last: float | None = None

    def _refill(self, now: float) -> None:
        last = self.last
        if last is None:
            self.last = now
        elif now > last:
            self.tokens = min(self.burst, self.tokens + (now - last) * self.rate)
            self.last = now

    def wait_time(self, now: float) -> float:
        """Seconds until a token is free for a caller arriving at `now`."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def reserve(self, now: float, max_wait: float) -> float:
        """Take a token, possibly one that has not been refilled yet (a debt)."""
        wait = self.wait_time(now)
        if wait > max_wait:
            return -1.0
        self.tokens -= 1
        return wait


class SlidingWindowLog:
    """At most `limit` permits in any `window` seconds.

    Example:
        >>> log = SlidingWindowLog(limit=2, window=1.0)
        >>> waits = [log.reserve(0.0, float("inf")) for _ in range(5)]
        >>> waits
        [0.0, 0.0, 1.0, 1.0, 2.0]
    """

    __slots__ = ("limit", "times", "window")

    def __init__(self, limit: int, window: float) -> None:
        problems = []
        if limit < 1:
            problems.append(("limit", f"must be >= 1, got {limit}"))
        if not window > 0:
            problems.append(("window", f"must be > 0 seconds, got {window}"))
        if problems:
            raise ConfigError(problems)
        self.limit = limit
        self.window = float(window)
        # The last `limit` permit times (some possibly in the future): the oldest
        # one says when the next permit keeps every window within the limit.
        self.times: deque[float] = deque(maxlen=limit)

    def wait_time(self, now: float) -> float:
        """Seconds until a permit keeps every window within the limit."""
        if len(self.times) < self.limit:
            return 0.0
        return max(0.0, self.times[0] + self.window - now)

    def reserve(self, now: float, max_wait: float) -> float:
        """Record a permit at `now + wait`."""
        times = self.times
        at = now if len(times) < self.limit else max(now, times[0] + self.window)
        if at - now > max_wait:
            return -1.0
        times.append(at)
        return at - now


class RateLimiter:
    """Lets calls through at a rate; over it, they wait in line or are refused.

    `mode="wait"` (default): each call reserves the next permit and sleeps on
    the clock until then; calls are served in arrival order and none is
    dropped. `max_wait` refuses a call whose wait would be longer (None: no
    limit). `mode="reject"`: a call without a free permit gets
    `RateLimitedError(retry_after=...)` at once. A waiting call that is
    cancelled loses its permit (later callers keep their place in line).

    Example:
        >>> import asyncio
        >>> from chaoslab.clock import VirtualClock
        >>> clock = VirtualClock(autojump=True)
        >>> limiter = RateLimiter(TokenBucket(rate=10.0, burst=5), clock=clock)
        >>> async def burst() -> float:
        ...     for _ in range(25):
        ...         await limiter.acquire_async()
        ...     return clock.now()
        >>> asyncio.run(burst())
        2.0
    """

    __slots__ = ("_algorithm", "_clock", "_events", "_lock", "max_wait", "mode", "name")

    def __init__(
        self,
        algorithm: TokenBucket | SlidingWindowLog | LimitAlgorithm,
        *,
        mode: Literal["wait", "reject"] = "wait",
        max_wait: float | None = None,
        name: str = "ratelimit",
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        problems = []
        if mode not in ("wait", "reject"):
            problems.append(("mode", f"must be 'wait' or 'reject', got {mode!r}"))
        if max_wait is not None and max_wait < 0:
            problems.append(("max_wait", f"must be >= 0 or None, got {max_wait}"))
        if problems:
            raise ConfigError(problems)
        self._algorithm = algorithm
        self.mode = mode
        self.max_wait = max_wait
        self.name = name
        self._clock = resolve_clock(clock)
        self._events = events
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimiter({self._algorithm!r}, mode={self.mode!r}, name={self.name!r})"

    def __call__(self, func: Callable[P, T]) -> Callable[P, T]:
        """Decorate a sync or async function."""
        return decorate(self, func)

    def _reserve(self) -> float:
        """The wait for this call's permit (reserved), or raise `RateLimitedError`."""
        now = self._clock.now()
        if self.mode == "reject":
            limit = 0.0
        else:
            limit = float("inf") if self.max_wait is None else self.max_wait
        with self._lock:
            wait = self._algorithm.reserve(now, limit)
            if wait < 0:
                retry_after = self._algorithm.wait_time(now)
        if wait < 0:
            bus = bus_of(self._events)
            if bus.active:
                bus.emit(RateLimitRejected(at=now, source=self.name, retry_after=retry_after))
            raise RateLimitedError(self.name, retry_after)
        if wait > 0:
            bus = bus_of(self._events)
            if bus.active:
                bus.emit(RateLimitWaited(at=now, source=self.name, wait=wait))
        return wait

    def acquire(self) -> None:
        """Take a permit, sleeping this thread until it is due."""
        wait = self._reserve()
        if wait > 0:
            self._clock.sleep(wait)

    async def acquire_async(self) -> None:
        """Take a permit, sleeping this task until it is due."""
        wait = self._reserve()
        if wait > 0:
            await self._clock.sleep_async(wait)

    def call(self, fn: Callable[[], T]) -> T:
        """Call `fn()` once a permit is due."""
        self.acquire()
        return fn()

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()` once a permit is due."""
        await self.acquire_async()
        return await fn()
