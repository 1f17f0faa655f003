"""The errors the breaker, retry, timeout, bulkhead and rate limiter raise.

Every one is a `ResilienceError`: chaoslab refusing a call or giving up on
it, never an injected fault::

    ResilienceError
    ├── CircuitOpenError       the breaker refused the call (open, forced open, half-open full)
    ├── RetriesExhausted       retry gave up; carries the last outcome and the attempt count
    ├── TimeoutRejected (TimeoutError)   the call did not answer in time
    ├── BulkheadFullError      no free slot and no room (or no time) left in the queue
    └── RateLimitedError       over the rate, in reject mode (or the wait would be too long)

Rejections carry `retry_after`: seconds until trying again makes sense, or
None when nobody can tell (a forced-open breaker, a full bulkhead).

Example:
    >>> err = CircuitOpenError("llm", "open", 12.5)
    >>> str(err), err.retry_after
    ("circuit 'llm' is open; half-open in 12.5 s", 12.5)
"""

from __future__ import annotations

from chaoslab.errors import ResilienceError

__all__ = [
    "BulkheadFullError",
    "CircuitOpenError",
    "RateLimitedError",
    "RetriesExhausted",
    "TimeoutRejected",
]


class CircuitOpenError(ResilienceError):
    """The circuit breaker refused the call without calling.

    `remaining` is the clock time until the breaker turns half-open: 0.0
    when it already is half-open but every probe permit is taken, None when
    it is forced open (only a manual transition will close it).
    """

    def __init__(self, name: str, state: str, remaining: float | None) -> None:
        self.name = name
        self.state = state
        self.remaining = remaining
        if remaining is None:
            detail = "until closed by hand"
        elif state == "half_open":
            detail = "every half-open probe permit is taken"
        else:
            detail = f"half-open in {remaining:g} s"
        super().__init__(f"circuit {name!r} is {state.replace('_', ' ')}; {detail}")

    @property
    def retry_after(self) -> float | None:
        """Same as `remaining`, under the name every rejection uses."""
        return self.remaining


class RetriesExhausted(ResilienceError):
    """Retry gave up.

    `attempts` calls were made; the last one raised `last_exception` or, when
    it failed by its result, returned `last_result`. `reason` says what
    stopped the retries: "attempts", "delay", "timeout", "budget",
    or "retry_after" (the server asked for a longer wait than the budget
    allows). Errors that are not retryable propagate unchanged instead.
    """

    def __init__(
        self,
        attempts: int,
        reason: str,
        last_exception: BaseException | None = None,
        last_result: object = None,
    ) -> None:
        self.attempts = attempts
        self.reason = reason
        self.last_exception = last_exception
        self.last_result = last_result
        last = (
            f"{type(last_exception).__name__}: {last_exception}"
            if last_exception is not None
            else f"result {last_result!r}"
        )
        super().__init__(f"gave up after {attempts} attempt(s) ({reason}); last: {last}")


class TimeoutRejected(ResilienceError, TimeoutError):
    """The call did not answer within `timeout` seconds of the clock.

    For a sync call, `thread` names the worker thread that was left running
    (Python cannot kill a thread); it is still listed by `abandoned_threads()`.
    """

    def __init__(self, name: str, timeout: float, thread: str | None = None) -> None:
        self.name = name
        self.timeout = timeout
        self.thread = thread
        extra = f"; worker thread {thread!r} left running" if thread else ""
        super().__init__(f"{name!r} timed out after {timeout:g} s{extra}")


class BulkheadFullError(ResilienceError):
    """The bulkhead refused the call.

    `reason` is "full" (every slot busy and the queue full) or "queue_timeout"
    (the call waited `max_wait` seconds in the queue without getting a slot).
    """

    retry_after: float | None = None

    def __init__(self, name: str, reason: str, max_concurrent: int, max_queued: int) -> None:
        self.name = name
        self.reason = reason
        self.max_concurrent = max_concurrent
        self.max_queued = max_queued
        what = "no slot within the queue timeout" if reason == "queue_timeout" else "full"
        super().__init__(
            f"bulkhead {name!r}: {what} ({max_concurrent} concurrent, {max_queued} queued)"
        )


class RateLimitedError(ResilienceError):
    """The rate limiter refused the call; a permit is free in `retry_after` seconds."""

    def __init__(self, name: str, retry_after: float) -> None:
        self.name = name
        self.retry_after = retry_after
        super().__init__(f"rate limiter {name!r}: over the limit; retry after {retry_after:g} s")
