"""The circuit breaker: a lock, a clock and events around `BreakerMachine`.

The lock guards the machine only, never the guarded call: eight threads
making 10 ms calls through one breaker take 10 ms, not 80 ms. The common
case (CLOSED, consecutive-failure rule only, nothing failing) takes no lock
and reads no clock at all.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Literal, ParamSpec, TypeVar, cast

from chaoslab.clock import Clock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus
from chaoslab.resilience._breaker_state import (
    BreakerMachine,
    BreakerSnapshot,
    CircuitState,
    Transition,
)
from chaoslab.resilience._breaker_store import BreakerStore
from chaoslab.resilience._errors import CircuitOpenError
from chaoslab.resilience._events import BreakerRejected, BreakerStateChanged
from chaoslab.resilience._support import (
    ErrorSpec,
    bus_of,
    error_matcher,
    resolve_clock,
)
from chaoslab.resilience._windows import CountWindow, TimeWindow

__all__ = ["CircuitBreaker"]

P = ParamSpec("P")
T = TypeVar("T")

_CLOSED = CircuitState.CLOSED
_DISABLED = CircuitState.DISABLED
_FAILURE, _SUCCESS, _IGNORED = 0, 1, 2


class CircuitBreaker:
    """Stops calling a failing dependency, then probes it until it is back.

    Rules that open the circuit (any one suffices):
    - `failure_threshold` consecutive failures (default 5; None = off);
    - `failure_rate_threshold` (a fraction, e.g. 0.5) of the calls in the
      sliding window failed, once it holds `minimum_calls` calls;
    - `slow_call_rate_threshold` of them took `slow_call_duration` seconds or more.
    The window is `window="count"` (the last `window_size` calls) or
    `window="time"` (the last `window_size` seconds, in 10 buckets).

    After `recovery_timeout` seconds (default 30) OPEN reads as HALF_OPEN:
    exactly `half_open_calls` probe calls are let through, however many
    callers race; `success_threshold` successes close the circuit, one
    failure (or one slow probe) opens it again. `half_open_max_duration`
    re-opens a half-open circuit whose probes never report.

    `failure_on` (classes or a predicate; default every `Exception`) says
    which errors count as failures; other exceptions count as successes,
    except `ignore`d ones, which count as nothing and give back a half-open
    permit. `failure_if` judges results. Cancellation (`CancelledError`,
    `KeyboardInterrupt`, any non-`Exception`) is never a failure.

    Refused calls raise `CircuitOpenError` without calling. Events:
    `BreakerStateChanged` on every transition, `BreakerRejected` per refusal.

    Example:
        >>> from chaoslab.clock import VirtualClock
        >>> clock = VirtualClock()
        >>> breaker = CircuitBreaker("llm", clock=clock)
        >>> def fail() -> None:
        ...     raise ConnectionError("down")
        >>> for _ in range(5):
        ...     try:
        ...         breaker.call(fail)
        ...     except ConnectionError:
        ...         pass
        >>> breaker.state
        <CircuitState.OPEN: 'open'>
        >>> clock.advance(30.0)
        >>> breaker.state
        <CircuitState.HALF_OPEN: 'half_open'>
        >>> breaker.call(lambda: "ok"), breaker.state
        ('ok', <CircuitState.CLOSED: 'closed'>)
    """

    __slots__ = (
        "_clock",
        "_events",
        "_failure_if",
        "_ignore",
        "_is_failure",
        "_lock",
        "_m",
        "_simple",
        "_store",
        "name",
    )

    def __init__(
        self,
        name: str = "breaker",
        *,
        failure_threshold: int | None = 5,
        recovery_timeout: float = 30.0,
        failure_rate_threshold: float | None = None,
        window: Literal["count", "time"] = "count",
        window_size: float = 100,
        minimum_calls: int = 10,
        slow_call_duration: float | None = None,
        slow_call_rate_threshold: float = 1.0,
        half_open_calls: int = 1,
        success_threshold: int = 1,
        half_open_max_duration: float | None = None,
        failure_on: ErrorSpec = Exception,
        ignore: ErrorSpec = (),
        failure_if: Callable[[Any], bool] | None = None,
        clock: Clock | None = None,
        events: EventBus | None = None,
        store: BreakerStore | None = None,
    ) -> None:
        if window not in ("count", "time"):
            raise ConfigError([("window", f"must be 'count' or 'time', got {window!r}")])
        needs_window = failure_rate_threshold is not None or slow_call_duration is not None
        outcomes: CountWindow | TimeWindow | None = None
        if needs_window:
            outcomes = (
                TimeWindow(float(window_size))
                if window == "time"
                else CountWindow(int(window_size))
            )
        self._m = BreakerMachine(
            failure_threshold=failure_threshold,
            open_duration=recovery_timeout,
            failure_rate_threshold=failure_rate_threshold,
            slow_call_duration=slow_call_duration,
            slow_call_rate_threshold=slow_call_rate_threshold,
            window=outcomes,
            minimum_calls=minimum_calls,
            half_open_calls=half_open_calls,
            success_threshold=success_threshold,
            half_open_max_duration=half_open_max_duration,
        )
        self.name = name
        self._clock = resolve_clock(clock)
        self._events = events
        self._lock = threading.Lock()
        self._is_failure = error_matcher(failure_on)
        self._ignore = error_matcher(ignore) if ignore != () else None
        self._failure_if = failure_if
        self._store = store
        # The lock-free path needs no clock reading on success: no window, no
        # slow-call rule, no result judging.
        self._simple = outcomes is None and failure_if is None
        if store is not None:
            self.refresh()

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self._m.state.value})"

    # -- calling -----------------------------------------------------------

    def __call__(self, func: Callable[P, T]) -> Callable[P, T]:
        """Decorate a sync or async function.

        The wrapper repeats `call`'s lock-free CLOSED fast path inline (the
        decisions stay in the machine), so that decorating costs no extra
        allocation per call; any other state goes through `call`/`call_async`.
        """
        m, finish, classify = self._m, self._finish, self._classify
        if inspect.iscoroutinefunction(func):
            async_func = cast(Callable[..., Awaitable[Any]], func)

            @functools.wraps(func)
            async def async_guarded(*args: Any, **kwargs: Any) -> Any:
                token = m.generation
                if not (self._simple and m.state is _CLOSED):
                    return await self.call_async(functools.partial(async_func, *args, **kwargs))
                try:
                    result = await async_func(*args, **kwargs)
                except BaseException as exc:
                    finish(classify(exc), token, None)
                    raise
                if m.consecutive:
                    finish(_SUCCESS, token, None)
                return result

            return cast(Callable[P, T], async_guarded)

        @functools.wraps(func)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            token = m.generation
            if not (self._simple and m.state is _CLOSED):
                return self.call(functools.partial(func, *args, **kwargs))
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                finish(classify(exc), token, None)
                raise
            if m.consecutive:
                finish(_SUCCESS, token, None)
            return result

        return guarded

    def call(self, fn: Callable[[], T]) -> T:
        """Call `fn()` through the breaker, in this thread."""
        m = self._m
        token = m.generation  # read before the state: a stale token is ignored, never wrong
        if self._simple and m.state is _CLOSED:
            try:
                result = fn()
            except BaseException as exc:
                self._finish(self._classify(exc), token, None)
                raise
            if m.consecutive:
                self._finish(_SUCCESS, token, None)
            return result
        start = self._clock.now()
        token = self._admit(start)
        try:
            result = fn()
        except BaseException as exc:
            self._finish(self._classify(exc), token, start)
            raise
        self._finish(self._judge(result), token, start)
        return result

    async def call_async(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()` through the breaker."""
        m = self._m
        token = m.generation  # read before the state: a stale token is ignored, never wrong
        if self._simple and m.state is _CLOSED:
            try:
                result = await fn()
            except BaseException as exc:
                self._finish(self._classify(exc), token, None)
                raise
            if m.consecutive:
                self._finish(_SUCCESS, token, None)
            return result
        start = self._clock.now()
        token = self._admit(start)
        try:
            result = await fn()
        except BaseException as exc:
            self._finish(self._classify(exc), token, start)
            raise
        self._finish(self._judge(result), token, start)
        return result

    def _admit(self, now: float) -> int:
        m = self._m
        if m.state is _DISABLED:
            return m.generation
        with self._lock:
            token = m.acquire(now)
            pending = self._settle()
            if token < 0:
                state, remaining = m.state, m.remaining(now)
        if pending is not None:
            self._publish(pending)
        if token < 0:
            bus = bus_of(self._events)
            if bus.active:
                bus.emit(
                    BreakerRejected(
                        at=now, source=self.name, state=state.value, remaining=remaining
                    )
                )
            raise CircuitOpenError(self.name, state.value, remaining)
        return token

    def _classify(self, exc: BaseException) -> int:
        if not isinstance(exc, Exception):
            return _IGNORED  # cancellation and interrupts say nothing about the dependency
        if self._ignore is not None and self._ignore(exc):
            return _IGNORED
        return _FAILURE if self._is_failure(exc) else _SUCCESS

    def _judge(self, result: object) -> int:
        if self._failure_if is not None and self._failure_if(result):
            return _FAILURE
        return _SUCCESS

    def _finish(self, outcome: int, token: int, start: float | None) -> None:
        m = self._m
        if m.state is _DISABLED:
            return
        now = self._clock.now() if start is not None or outcome == _FAILURE else 0.0
        duration = 0.0 if start is None else now - start
        with self._lock:
            if outcome == _FAILURE:
                m.on_failure(token, now, duration)
            elif outcome == _SUCCESS:
                m.on_success(token, now, duration)
            else:
                m.on_ignored(token)
            pending = self._settle()
        if pending is not None:
            self._publish(pending)

    # -- state and events --------------------------------------------------

    def _settle(self) -> list[Transition] | None:
        """Called with the lock held: collect transitions and persist the new state."""
        pending = self._m.take_pending()
        if pending is not None and self._store is not None:
            self._store.save(self.name, self._m.snapshot(pending[-1][3]))
        return pending

    def _publish(self, pending: list[Transition]) -> None:
        bus = bus_of(self._events)
        if bus.active:
            for old, new, reason, at in pending:
                bus.emit(
                    BreakerStateChanged(
                        at=at, source=self.name, old=old.value, new=new.value, reason=reason
                    )
                )

    @property
    def state(self) -> CircuitState:
        """The state now: an OPEN breaker whose open period ended reads HALF_OPEN."""
        m = self._m
        if m.state is _CLOSED or m.state is _DISABLED:
            return m.state
        with self._lock:
            m.poll(self._clock.now())
            pending = self._settle()
            state = m.state
        if pending is not None:
            self._publish(pending)
        return state

    @property
    def remaining(self) -> float | None:
        """Seconds until half-open (0.0 unless OPEN; None when FORCED_OPEN)."""
        with self._lock:
            return self._m.remaining(self._clock.now())

    @property
    def consecutive_failures(self) -> int:
        """Failures in a row while CLOSED."""
        return self._m.consecutive

    def snapshot(self) -> BreakerSnapshot:
        """The persistable state now."""
        with self._lock:
            return self._m.snapshot(self._clock.now())

    def refresh(self) -> None:
        """Adopt the store's snapshot (no-op without a store or a saved snapshot)."""
        if self._store is None:
            return
        snapshot = self._store.load(self.name)
        if snapshot is None:
            return
        with self._lock:
            self._m.restore(snapshot, self._clock.now())
            pending = self._m.take_pending()
        if pending is not None:
            self._publish(pending)

    def _transition(self, state: CircuitState) -> None:
        with self._lock:
            self._m.transition(state, self._clock.now())
            pending = self._settle()
            if pending is None and self._store is not None:
                self._store.save(self.name, self._m.snapshot(self._clock.now()))
        if pending is not None:
            self._publish(pending)

    def open(self) -> None:
        """Open now; half-open after `recovery_timeout`."""
        self._transition(CircuitState.OPEN)

    def half_open(self) -> None:
        """Go half-open now: the next `half_open_calls` calls probe."""
        self._transition(CircuitState.HALF_OPEN)

    def close(self) -> None:
        """Close now, forgetting every count."""
        self._transition(_CLOSED)

    reset = close

    def force_open(self) -> None:
        """Refuse every call until `close()` or `reset()`."""
        self._transition(CircuitState.FORCED_OPEN)

    def disable(self) -> None:
        """Let every call through and count nothing, until another transition."""
        self._transition(_DISABLED)
