"""The circuit breaker's state machine: pure, clock-free, lock-free.

Everything the breaker decides lives here; `CircuitBreaker` only adds a
lock, a clock, the call itself and events. Every method takes the time as an
argument, so a test (or hypothesis) drives the machine directly.

Calls are admitted with `acquire(now)`, which returns a *token*: the
machine's generation number at admission, or -1 for a refusal. Each state
change bumps the generation, so the outcome of a call admitted before a
transition (a late outcome) neither trips nor extends anything, and a
half-open probe permit is only given back to the half-open period that
granted it.

Example:
    >>> m = BreakerMachine(failure_threshold=2, open_duration=30.0)
    >>> for t in (1.0, 2.0):
    ...     m.on_failure(m.acquire(t), t, 0.0)
    >>> m.state, m.acquire(12.0), m.remaining(12.0)
    (<CircuitState.OPEN: 'open'>, -1, 20.0)
    >>> m.acquire(32.0), m.state
    (2, <CircuitState.HALF_OPEN: 'half_open'>)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chaoslab.errors import ConfigError
from chaoslab.resilience._windows import CountWindow, TimeWindow

__all__ = ["BreakerMachine", "BreakerSnapshot", "CircuitState", "Transition"]


class CircuitState(enum.Enum):
    """The five states of a circuit breaker.

    CLOSED calls through and counts; OPEN refuses until the open period
    ends; HALF_OPEN lets a fixed number of probe calls through; FORCED_OPEN
    refuses until closed by hand; DISABLED calls through and counts nothing.
    """

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    FORCED_OPEN = "forced_open"
    DISABLED = "disabled"


_CLOSED = CircuitState.CLOSED
_OPEN = CircuitState.OPEN
_HALF_OPEN = CircuitState.HALF_OPEN
_FORCED_OPEN = CircuitState.FORCED_OPEN
_DISABLED = CircuitState.DISABLED

# (old, new, reason, at): what the driver turns into events after the lock.
Transition = tuple[CircuitState, CircuitState, str, float]


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """The part of a breaker worth persisting or sharing between processes.

    `open_remaining` is the time left in the open period when the snapshot
    was taken (0.0 unless OPEN), so that a store never has to compare two
    processes' monotonic clocks.
    """

    state: CircuitState
    consecutive_failures: int
    open_remaining: float


class BreakerMachine:
    """The breaker's rules. See `CircuitBreaker` for the meaning of each option."""

    __slots__ = (
        "consecutive",
        "failure_rate_threshold",
        "failure_threshold",
        "generation",
        "granted",
        "half_open_calls",
        "half_open_max_duration",
        "half_opened_at",
        "minimum_calls",
        "open_duration",
        "open_until",
        "pending",
        "slow_call_duration",
        "slow_call_rate_threshold",
        "state",
        "success_threshold",
        "successes",
        "window",
    )

    def __init__(
        self,
        *,
        failure_threshold: int | None = 5,
        open_duration: float = 30.0,
        failure_rate_threshold: float | None = None,
        slow_call_duration: float | None = None,
        slow_call_rate_threshold: float = 1.0,
        window: CountWindow | TimeWindow | None = None,
        minimum_calls: int = 10,
        half_open_calls: int = 1,
        success_threshold: int = 1,
        half_open_max_duration: float | None = None,
    ) -> None:
        _validate(
            failure_threshold=failure_threshold,
            open_duration=open_duration,
            failure_rate_threshold=failure_rate_threshold,
            slow_call_duration=slow_call_duration,
            slow_call_rate_threshold=slow_call_rate_threshold,
            window=window,
            minimum_calls=minimum_calls,
            half_open_calls=half_open_calls,
            success_threshold=success_threshold,
            half_open_max_duration=half_open_max_duration,
        )
        self.failure_threshold = failure_threshold
        self.open_duration = open_duration
        self.failure_rate_threshold = failure_rate_threshold
        self.slow_call_duration = slow_call_duration
        self.slow_call_rate_threshold = slow_call_rate_threshold
        self.window = window
        self.minimum_calls = minimum_calls
        self.half_open_calls = half_open_calls
        self.success_threshold = success_threshold
        self.half_open_max_duration = half_open_max_duration
        self.state = _CLOSED
        self.generation = 0
        self.consecutive = 0
        self.open_until = 0.0
        self.half_opened_at = 0.0
        self.granted = 0
        self.successes = 0
        self.pending: list[Transition] = []

    # -- admission ---------------------------------------------------------

    def poll(self, now: float) -> None:
        """Apply the transitions that time alone causes (open -> half-open, and back)."""
        if self.state is _OPEN and now >= self.open_until:
            self._move(_HALF_OPEN, self.open_until, "timer")
        if (
            self.state is _HALF_OPEN
            and self.half_open_max_duration is not None
            and now >= self.half_opened_at + self.half_open_max_duration
        ):
            self._move(
                _OPEN, self.half_opened_at + self.half_open_max_duration, "half_open_timeout"
            )
            if now >= self.open_until:  # one more step, not a loop: nobody called meanwhile
                self._move(_HALF_OPEN, self.open_until, "timer")

    def acquire(self, now: float) -> int:
        """Admit a call (return its token) or refuse it (return -1)."""
        state = self.state
        if state is _CLOSED or state is _DISABLED:
            return self.generation
        self.poll(now)
        if self.state is _HALF_OPEN and self.granted < self.half_open_calls:
            self.granted += 1
            return self.generation
        return -1

    def remaining(self, now: float) -> float | None:
        """Seconds until half-open: 0.0 when admitting or half-open, None when forced open."""
        if self.state is _OPEN:
            # Clamped: (at + duration) - at may exceed duration by a rounding error.
            return min(self.open_duration, max(0.0, self.open_until - now))
        if self.state is _FORCED_OPEN:
            return None
        return 0.0

    # -- outcomes ----------------------------------------------------------

    def on_success(self, token: int, now: float, duration: float) -> None:
        """A call admitted with `token` succeeded after `duration` seconds."""
        if token != self.generation:
            return  # admitted before a transition: too late to matter
        slow = self.slow_call_duration is not None and duration >= self.slow_call_duration
        state = self.state
        if state is _CLOSED:
            self.consecutive = 0
            if self.window is not None:
                self.window.record(now, False, slow)
                self._check_rates(now)
        elif state is _HALF_OPEN:
            if slow:
                # A probe that answers too slowly says the dependency is not back yet.
                self._move(_OPEN, now, "slow_call_rate")
                return
            self.successes += 1
            if self.successes >= self.success_threshold:
                self._move(_CLOSED, now, "probes_succeeded")

    def on_failure(self, token: int, now: float, duration: float) -> None:
        """A call admitted with `token` failed (by exception or by result)."""
        if token != self.generation:
            return
        state = self.state
        if state is _CLOSED:
            self.consecutive += 1
            if self.window is not None:
                slow = self.slow_call_duration is not None and duration >= self.slow_call_duration
                self.window.record(now, True, slow)
            if self.failure_threshold is not None and self.consecutive >= self.failure_threshold:
                self._move(_OPEN, now, "failures")
            elif self.window is not None:
                self._check_rates(now)
        elif state is _HALF_OPEN:
            self._move(_OPEN, now, "probe_failed")

    def on_ignored(self, token: int) -> None:
        """A call ended neither well nor badly (ignored error, cancellation): free its permit."""
        if token == self.generation and self.state is _HALF_OPEN and self.granted > 0:
            self.granted -= 1

    def _check_rates(self, now: float) -> None:
        window = self.window
        assert window is not None  # only called when a window is configured
        window.expire(now)
        calls = window.calls
        if calls == 0 or calls < self.minimum_calls:
            return
        threshold = self.failure_rate_threshold
        if threshold is not None and window.failures >= threshold * calls:
            self._move(_OPEN, now, "failure_rate")
        elif (
            self.slow_call_duration is not None
            and window.slow >= self.slow_call_rate_threshold * calls
        ):
            self._move(_OPEN, now, "slow_call_rate")

    # -- transitions -------------------------------------------------------

    def transition(self, new: CircuitState, now: float, reason: str = "manual") -> None:
        """Move to `new` by hand; every count starts afresh (also when `new` is the state)."""
        self._move(new, now, reason)

    def _move(self, new: CircuitState, at: float, reason: str) -> None:
        old = self.state
        self.state = new
        self.generation += 1
        self.granted = self.successes = 0
        if new is _OPEN:
            self.open_until = at + self.open_duration
        elif new is _HALF_OPEN:
            self.half_opened_at = at
        elif new is _CLOSED:
            self.consecutive = 0
            if self.window is not None:
                self.window.reset()
        if old is not new:
            self.pending.append((old, new, reason, at))

    def take_pending(self) -> list[Transition] | None:
        """Hand the recorded transitions to the driver (None when there are none)."""
        if not self.pending:
            return None
        pending, self.pending = self.pending, []
        return pending

    # -- persistence -------------------------------------------------------

    def snapshot(self, now: float) -> BreakerSnapshot:
        """The persistable state at time `now`."""
        remaining = max(0.0, self.open_until - now) if self.state is _OPEN else 0.0
        return BreakerSnapshot(self.state, self.consecutive, remaining)

    def restore(self, snapshot: BreakerSnapshot, now: float) -> None:
        """Adopt a snapshot taken elsewhere (a shared store), as a transition."""
        if snapshot.state is not self.state:
            self._move(snapshot.state, now, "store")
        if snapshot.state is _OPEN:
            self.open_until = now + snapshot.open_remaining
        self.consecutive = snapshot.consecutive_failures


def _validate(
    *,
    failure_threshold: int | None,
    open_duration: float,
    failure_rate_threshold: float | None,
    slow_call_duration: float | None,
    slow_call_rate_threshold: float,
    window: CountWindow | TimeWindow | None,
    minimum_calls: int,
    half_open_calls: int,
    success_threshold: int,
    half_open_max_duration: float | None,
) -> None:
    problems: list[tuple[str, str]] = []
    if failure_threshold is not None and failure_threshold < 1:
        problems.append(("failure_threshold", f"must be >= 1 or None, got {failure_threshold}"))
    if open_duration < 0:
        problems.append(("recovery_timeout", f"must be >= 0, got {open_duration}"))
    if failure_rate_threshold is not None and not 0 < failure_rate_threshold <= 1:
        problems.append(
            ("failure_rate_threshold", f"must be in (0, 1], got {failure_rate_threshold}")
        )
    if slow_call_duration is not None and slow_call_duration <= 0:
        problems.append(("slow_call_duration", f"must be > 0, got {slow_call_duration}"))
    if not 0 < slow_call_rate_threshold <= 1:
        problems.append(
            ("slow_call_rate_threshold", f"must be in (0, 1], got {slow_call_rate_threshold}")
        )
    if window is None and (failure_rate_threshold is not None or slow_call_duration is not None):
        problems.append(("window", "a failure-rate or slow-call threshold needs a window"))
    if minimum_calls < 1:
        problems.append(("minimum_calls", f"must be >= 1, got {minimum_calls}"))
    if half_open_calls < 1:
        problems.append(("half_open_calls", f"must be >= 1, got {half_open_calls}"))
    if not 1 <= success_threshold <= half_open_calls:
        problems.append(
            ("success_threshold", f"must be in [1, half_open_calls], got {success_threshold}")
        )
    if half_open_max_duration is not None and half_open_max_duration <= 0:
        problems.append(("half_open_max_duration", f"must be > 0, got {half_open_max_duration}"))
    if failure_threshold is None and failure_rate_threshold is None and slow_call_duration is None:
        problems.append(("failure_threshold", "no rule left that could open the circuit"))
    if problems:
        raise ConfigError(problems)
