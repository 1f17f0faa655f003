"""The load generator: open loop (a request rate) or closed loop (N users).

Open loop: request *i* is due at `origin + profile.time_of(i)`; a pool of
`max_in_flight` workers takes due requests in order and its latency is
measured from when it was due, not from when a worker got to it. When the
system stalls and every worker waits, the requests scheduled meanwhile are
sent late and carry the wait in their latency (no coordinated omission);
those still unsent when the time bound ends are recorded as errors of kind
`"unsent"`.

Closed loop: `users` workers each send, wait for the answer, think, repeat;
latency is measured from the send.

Every run is bounded: `duration` (seconds) and `max_requests` both apply,
whichever comes first; in-flight requests then get up to `timeout` to end.

Example:
    >>> import asyncio
    >>> from chaoslab.clock import VirtualClock
    >>> from chaoslab.load import CallableTarget
    >>> clock = VirtualClock(autojump=True)
    >>> async def service() -> None:
    ...     await clock.sleep_async(0.02)
    >>> gen = LoadGenerator(CallableTarget(service), OpenLoop(rate=100),
    ...                     duration=3.0, max_requests=10_000, clock=clock)
    >>> result = gen.run(use_uvloop=False)
    >>> result.overall.requests, round(result.overall.p50, 3)   # HDR: within 1 %
    (300, 0.02)
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from chaoslab.clock import Clock, SystemClock
from chaoslab.errors import ConfigError
from chaoslab.load._rate import ConstantRate, RateProfile
from chaoslab.load._result import LoadFinished, LoadResult, LoadStarted
from chaoslab.load._series import SeriesRecorder, Snapshot
from chaoslab.load._targets import Call, Target
from chaoslab.load._thread import loop_factory
from chaoslab.observe import EventBus, default_bus

if TYPE_CHECKING:
    from chaoslab.load._thread import LoadThread

__all__ = ["ClosedLoop", "LoadGenerator", "LoadRun", "OpenLoop"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenLoop:
    """Send at `rate` (requests/s, or a `RateProfile`), whatever the answers take.

    Example:
        >>> OpenLoop(rate=50).profile
        ConstantRate(rate=50)
    """

    kind: ClassVar[str] = "open"
    rate: float | RateProfile
    max_in_flight: int = 1000

    @property
    def profile(self) -> RateProfile:
        """The rate as a profile (a number becomes a `ConstantRate`)."""
        return ConstantRate(self.rate) if isinstance(self.rate, int | float) else self.rate

    @property
    def concurrency(self) -> int:
        """Workers, hence connections at most."""
        return self.max_in_flight

    def describe(self) -> str:
        """A short label."""
        return f"open loop, {self.rate} req/s"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosedLoop:
    """`users` concurrent users, each waiting for its answer (and `think_time` s) before the next.

    Example:
        >>> ClosedLoop(users=50).describe()
        'closed loop, 50 users'
    """

    kind: ClassVar[str] = "closed"
    users: int = 10
    think_time: float = 0.0

    @property
    def concurrency(self) -> int:
        """One connection per user."""
        return self.users

    def describe(self) -> str:
        """A short label."""
        return f"closed loop, {self.users} users"


Mode = OpenLoop | ClosedLoop

_EARLY = 0.001  # seconds: see _open_worker


def _problems(
    mode: Mode, duration: float, max_requests: int, timeout: float
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not (isinstance(duration, int | float) and math.isfinite(duration) and duration > 0):
        out.append(("duration", f"must be a finite number of seconds > 0, got {duration!r}"))
    if not (isinstance(max_requests, int) and max_requests > 0):
        out.append(("max_requests", f"must be an integer > 0, got {max_requests!r}"))
    if not (math.isfinite(timeout) and timeout > 0):
        out.append(("timeout", f"must be a finite number of seconds > 0, got {timeout!r}"))
    if isinstance(mode, OpenLoop):
        try:
            mode.profile  # noqa: B018 - building the profile validates the rate
        except ConfigError as exc:
            out.extend((f"mode.{path}", msg) for path, msg in exc.problems)
    if mode.concurrency < 1:
        field = "max_in_flight" if isinstance(mode, OpenLoop) else "users"
        out.append((f"mode.{field}", f"must be >= 1, got {mode.concurrency!r}"))
    if isinstance(mode, ClosedLoop) and not mode.think_time >= 0:
        out.append(("mode.think_time", f"must be >= 0, got {mode.think_time!r}"))
    return out


class LoadGenerator:
    """A bounded load against one target; `run()`, `run_async()`, `start()` or `start_in_thread()`.

    Args:
        target: an `HttpTarget` or a `CallableTarget`.
        mode: `OpenLoop(rate=...)` or `ClosedLoop(users=...)`.
        duration: seconds; no request starts after it. Required to be finite.
        max_requests: no more than this many requests. Required to be finite.
        timeout: per request, seconds.
        allow_remote: allow a non-loopback HTTP target.
        clock: the clock timing requests (real time by default).
        slice_width: seconds per metrics slice.
        name: a label for journals (defaults to the target's name).
    """

    def __init__(
        self,
        target: Target,
        mode: Mode,
        *,
        duration: float = 60.0,
        max_requests: int = 1_000_000,
        timeout: float = 10.0,
        allow_remote: bool = False,
        clock: Clock | None = None,
        slice_width: float = 1.0,
        name: str | None = None,
        events: EventBus | None = None,
    ) -> None:
        problems = _problems(mode, duration, max_requests, timeout)
        if problems:
            raise ConfigError(problems)
        target.check(allow_remote=allow_remote)
        self.target = target
        self.mode = mode
        self.duration = float(duration)
        self.max_requests = max_requests
        self.timeout = timeout
        self.clock: Clock = clock or SystemClock()
        self.slice_width = slice_width
        self.name = name or target.name
        self.events = events

    def start(self) -> LoadRun:
        """Start in the running event loop; returns the live `LoadRun`."""
        run = LoadRun(self)
        run.task = asyncio.get_running_loop().create_task(run.drive(), name=f"load {self.name}")
        return run

    async def run_async(self) -> LoadResult:
        """Run to the end in the running event loop."""
        return await self.start().wait()

    def run(self, *, use_uvloop: bool = True) -> LoadResult:
        """Run to the end in a new event loop (uvloop when installed and asked for)."""
        with asyncio.Runner(loop_factory=loop_factory(use_uvloop)) as runner:
            return runner.run(self.run_async())

    def start_in_thread(self, *, use_uvloop: bool = True) -> LoadThread:
        """Run in a background thread with its own event loop; for synchronous callers."""
        from chaoslab.load._thread import LoadThread

        return LoadThread(self, use_uvloop=use_uvloop)


class LoadRun:
    """One load run in progress: live metrics, `stop()`, `wait()`.

    Also an async context manager: leaving the block stops the run and waits.
    """

    def __init__(self, gen: LoadGenerator) -> None:
        self.gen = gen
        self.clock = gen.clock
        self.origin = self.clock.now()
        self.recorder = SeriesRecorder(self.origin, slice_width=gen.slice_width)
        self.task: asyncio.Task[LoadResult] | None = None
        self._next = 0
        self._stopping = False
        self._sleepers: set[asyncio.Task[Any]] = set()
        self._end: float | None = None

    @property
    def elapsed(self) -> float:
        """Seconds since the run started (frozen at its end)."""
        return (self._end if self._end is not None else self.clock.now()) - self.origin

    @property
    def done(self) -> bool:
        """Whether the run has ended."""
        return self._end is not None

    def snapshot(self, window: float = 5.0) -> Snapshot:
        """Live metrics over the last `window` seconds (safe from any thread)."""
        return self.recorder.snapshot(self.clock.now(), window)

    def stop(self) -> None:
        """Start no new request; requests in flight finish (within the timeout)."""
        self._stopping = True
        for task in list(self._sleepers):
            task.cancel()

    async def wait(self) -> LoadResult:
        """Wait for the end and return the result."""
        assert self.task is not None, "LoadRun.wait() before start()"
        return await asyncio.shield(self.task)

    async def __aenter__(self) -> LoadRun:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()
        await self.wait()

    # -- the run ------------------------------------------------------------

    async def drive(self) -> LoadResult:
        gen = self.gen
        bus = gen.events or default_bus()
        async with gen.target.session(
            concurrency=gen.mode.concurrency, request_timeout=gen.timeout, clock=self.clock
        ) as call:
            # Time zero is when the generator is ready to send, so that its own
            # start-up (imports, the client session) is not charged to the system.
            self.origin = self.recorder.origin = self.clock.now()
            bus.emit(
                LoadStarted(
                    at=self.origin,
                    source=gen.name,
                    target=gen.target.name,
                    mode=gen.mode.describe(),
                )
            )
            await self._run_workers(call)
        self._end = self.clock.now()
        if isinstance(gen.mode, OpenLoop) and not self._stopping:
            self._count_unsent(gen.mode.profile)
        result = LoadResult.build(
            name=gen.name,
            target=gen.target.name,
            mode=gen.mode.kind,
            description=gen.mode.describe(),
            recorder=self.recorder,
            elapsed=self.elapsed,
        )
        bus.emit(
            LoadFinished(
                at=self._end,
                source=gen.name,
                requests=result.overall.requests,
                errors=result.overall.errors,
                duration=result.duration,
            )
        )
        return result

    async def _run_workers(self, call: Call) -> None:
        worker = self._open_worker if isinstance(self.gen.mode, OpenLoop) else self._closed_worker
        tasks = [asyncio.ensure_future(worker(call)) for _ in range(self.gen.mode.concurrency)]
        try:
            await asyncio.gather(*tasks)
        finally:
            # If one worker failed, none may outlive the run (and its session).
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _may_start(self) -> bool:
        return (
            not self._stopping
            and self._next < self.gen.max_requests
            and self.clock.now() - self.origin < self.gen.duration
        )

    async def _open_worker(self, call: Call) -> None:
        assert isinstance(self.gen.mode, OpenLoop)
        profile, clock, rec = self.gen.mode.profile, self.clock, self.recorder
        # The event loop wakes timers up to a millisecond late (epoll counts in
        # ms); measured from the due time, that lateness would be charged to
        # the system. So wake a millisecond early on real time, and count the
        # latency from the send when it went out early.
        early = _EARLY if isinstance(clock, SystemClock) else 0.0
        while self._may_start():
            offset = profile.time_of(self._next)
            if offset >= self.gen.duration:
                return
            self._next += 1
            intended = self.origin + offset
            delay = intended - clock.now() - early
            if delay > 0 and not await self._pause(delay):
                return
            token = rec.begin(intended, clock.now())
            err = await call()
            rec.end(token, clock.now(), err)

    async def _closed_worker(self, call: Call) -> None:
        assert isinstance(self.gen.mode, ClosedLoop)
        think, clock, rec = self.gen.mode.think_time, self.clock, self.recorder
        while self._may_start():
            self._next += 1
            token = rec.begin(clock.now())
            err = await call()
            rec.end(token, clock.now(), err)
            if think > 0 and not await self._pause(think):
                return

    async def _pause(self, seconds: float) -> bool:
        """Sleep on the clock; False if `stop()` cut the sleep short."""
        task = asyncio.current_task()
        assert task is not None
        self._sleepers.add(task)
        try:
            await self.clock.sleep_async(seconds)
        except asyncio.CancelledError:
            # Our own stop() cancels sleepers; any other cancellation goes on.
            if self._stopping and task.uncancel() == 0:
                return False
            raise
        finally:
            self._sleepers.discard(task)
        return not self._stopping

    def _count_unsent(self, profile: RateProfile) -> None:
        # Due before the end (and within the count bound) but never sent:
        # every worker was waiting on the system.
        limit = min(self.elapsed, self.gen.duration)
        index = self._next
        while index < self.gen.max_requests:
            offset = profile.time_of(index)
            if offset >= limit:
                break
            self.recorder.record_unsent(self.origin + offset, "unsent")
            index += 1
