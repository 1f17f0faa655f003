"""Bulkhead: at most N calls at once, a bounded FIFO queue behind them.

`BulkheadMachine` is the pure part (slots, queue, hand-over); `Bulkhead`
adds the lock, the waiting (threads block on an event, tasks on a future)
and the queue timeout on the clock. A freed slot is handed straight to the
oldest waiter, so nobody overtakes the queue, sync and async callers alike.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, ParamSpec, Protocol, TypeVar

from chaoslab.clock import Clock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus
from chaoslab.resilience._errors import BulkheadFullError
from chaoslab.resilience._events import BulkheadRejected
from chaoslab.resilience._support import bus_of, decorate, resolve_clock, wait_event

__all__ = ["Bulkhead", "BulkheadMachine"]

P = ParamSpec("P")
T = TypeVar("T")
W = TypeVar("W")

ADMITTED, QUEUED, REJECTED = 0, 1, 2


class _Waiter(Protocol):
    def grant(self) -> None: ...


class BulkheadMachine(Generic[W]):
    """Slots and queue, without locks or waiting.

    Example:
        >>> m = BulkheadMachine(max_concurrent=1, max_queued=1)
        >>> m.enter("a"), m.enter("b"), m.enter("c")
        (0, 1, 2)
        >>> m.release(), m.in_flight, len(m.queue)
        ('b', 1, 0)
    """

    __slots__ = ("in_flight", "max_concurrent", "max_queued", "queue")

    def __init__(self, max_concurrent: int, max_queued: int) -> None:
        self.max_concurrent = max_concurrent
        self.max_queued = max_queued
        self.in_flight = 0
        self.queue: deque[W] = deque()

    def admit(self) -> bool:
        """Take a free slot if nobody queues ahead (True); else leave everything as is."""
        if self.in_flight < self.max_concurrent and not self.queue:
            self.in_flight += 1
            return True
        return False

    def enter(self, waiter: W) -> int:
        """ADMITTED (a slot is taken), QUEUED (`waiter` waits its turn) or REJECTED."""
        if self.admit():
            return ADMITTED
        if len(self.queue) < self.max_queued:
            self.queue.append(waiter)
            return QUEUED
        return REJECTED

    def release(self) -> W | None:
        """Free a slot: hand it to the oldest waiter (returned) or give it back."""
        if self.queue:
            return self.queue.popleft()
        self.in_flight -= 1
        return None

    def withdraw(self, waiter: W) -> bool:
        """A waiter gives up: True if it was still queued, False if it got a slot meanwhile."""
        try:
            self.queue.remove(waiter)
        except ValueError:
            return False
        return True


class _ThreadWaiter:
    __slots__ = ("event",)

    def __init__(self) -> None:
        self.event = threading.Event()

    def grant(self) -> None:
        self.event.set()


class _TaskWaiter:
    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()

    def grant(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            _resolve(self.future)
        else:
            self.loop.call_soon_threadsafe(_resolve, self.future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Bulkhead:
    """Limits concurrent calls to `max_concurrent`, queueing up to `max_queued` more.

    Queued calls are served first-in first-out; one that waits `max_wait`
    seconds of the clock (None: no limit) without a slot is refused with
    `BulkheadFullError(reason="queue_timeout")`, and a call that finds the
    queue full with `reason="full"`. Sync and async callers share the slots.

    Example:
        >>> bulkhead = Bulkhead(max_concurrent=2, max_queued=10, max_wait=5.0)
        >>> bulkhead.call(lambda: "ok"), bulkhead.in_flight
        ('ok', 0)
    """

    __slots__ = ("_clock", "_events", "_lock", "_m", "max_wait", "name")

    def __init__(
        self,
        max_concurrent: int = 10,
        max_queued: int = 0,
        *,
        max_wait: float | None = None,
        name: str = "bulkhead",
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        problems = []
        if max_concurrent < 1:
            problems.append(("max_concurrent", f"must be >= 1, got {max_concurrent}"))
        if max_queued < 0:
            problems.append(("max_queued", f"must be >= 0, got {max_queued}"))
        if max_wait is not None and max_wait < 0:
            problems.append(("max_wait", f"must be >= 0 or None, got {max_wait}"))
        if problems:
            raise ConfigError(problems)
        self._m: BulkheadMachine[_Waiter] = BulkheadMachine(max_concurrent, max_queued)
        self.max_wait = max_wait
        self.name = name
        self._clock = resolve_clock(clock)
        self._events = events
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        m = self._m
        return (
            f"Bulkhead({self.name!r}, {m.in_flight}/{m.max_concurrent} busy, {len(m.queue)} queued)"
        )

    def __call__(self, func: Callable[P, T]) -> Callable[P, T]:
        """Decorate a sync or async function."""
        return decorate(self, func)

    @property
    def in_flight(self) -> int:
        """Calls running now."""
        return self._m.in_flight

    @property
    def queued(self) -> int:
        """Calls waiting for a slot now."""
        return len(self._m.queue)

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn()` once a slot is free (blocking this thread while queued)."""
        with self._lock:
            m = self._m
            if m.admit():  # the common case allocates no waiter
                waiter = None
            else:
                waiter = _ThreadWaiter()
                decision = m.enter(waiter)
        if waiter is not None:
            self._wait_sync(waiter, decision)
        try:
            return fn()
        finally:
            self._release()

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()` once a slot is free."""
        with self._lock:
            m = self._m
            if m.admit():
                waiter = None
            else:
                waiter = _TaskWaiter(asyncio.get_running_loop())
                decision = m.enter(waiter)
        if waiter is not None:
            await self._wait_async(waiter, decision)
        try:
            return await fn()
        finally:
            self._release()

    def _wait_sync(self, waiter: _ThreadWaiter, decision: int) -> None:
        if decision == REJECTED:
            raise self._rejected("full")
        deadline = float("inf") if self.max_wait is None else self._clock.now() + self.max_wait
        try:
            if self.max_wait is None:
                granted = waiter.event.wait()
            else:
                granted = wait_event(waiter.event, deadline, self._clock)
        except BaseException:
            self._abandon(waiter)
            raise
        if not granted and self._withdraw(waiter):
            raise self._rejected("queue_timeout")

    async def _wait_async(self, waiter: _TaskWaiter, decision: int) -> None:
        if decision == REJECTED:
            raise self._rejected("full")
        timer = None
        if self.max_wait is not None:
            timer = asyncio.ensure_future(self._clock.sleep_async(self.max_wait))
        try:
            if timer is None:
                await waiter.future
            else:
                await asyncio.wait((waiter.future, timer), return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            self._abandon(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if not waiter.future.done() and self._withdraw(waiter):
            raise self._rejected("queue_timeout")

    def _withdraw(self, waiter: _Waiter) -> bool:
        """Leave the queue; True if we did, False if a slot was handed to us meanwhile."""
        with self._lock:
            return self._m.withdraw(waiter)

    def _abandon(self, waiter: _Waiter) -> None:
        """Interrupted while queued: leave, and pass on a slot that came meanwhile."""
        if not self._withdraw(waiter):
            self._release()

    def _release(self) -> None:
        with self._lock:
            waiter = self._m.release()
        if waiter is not None:
            waiter.grant()

    def _rejected(self, reason: str) -> BulkheadFullError:
        m = self._m
        bus = bus_of(self._events)
        if bus.active:
            bus.emit(
                BulkheadRejected(
                    at=self._clock.now(),
                    source=self.name,
                    reason=reason,
                    in_flight=m.in_flight,
                    queued=len(m.queue),
                )
            )
        return BulkheadFullError(self.name, reason, m.max_concurrent, m.max_queued)
