"""Events of the breaker, retry, timeout, bulkhead and rate limiter.

One frozen type per kind of event, emitted on an `EventBus`. Emitters check
`bus.active` first, so a strategy nobody observes builds no event at all.
`source` is the strategy's name.

Example:
    >>> from chaoslab.observe import EventBus, EventRecorder
    >>> bus, recorder = EventBus(), EventRecorder()
    >>> _ = bus.subscribe(recorder)
    >>> bus.emit(BreakerStateChanged(at=30.0, source="llm", old="open", new="half_open",
    ...                              reason="timer"))
    >>> recorder.events[0].kind
    'breaker.state_changed'
"""

from __future__ import annotations

from dataclasses import dataclass

from chaoslab.observe import Event

__all__ = [
    "BreakerRejected",
    "BreakerStateChanged",
    "BulkheadRejected",
    "RateLimitRejected",
    "RateLimitWaited",
    "RetryGaveUp",
    "RetryScheduled",
    "TimeoutExpired",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerStateChanged(Event):
    """The breaker moved from `old` to `new` (state values such as "half_open").

    `reason` is one of "failures" (consecutive threshold), "failure_rate",
    "slow_call_rate", "probe_failed", "probes_succeeded", "timer" (open to
    half-open), "half_open_timeout", "manual" or "store" (adopted from a
    shared `BreakerStore` by `refresh()`). `at` is the clock time the
    transition happened: for the timer, exactly the end of the open period.
    """

    kind = "breaker.state_changed"
    old: str
    new: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerRejected(Event):
    """A call was refused without calling; `remaining` as in `CircuitOpenError`."""

    kind = "breaker.rejected"
    state: str
    remaining: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryScheduled(Event):
    """Attempt `attempt` (1-based) failed; the next starts after `delay` seconds.

    `error` is the exception type name, or "result" when the result was
    judged a failure; `retry_after` is the server's requested wait, if any.
    """

    kind = "retry.scheduled"
    attempt: int
    delay: float
    error: str
    retry_after: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryGaveUp(Event):
    """Retry stopped after `attempts` attempts for `reason` (see `RetriesExhausted`)."""

    kind = "retry.gave_up"
    attempts: int
    reason: str
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeoutExpired(Event):
    """A call ran past `timeout`; `thread` names the sync worker left running."""

    kind = "timeout.expired"
    timeout: float
    thread: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkheadRejected(Event):
    """The bulkhead refused a call ("full" or "queue_timeout")."""

    kind = "bulkhead.rejected"
    reason: str
    in_flight: int
    queued: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitRejected(Event):
    """The limiter refused a call; a permit frees up in `retry_after` seconds."""

    kind = "ratelimit.rejected"
    retry_after: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitWaited(Event):
    """A call queued for `wait` seconds before its permit (wait mode)."""

    kind = "ratelimit.waited"
    wait: float
