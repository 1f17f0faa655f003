"""Timeouts: stop waiting for a call after a number of seconds of the clock.

Async calls are cancelled: the call runs as a task raced against
`clock.sleep_async(seconds)`; when the clock wins, the task is cancelled and
awaited until it has stopped, then `TimeoutRejected` is raised. On the
system clock `asyncio.timeout` does the same job more cheaply. On a
`VirtualClock` the race is decided by virtual time alone.

Sync calls cannot be cancelled: Python cannot kill a thread. The call runs
in a named worker thread ("chaoslab-timeout-<name>-<n>") and the caller
stops waiting at the deadline. A worker still running after its caller gave
up is *abandoned*, never invisible: `abandoned_threads()` lists it until it
ends, `TimeoutRejected.thread` and the `TimeoutExpired` event name it. Give
sync calls their own socket timeouts too, so abandoned workers end soon.

On a clock other than the system clock, a sync caller checks the clock
every millisecond of real time, and a call that returns at a later clock
time than the deadline (it slept past it on a virtual clock) is a timeout
too: the verdict depends on clock time only.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import threading
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, cast

from chaoslab.clock import Clock, SystemClock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus
from chaoslab.resilience._errors import TimeoutRejected
from chaoslab.resilience._events import TimeoutExpired
from chaoslab.resilience._support import bus_of, decorate, resolve_clock, wait_event

__all__ = ["Timeout", "abandoned_threads", "call_with_timeout", "call_with_timeout_async"]

P = ParamSpec("P")
T = TypeVar("T")

_counter = itertools.count(1)
_abandoned_lock = threading.Lock()
_abandoned: set[threading.Thread] = set()


def abandoned_threads() -> list[threading.Thread]:
    """Sync timeout workers still running after their caller stopped waiting."""
    with _abandoned_lock:
        for thread in [t for t in _abandoned if not t.is_alive()]:
            _abandoned.discard(thread)
        return sorted(_abandoned, key=lambda t: t.name)


class _Box:
    __slots__ = ("done", "error", "finished_at", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished_at = 0.0


def _work(ctx: contextvars.Context, fn: Callable[[], Any], box: _Box, clock: Clock) -> None:
    try:
        box.result = ctx.run(fn)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller, who re-raises it
        box.error = exc
    finally:
        box.finished_at = clock.now()
        box.done.set()
        with _abandoned_lock:
            _abandoned.discard(threading.current_thread())


def _expired(
    name: str, seconds: float, at: float, thread: str | None, events: EventBus | None
) -> TimeoutRejected:
    bus = bus_of(events)
    if bus.active:
        bus.emit(TimeoutExpired(at=at, source=name, timeout=seconds, thread=thread))
    return TimeoutRejected(name, seconds, thread)


def call_with_timeout(
    fn: Callable[[], T],
    seconds: float,
    *,
    clock: Clock | None = None,
    name: str = "timeout",
    events: EventBus | None = None,
) -> T:
    """Run `fn()` in a tracked worker thread; give up waiting after `seconds`."""
    clock = resolve_clock(clock)
    box = _Box()
    thread = threading.Thread(
        target=_work,
        args=(contextvars.copy_context(), fn, box, clock),
        name=f"chaoslab-timeout-{name}-{next(_counter)}",
        daemon=True,
    )
    deadline = clock.now() + seconds
    thread.start()
    try:
        # On a virtual clock a call that returns at a clock time past the deadline
        # (it slept past it) timed out all the same: only clock time decides.
        finished = wait_event(box.done, deadline, clock) and (
            isinstance(clock, SystemClock) or box.finished_at <= deadline
        )
    except BaseException:
        _abandon(thread)
        raise
    if finished:
        if box.error is not None:
            raise box.error
        return cast(T, box.result)
    _abandon(thread)
    raise _expired(name, seconds, deadline, thread.name, events)


def _abandon(thread: threading.Thread) -> None:
    with _abandoned_lock:
        if thread.is_alive():
            _abandoned.add(thread)


async def call_with_timeout_async(
    fn: Callable[[], Awaitable[T]],
    seconds: float,
    *,
    clock: Clock | None = None,
    name: str = "timeout",
    events: EventBus | None = None,
) -> T:
    """Await `fn()`, cancelling it after `seconds` of the clock."""
    clock = resolve_clock(clock)
    if isinstance(clock, SystemClock):
        deadline = clock.now() + seconds
        scope = asyncio.timeout(seconds)
        try:
            async with scope:
                return await fn()
        except TimeoutError as exc:
            if not scope.expired():
                raise  # the call's own TimeoutError, not ours
            raise _expired(name, seconds, deadline, None, events) from exc
    return await _race(fn, seconds, clock, name, events)


async def _race(
    fn: Callable[[], Awaitable[T]],
    seconds: float,
    clock: Clock,
    name: str,
    events: EventBus | None,
) -> T:
    deadline = clock.now() + seconds
    call: asyncio.Future[T] = asyncio.ensure_future(fn())
    timer = asyncio.ensure_future(clock.sleep_async(seconds))
    try:
        await asyncio.wait((call, timer), return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        # We were cancelled ourselves: take the call and the timer down with us.
        call.cancel()
        timer.cancel()
        await asyncio.wait((call, timer))
        raise
    if call.done():
        timer.cancel()
        return call.result()
    call.cancel()
    await asyncio.wait((call,))  # until the call has really stopped
    # A call that swallowed the cancellation and answered is too late all the same;
    # one that failed while stopping is the cause (retrieved, so asyncio does not warn).
    cause = None if call.cancelled() else call.exception()
    raise _expired(name, seconds, deadline, None, events) from cause


class Timeout:
    """Gives up on a call after `seconds` of the clock (see the module docs).

    Example:
        >>> import asyncio
        >>> from chaoslab.clock import VirtualClock
        >>> clock = VirtualClock(autojump=True)
        >>> timeout = Timeout(2.0, clock=clock)
        >>> async def slow() -> str:
        ...     await clock.sleep_async(10.0)
        ...     return "late"
        >>> async def main() -> str:
        ...     try:
        ...         return await timeout.call_async(slow)
        ...     except TimeoutError as exc:
        ...         return f"{exc} at t={clock.now()}"
        >>> asyncio.run(main())
        "'timeout' timed out after 2 s at t=2.0"
    """

    __slots__ = ("_clock", "_events", "name", "seconds")

    def __init__(
        self,
        seconds: float,
        *,
        name: str = "timeout",
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        if not seconds > 0:
            raise ConfigError([("seconds", f"must be > 0, got {seconds}")])
        self.seconds = seconds
        self.name = name
        self._clock = resolve_clock(clock)
        self._events = events

    def __repr__(self) -> str:
        return f"Timeout({self.seconds!r}, name={self.name!r})"

    def __call__(self, func: Callable[P, T]) -> Callable[P, T]:
        """Decorate a sync or async function."""
        return decorate(self, func)

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn()` in a tracked worker thread and wait at most `seconds`."""
        return call_with_timeout(
            fn, self.seconds, clock=self._clock, name=self.name, events=self._events
        )

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()`, cancelling it after `seconds`."""
        return await call_with_timeout_async(
            fn, self.seconds, clock=self._clock, name=self.name, events=self._events
        )
