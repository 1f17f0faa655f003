"""Time, injected: the `Clock` protocol, the real clock and a virtual one.

Nothing in chaoslab reads `time.monotonic()` or calls `time.sleep()` directly:
strategies, schedules, guards and injectors take a `Clock`. In tests a
`VirtualClock` makes a 30-second outage pass in microseconds of wall time,
and timings can be asserted exactly.

Example:
    >>> from chaoslab import VirtualClock
    >>> clock = VirtualClock()
    >>> clock.advance(30.0)
    >>> clock.now()
    30.0

This module imports nothing of chaoslab.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "VirtualClock"]


@runtime_checkable
class Clock(Protocol):
    """What every timed thing in chaoslab needs from time.

    `now()` is monotonic seconds from an arbitrary origin; only differences
    between two readings mean anything.
    """

    def now(self) -> float:
        """Monotonic time in seconds."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for `seconds` of this clock's time."""
        ...

    async def sleep_async(self, seconds: float) -> None:
        """Suspend the calling task for `seconds` of this clock's time."""
        ...


class SystemClock:
    """The real monotonic clock.

    `offset` shifts every reading; giving it a large random value in tests
    makes code that mixes `time.monotonic()` with the clock fail loudly.

    Example:
        >>> clock = SystemClock()
        >>> clock.now() >= 0
        True
    """

    __slots__ = ("offset",)

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        """Return `time.monotonic()` plus the offset."""
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        if seconds > 0:
            time.sleep(seconds)

    async def sleep_async(self, seconds: float) -> None:
        """Sleep for real, in asyncio."""
        await asyncio.sleep(max(seconds, 0.0))

    def __repr__(self) -> str:
        return f"SystemClock(offset={self.offset!r})"


@dataclass(order=True)
class _Waiter:
    deadline: float
    seq: int
    future: asyncio.Future[None] = field(compare=False)
    loop: asyncio.AbstractEventLoop = field(compare=False)


class VirtualClock:
    """A clock whose time moves only when told to, or when everyone waits.

    - `advance(seconds)` moves time forward and wakes every sleeper whose
      deadline has come, in deadline order.
    - With `autojump=True`, a thread calling `sleep()` moves time to its own
      deadline at once, and in asyncio, when no task is ready to run (every
      task waits on the clock or on something else), time jumps to the next
      deadline. `autojump_threshold` is how many *real* seconds the loop must
      stay idle first; leave it at 0 unless tasks also wait on real sockets.
    - Without autojump, a thread in `sleep()` blocks until another thread
      advances the clock past its deadline.

    Example:
        >>> import asyncio
        >>> clock = VirtualClock(autojump=True)
        >>> async def outage() -> float:
        ...     await clock.sleep_async(30.0)
        ...     return clock.now()
        >>> asyncio.run(outage())
        30.0
    """

    def __init__(
        self,
        start: float = 0.0,
        *,
        autojump: bool = False,
        autojump_threshold: float = 0.0,
    ) -> None:
        self._now = float(start)
        self.autojump = autojump
        self.autojump_threshold = autojump_threshold
        self._cond = threading.Condition()
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now!r}, autojump={self.autojump!r})"

    def now(self) -> float:
        """The current virtual time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds` and wake the sleepers that are due."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance({seconds!r}))")
        with self._cond:
            self._set_time(self._now + seconds)

    def advance_to(self, when: float) -> None:
        """Move time forward to `when` (no-op if it is already past)."""
        with self._cond:
            self._set_time(max(self._now, when))

    def next_deadline(self) -> float | None:
        """The earliest deadline of a task sleeping on this clock, if any."""
        with self._cond:
            self._drop_cancelled()
            return self._waiters[0].deadline if self._waiters else None

    def sleep(self, seconds: float) -> None:
        """Sleep in virtual time (see the class docstring for the two modes)."""
        with self._cond:
            deadline = self._now + max(seconds, 0.0)
            if self.autojump:
                self._set_time(max(self._now, deadline))
                return
            while self._now < deadline:
                self._cond.wait()

    async def sleep_async(self, seconds: float) -> None:
        """Suspend the task until virtual time reaches now + `seconds`."""
        loop = asyncio.get_running_loop()
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = loop.create_future()
        with self._cond:
            heapq.heappush(
                self._waiters, _Waiter(self._now + seconds, next(self._seq), future, loop)
            )
            if self.autojump:
                self._ensure_jumper(loop)
        await future

    # -- internals ---------------------------------------------------------

    def _set_time(self, when: float) -> None:
        # Called with the lock held. Sleepers are woken in deadline order.
        self._now = when
        while self._waiters and self._waiters[0].deadline <= when:
            waiter = heapq.heappop(self._waiters)
            _wake(waiter)
        self._cond.notify_all()

    def _drop_cancelled(self) -> None:
        while self._waiters and self._waiters[0].future.done():
            heapq.heappop(self._waiters)

    def _ensure_jumper(self, loop: asyncio.AbstractEventLoop) -> None:
        _Jumper.for_loop(loop).add(self)

    def _earliest_on(self, loop: asyncio.AbstractEventLoop) -> float | None:
        """Seconds from now to this clock's earliest sleeper on `loop`, if any."""
        with self._cond:
            self._drop_cancelled()
            gaps = [
                w.deadline - self._now
                for w in self._waiters
                if w.loop is loop and not w.future.done()
            ]
            return min(gaps) if gaps else None

    def _jump_next(self) -> None:
        with self._cond:
            self._drop_cancelled()
            if self._waiters and self.autojump:
                self._set_time(max(self._now, self._waiters[0].deadline))


class _Jumper:
    """One autojump task per event loop, shared by every autojump clock on it.

    Two clocks with a task each would keep the loop busy for one another
    (each yields to look for idleness) and neither would ever jump.
    """

    _by_loop: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Jumper]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.clocks: weakref.WeakSet[VirtualClock] = weakref.WeakSet()
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def for_loop(cls, loop: asyncio.AbstractEventLoop) -> _Jumper:
        jumper = cls._by_loop.get(loop)
        if jumper is None:
            jumper = cls._by_loop[loop] = cls(loop)
        return jumper

    def add(self, clock: VirtualClock) -> None:
        self.clocks.add(clock)
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run(), name="chaoslab-autojump")

    def _next_clock(self) -> VirtualClock | None:
        best: tuple[float, VirtualClock] | None = None
        for clock in list(self.clocks):
            gap = clock._earliest_on(self.loop)
            if gap is not None and (best is None or gap < best[0]):
                best = (gap, clock)
        return best[1] if best else None

    async def _run(self) -> None:
        while self._next_clock() is not None:
            threshold = max((c.autojump_threshold for c in self.clocks), default=0.0)
            await _until_idle(self.loop, threshold)
            clock = self._next_clock()
            if clock is not None:
                clock._jump_next()
            # Let the woken tasks run before looking again.
            await asyncio.sleep(0)


def _wake(waiter: _Waiter) -> None:
    if waiter.future.done():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is waiter.loop:
        waiter.future.set_result(None)
    elif not waiter.loop.is_closed():
        waiter.loop.call_soon_threadsafe(_resolve, waiter.future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _until_idle(loop: asyncio.AbstractEventLoop, threshold: float) -> None:
    """Return once the loop has had nothing ready to run for a while.

    asyncio has no public idle hook; the ready queue is what its own
    scheduler looks at, so we look at it too (a loop without one, such as
    uvloop, is treated as idle after a few yields).
    """
    quiet = 0
    while quiet < 3:
        await asyncio.sleep(0)
        ready = getattr(loop, "_ready", None)
        quiet = quiet + 1 if ready is None or len(ready) == 0 else 0
    if threshold > 0:
        await asyncio.sleep(threshold)
