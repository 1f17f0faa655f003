"""Retry: call again after transient failures, with seeded waits, budgets and deadlines.

The decisions (stop or wait, for how long, honouring Retry-After, within the
delay budget, the overall deadline and the retry budget) are made once, in
`Retry._plan`; the sync and async drivers only call, sleep and loop. The
first attempt allocates nothing: the per-call record is built only once a
call has failed.
"""

from __future__ import annotations

import functools
import inspect
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, ParamSpec, TypeVar, cast

from chaoslab.clock import Clock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus
from chaoslab.resilience._budget import RetryBudget
from chaoslab.resilience._errors import CircuitOpenError, RetriesExhausted
from chaoslab.resilience._events import RetryGaveUp, RetryScheduled
from chaoslab.resilience._retry_after import retry_after_of
from chaoslab.resilience._stop import Stop, StopAfterAttempt, StopAfterDelay, StopNever
from chaoslab.resilience._support import (
    ErrorSpec,
    bus_of,
    error_matcher,
    resolve_clock,
)
from chaoslab.resilience._testmode import no_wait
from chaoslab.resilience._timeout import call_with_timeout, call_with_timeout_async
from chaoslab.resilience._wait import Wait, WaitFullJitter

__all__ = ["Retry"]

P = ParamSpec("P")
T = TypeVar("T")

_NOTHING: Any = object()


class _Run:
    """One call's retry record, built at its first failure."""

    __slots__ = ("attempts", "deadline", "error", "previous", "result", "waited")

    def __init__(self, deadline: float) -> None:
        self.attempts = 0
        self.waited = 0.0
        self.previous = 0.0
        self.deadline = deadline
        self.error: BaseException | None = None
        self.result: Any = _NOTHING

    def failed(self, error: BaseException | None, result: Any) -> None:
        """Count a failed attempt: its error, or the result judged a failure."""
        self.attempts += 1
        self.error = error
        self.result = result


class Retry:
    """Calls again after failures, waiting between attempts.

    - Stop: `attempts` (default 3, the first included) and/or `max_delay`
      (a budget of total waiting; the last wait is cut to fit it, never
      overshooting); or pass any `stop` rule (`StopAfterAttempt(5) | ...`).
    - Wait: any `Wait` (default `WaitFullJitter(0.1, 2.0, 10.0)`), drawing from
      `rng` (pass `random.Random(seed)` to replay the same waits).
    - What is retried: exceptions matching `retry_on` (default `Exception`) and
      not `ignore` (default `CircuitOpenError`: an open circuit ends retries at
      once), and results for which `retry_if_result` is true. Cancellation and
      other non-`Exception`s are never retried.
    - Retry-After: a failure that asks for a wait (`retry_after_of`) gets at
      least that wait; if it does not fit the delay budget, retry gives up.
    - `budget`: a shared `RetryBudget`; no retry without its permission.
    - `attempt_timeout` bounds each attempt, `timeout` the whole call (attempts
      and waits): attempts are cut to the time left, and a wait that would end
      past the deadline ends the retries.
    - Gives up with `RetriesExhausted` (carrying the last error or result and the
      attempt count), or re-raises the last error when `reraise=True`.

    Events: `RetryScheduled` per retry, `RetryGaveUp` when it gives up. Test
    mode (`chaoslab.resilience.testing()`) turns every wait into zero.

    Example:
        >>> import random
        >>> from chaoslab.clock import VirtualClock
        >>> clock = VirtualClock(autojump=True)
        >>> retry = Retry(attempts=4, rng=random.Random(7), clock=clock)
        >>> answers = iter([ConnectionError("1"), ConnectionError("2"), "ok"])
        >>> def flaky() -> str:
        ...     answer = next(answers)
        ...     if isinstance(answer, Exception):
        ...         raise answer
        ...     return answer
        >>> retry.call(flaky)
        'ok'
    """

    __slots__ = (
        "_attempt_timeout",
        "_budget",
        "_clock",
        "_events",
        "_ignore",
        "_plain",
        "_retry_if_result",
        "_retry_on",
        "_rng",
        "_stop",
        "_timeout",
        "_wait",
        "name",
        "reraise",
        "respect_retry_after",
    )

    def __init__(
        self,
        name: str = "retry",
        *,
        attempts: int | None = 3,
        max_delay: float | None = None,
        stop: Stop | None = None,
        wait: Wait | None = None,
        retry_on: ErrorSpec = Exception,
        ignore: ErrorSpec = CircuitOpenError,
        retry_if_result: Callable[[Any], bool] | None = None,
        respect_retry_after: bool = True,
        budget: RetryBudget | None = None,
        attempt_timeout: float | None = None,
        timeout: float | None = None,
        reraise: bool = False,
        rng: random.Random | None = None,
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        self.name = name
        self._stop = stop if stop is not None else _stop_from(attempts, max_delay)
        self._wait = wait if wait is not None else WaitFullJitter()
        self._retry_on = error_matcher(retry_on)
        self._ignore = error_matcher(ignore) if ignore != () else None
        self._retry_if_result = retry_if_result
        self.respect_retry_after = respect_retry_after
        self._budget = budget
        for field, value in (("attempt_timeout", attempt_timeout), ("timeout", timeout)):
            if value is not None and not value > 0:
                raise ConfigError([(field, f"must be > 0 or None, got {value}")])
        self._attempt_timeout = attempt_timeout
        self._timeout = timeout
        self._plain = attempt_timeout is None and timeout is None
        self.reraise = reraise
        self._rng = rng if rng is not None else random.Random()
        self._clock = resolve_clock(clock)
        self._events = events

    def __repr__(self) -> str:
        return f"Retry({self.name!r}, stop={self._stop!r}, wait={self._wait!r})"

    def __call__(self, func: Callable[P, T]) -> Callable[P, T]:
        """Decorate a sync or async function.

        The wrapper makes the first attempt inline and builds the retry
        record only after a failure, as `call` does; with timeouts or a budget
        every call goes through `call`/`call_async`.
        """
        if inspect.iscoroutinefunction(func):
            return cast(Callable[P, T], self._wrap_async(func))

        @functools.wraps(func)
        def retried(*args: P.args, **kwargs: P.kwargs) -> T:
            if not self._plain or self._budget is not None:
                return self.call(functools.partial(func, *args, **kwargs))
            try:
                result = func(*args, **kwargs)
            except Exception as exc:
                if not self._retryable(exc):
                    raise
                return self._loop(
                    functools.partial(func, *args, **kwargs), self._failed_run(exc, _NOTHING)
                )
            check = self._retry_if_result
            if check is None or not check(result):
                return result
            return self._loop(
                functools.partial(func, *args, **kwargs), self._failed_run(None, result)
            )

        return retried

    def _wrap_async(self, func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(func)
        async def retried(*args: Any, **kwargs: Any) -> Any:
            if not self._plain or self._budget is not None:
                return await self.call_async(functools.partial(func, *args, **kwargs))
            try:
                result = await func(*args, **kwargs)
            except Exception as exc:
                if not self._retryable(exc):
                    raise
                return await self._loop_async(
                    functools.partial(func, *args, **kwargs), self._failed_run(exc, _NOTHING)
                )
            check = self._retry_if_result
            if check is None or not check(result):
                return result
            return await self._loop_async(
                functools.partial(func, *args, **kwargs), self._failed_run(None, result)
            )

        return retried

    # -- drivers -----------------------------------------------------------

    def call(self, fn: Callable[[], T]) -> T:
        """Call `fn()`, retrying in this thread."""
        if self._budget is not None:
            self._budget.deposit()
        if not self._plain:
            return self._loop(fn, self._new_run())
        try:
            result = fn()
        except Exception as exc:
            if not self._retryable(exc):
                raise
            return self._loop(fn, self._failed_run(exc, _NOTHING))
        check = self._retry_if_result
        if check is None or not check(result):
            return result
        return self._loop(fn, self._failed_run(None, result))

    def _loop(self, fn: Callable[[], T], run: _Run) -> T:
        clock = self._clock
        while True:
            if run.attempts:
                delay = self._plan(run)
                if delay > 0 and not no_wait():
                    clock.sleep(delay)
            limit = self._attempt_limit(run)
            try:
                if limit is None:
                    result = fn()
                else:
                    result = call_with_timeout(
                        fn, limit, clock=clock, name=self.name, events=self._events
                    )
            except Exception as exc:
                if not self._retryable(exc):
                    raise
                run.failed(exc, _NOTHING)
                continue
            if not self._bad_result(result):
                return result
            run.failed(None, result)

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()`, retrying."""
        if self._budget is not None:
            self._budget.deposit()
        if not self._plain:
            return await self._loop_async(fn, self._new_run())
        try:
            result = await fn()
        except Exception as exc:
            if not self._retryable(exc):
                raise
            return await self._loop_async(fn, self._failed_run(exc, _NOTHING))
        check = self._retry_if_result
        if check is None or not check(result):
            return result
        return await self._loop_async(fn, self._failed_run(None, result))

    async def _loop_async(self, fn: Callable[[], Awaitable[T]], run: _Run) -> T:
        clock = self._clock
        while True:
            if run.attempts:
                delay = self._plan(run)
                if delay > 0 and not no_wait():
                    await clock.sleep_async(delay)
            limit = self._attempt_limit(run)
            try:
                if limit is None:
                    result = await fn()
                else:
                    result = await call_with_timeout_async(
                        fn, limit, clock=clock, name=self.name, events=self._events
                    )
            except Exception as exc:
                if not self._retryable(exc):
                    raise
                run.failed(exc, _NOTHING)
                continue
            if not self._bad_result(result):
                return result
            run.failed(None, result)

    # -- decisions (shared by both drivers) --------------------------------

    def _retryable(self, exc: Exception) -> bool:
        if self._ignore is not None and self._ignore(exc):
            return False
        return self._retry_on(exc)

    def _new_run(self) -> _Run:
        total = self._timeout
        return _Run(math.inf if total is None else self._clock.now() + total)

    def _failed_run(self, error: BaseException | None, result: Any) -> _Run:
        run = self._new_run()
        run.failed(error, result)
        return run

    def _bad_result(self, result: Any) -> bool:
        check = self._retry_if_result
        return check is not None and check(result)

    def _attempt_limit(self, run: _Run) -> float | None:
        """The time the next attempt may take: per-attempt and what is left overall."""
        if self._plain:
            return None
        left = run.deadline - self._clock.now()
        per = self._attempt_timeout
        limit = left if per is None else min(per, left)
        return None if math.isinf(limit) else max(limit, 1e-9)

    def _plan(self, run: _Run) -> float:
        """After a failed attempt: the pause before the next one, or give up."""
        allowed, reason = self._stop.check(run.attempts, run.waited)
        if allowed < 0:
            self._give_up(run, reason)
        delay = self._wait.compute(run.attempts - 1, run.previous, self._rng)
        asked = None
        if self.respect_retry_after and run.error is not None:
            asked = retry_after_of(run.error)
            if asked is not None:
                delay = max(delay, asked)
        if delay > allowed:
            if asked is not None and asked > allowed:
                self._give_up(run, "retry_after")  # retrying sooner than asked is pointless
            delay = allowed  # the last wait is cut so the budget is never overshot
        now = self._clock.now()
        if now + delay >= run.deadline:
            self._give_up(run, "timeout")  # no time would be left for the next attempt
        if self._budget is not None and not self._budget.try_withdraw():
            self._give_up(run, "budget")
        run.waited += delay
        run.previous = delay
        bus = bus_of(self._events)
        if bus.active:
            bus.emit(
                RetryScheduled(
                    at=now,
                    source=self.name,
                    attempt=run.attempts,
                    delay=delay,
                    error=_describe(run),
                    retry_after=asked,
                )
            )
        return delay

    def _give_up(self, run: _Run, reason: str) -> NoReturn:
        bus = bus_of(self._events)
        if bus.active:
            bus.emit(
                RetryGaveUp(
                    at=self._clock.now(),
                    source=self.name,
                    attempts=run.attempts,
                    reason=reason,
                    error=_describe(run),
                )
            )
        error = run.error
        if self.reraise and error is not None:
            raise error
        result = None if run.result is _NOTHING else run.result
        raise RetriesExhausted(run.attempts, reason, error, result) from error


def _describe(run: _Run) -> str:
    return "result" if run.error is None else type(run.error).__name__


def _stop_from(attempts: int | None, max_delay: float | None) -> Stop:
    if attempts is not None and max_delay is not None:
        return StopAfterAttempt(attempts) | StopAfterDelay(max_delay)
    if attempts is not None:
        return StopAfterAttempt(attempts)
    if max_delay is not None:
        return StopAfterDelay(max_delay)
    return StopNever()
