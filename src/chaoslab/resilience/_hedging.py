"""Hedging: when a call is slow, start another one; the first success wins.

The primary attempt starts at once. If it has not answered after `delay`
seconds (on the clock), a hedged attempt starts, and so on up to
`max_attempts` attempts in flight. A failed attempt starts the next one at
once instead of waiting out the delay. The first success is returned; the
other attempts are losers:

- asyncio: each loser's task is cancelled *and awaited* before the call
  returns, so nothing runs on behind your back;
- threads: a thread cannot be cancelled. Every attempt runs in a daemon
  worker thread; a loser runs to its end, its result is discarded, and the
  thread is tracked (`running()`, `join(timeout)`) so a test can wait for
  the stragglers. Hedge only idempotent calls.

If every attempt fails, the primary's error is raised.

Example:
    >>> import asyncio
    >>> from chaoslab.clock import VirtualClock
    >>> clock = VirtualClock(autojump=True)
    >>> calls = []
    >>> async def fetch() -> str:
    ...     calls.append(clock.now())
    ...     await clock.sleep_async(10.0 if len(calls) == 1 else 0.5)  # the first one is stuck
    ...     return f"answered at {clock.now()}"
    >>> asyncio.run(Hedging(delay=1.0, clock=clock).call_async(fetch))
    'answered at 1.5'
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from chaoslab.clock import Clock, SystemClock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus
from chaoslab.resilience._budget import RetryBudget
from chaoslab.resilience._events_b import HedgeLaunched, HedgeWon
from chaoslab.resilience._support import bus_of, resolve_clock

__all__ = ["Hedging"]

T = TypeVar("T")

# How often (real seconds) a sync caller looks at a non-system clock while
# it waits for the hedge delay: a virtual clock moves without telling anyone.
_POLL = 0.002


class Hedging:
    """Run hedged attempts of a slow call; see the module docstring.

    Args:
        delay: seconds to wait for an answer before starting the next attempt
            (0 = start all attempts at once).
        max_attempts: attempts in all, the primary included (2..10).
        budget: a `RetryBudget` shared with the retries to the same dependency:
            each call deposits, each hedged attempt withdraws, and when it is
            spent no hedge starts (the running attempts go on), so hedging
            cannot multiply the load on a struggling dependency.
        on: errors after which the next attempt starts at once; other errors
            are returned to the caller at once.
        name: the `source` of events.

    Events: `HedgeLaunched` per hedged attempt, `HedgeWon` per call answered.
    """

    def __init__(
        self,
        *,
        delay: float,
        max_attempts: int = 2,
        budget: RetryBudget | None = None,
        on: type[BaseException] | tuple[type[BaseException], ...] = (Exception,),
        name: str = "hedging",
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        problems = []
        if not delay >= 0:
            problems.append(("delay", f"must be >= 0 seconds, got {delay!r}"))
        if not 2 <= max_attempts <= 10:
            problems.append(("max_attempts", f"must be in 2..10, got {max_attempts!r}"))
        if problems:
            raise ConfigError(problems)
        self.delay = delay
        self.max_attempts = max_attempts
        self.budget = budget
        self.on = on if isinstance(on, tuple) else (on,)
        self.name = name
        self.clock = resolve_clock(clock)
        self._events = events
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self.hedges = 0  # hedged attempts started (a metric)

    def __repr__(self) -> str:
        return f"Hedging(delay={self.delay!r}, max_attempts={self.max_attempts!r})"

    def _launched(self, attempt: int, started: float) -> None:
        with self._lock:
            self.hedges += 1
        bus = bus_of(self._events)
        if bus.active:
            now = self.clock.now()
            bus.emit(HedgeLaunched(at=now, source=self.name, attempt=attempt, after=now - started))

    def _won(self, attempt: int, attempts: int) -> None:
        bus = bus_of(self._events)
        if bus.active:
            bus.emit(
                HedgeWon(at=self.clock.now(), source=self.name, attempt=attempt, attempts=attempts)
            )

    # -- asyncio ---------------------------------------------------------------

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await hedged attempts of `fn()`; losers are cancelled and awaited."""
        run = _Attempts(self)
        tasks: list[asyncio.Task[T]] = [asyncio.ensure_future(fn())]
        timer: asyncio.Task[None] | None = None
        try:
            while True:
                if timer is None and run.may_hedge():
                    timer = asyncio.ensure_future(self.clock.sleep_async(self.delay))
                waiting: set[asyncio.Future[Any]] = {t for t in tasks if not t.done()}
                if timer is not None:
                    waiting.add(timer)
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                winner = _first_success(tasks, done, run)
                if winner is not None:
                    self._won(winner, run.total)
                    return tasks[winner].result()
                # The delay passed or an attempt failed: hedge now, if allowed.
                if timer is not None:
                    timer.cancel()
                timer = None
                if run.may_hedge() and run.hedge() is not None:
                    tasks.append(asyncio.ensure_future(fn()))
                run.give_up_if_over()
        finally:
            await _cancel_all([*tasks, *([timer] if timer else [])])

    # -- threads ---------------------------------------------------------------

    def call(self, fn: Callable[[], T]) -> T:
        """Run hedged attempts of `fn()` in worker threads; losers' results are discarded."""
        run = _Attempts(self)
        answers: queue.SimpleQueue[tuple[int, bool, Any]] = queue.SimpleQueue()
        self._start_thread(fn, 0, answers)
        deadline = run.started + self.delay
        while True:
            answer = self._next_answer(answers, deadline if run.may_hedge() else None)
            if answer is None:  # the delay passed without an answer, or one failed: hedge
                index = run.hedge()
                if index is None:
                    run.give_up_if_over()
                else:
                    self._start_thread(fn, index, answers)
                    deadline = self.clock.now() + self.delay
                continue
            index, ok, value = answer
            if ok:
                self._won(index, run.total)
                return cast(T, value)
            run.failed(value)
            if run.may_hedge():
                deadline = self.clock.now()  # a failure hedges at once
            else:
                run.give_up_if_over()

    def _next_answer(
        self, answers: queue.SimpleQueue[tuple[int, bool, Any]], deadline: float | None
    ) -> tuple[int, bool, Any] | None:
        """The next attempt's answer, or None once the clock reaches `deadline`."""
        if deadline is None:
            return answers.get()
        real = isinstance(self.clock, SystemClock)
        while True:
            remaining = deadline - self.clock.now()
            if remaining <= 0:
                with contextlib.suppress(queue.Empty):
                    return answers.get_nowait()
                return None
            try:
                return answers.get(timeout=remaining if real else min(remaining, _POLL))
            except queue.Empty:
                continue

    def _start_thread(
        self, fn: Callable[[], Any], index: int, answers: queue.SimpleQueue[tuple[int, bool, Any]]
    ) -> None:
        def attempt() -> None:
            try:
                answers.put((index, True, fn()))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                answers.put((index, False, exc))
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=attempt, name=f"chaoslab-hedge-{index}", daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def running(self) -> int:
        """How many attempt threads are still running (losers included)."""
        with self._lock:
            return len(self._threads)

    def join(self, timeout: float | None = None) -> bool:
        """Wait (real time) for every attempt thread to end; True if none is left."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        return self.running() == 0


async def _cancel_all(tasks: list[asyncio.Task[Any]]) -> None:
    pending = [t for t in tasks if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    for task in tasks:  # mark exceptions of failed attempts as retrieved
        if task.done() and not task.cancelled():
            task.exception()


class _Attempts:
    """One hedged call's attempts and the decisions both drivers share: when
    a hedge may start, what the budget allows, which error ends the call. The
    drivers only start attempts, wait, and report answers."""

    __slots__ = ("errors", "finished", "hedging", "limit", "started", "total")

    def __init__(self, hedging: Hedging) -> None:
        self.hedging = hedging
        self.started = hedging.clock.now()
        if hedging.budget is not None:
            hedging.budget.deposit()
        self.total = 1  # attempts started, the primary included
        self.finished = 0
        self.limit = hedging.max_attempts
        self.errors: list[BaseException] = []

    def may_hedge(self) -> bool:
        return self.total < self.limit

    def hedge(self) -> int | None:
        """The index of the attempt to start now, or None: the budget is spent."""
        hedging = self.hedging
        if hedging.budget is not None and not hedging.budget.try_withdraw():
            self.limit = self.total  # wait for the running attempts only
            return None
        index = self.total
        self.total += 1
        hedging._launched(index, self.started)
        return index

    def failed(self, error: BaseException) -> None:
        """Count a failed attempt; an error outside `on` ends the call at once."""
        self.finished += 1
        if not isinstance(error, self.hedging.on):
            raise error
        self.errors.append(error)

    def give_up_if_over(self) -> None:
        """Every attempt failed and none may start: raise the first error."""
        if self.finished == self.total and not self.may_hedge():
            raise self.errors[0]


def _first_success(tasks: list[asyncio.Task[T]], done: set[Any], run: _Attempts) -> int | None:
    """The index of a task that succeeded; failures are reported to `run`."""
    for index, task in enumerate(tasks):
        if task in done:
            error = task.exception()
            if error is None:
                return index
            run.failed(error)
    return None
