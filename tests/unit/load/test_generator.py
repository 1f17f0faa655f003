"""The load generator in virtual time: schedules, bounds, honesty under a stall, stop, timeouts."""

import math
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.errors import ConfigError
from chaoslab.load import (
    CallableTarget,
    ClosedLoop,
    HttpTarget,
    LoadFinished,
    LoadGenerator,
    LoadStarted,
    OpenLoop,
    RampRate,
)
from chaoslab.observe import EventBus, EventRecorder


def service(
    clock: VirtualClock, latency: float, stall: tuple[float, float] | None = None
) -> Callable[[], Awaitable[None]]:
    """A fake dependency on the clock: `latency` per call; calls arriving in `stall` wait it out."""

    async def call() -> None:
        now = clock.now()
        if stall is not None and stall[0] <= now < stall[1]:
            await clock.sleep_async(stall[1] - now)
        await clock.sleep_async(latency)

    return call


def generator(
    clock: VirtualClock,
    fn: Callable[[], Awaitable[object]],
    mode: OpenLoop | ClosedLoop,
    **kw: float,
) -> LoadGenerator:
    kw.setdefault("duration", 5.0)
    kw.setdefault("max_requests", 100_000)
    return LoadGenerator(CallableTarget(fn), mode, clock=clock, **kw)  # type: ignore[arg-type]


async def test_open_loop_rate_and_latency() -> None:
    clock = VirtualClock(autojump=True)
    result = await generator(clock, service(clock, 0.02), OpenLoop(rate=100)).run_async()
    # Slice 5 holds only the completions of the last requests, due at 4.99.
    assert [s.requests for s in result.slices] == [100] * 5 + [0]
    assert result.slices[5].throughput == 2.0
    assert result.overall.requests == 500
    assert result.overall.errors == 0
    assert result.overall.p50 == pytest.approx(0.02, rel=0.01)
    assert result.overall.p99 == pytest.approx(0.02, rel=0.01)
    assert result.slices[2].throughput == 100.0


async def test_open_loop_shows_a_stall_in_the_requests_due_during_it() -> None:
    clock = VirtualClock(autojump=True)
    fn = service(clock, 0.001, stall=(2.0, 3.0))
    result = await generator(clock, fn, OpenLoop(rate=100)).run_async()
    before, during, after = result.slices[1], result.slices[2], result.slices[3]
    assert before.p99 == pytest.approx(0.001, rel=0.02)
    # Due at 2.00 .. 2.99, all answered at 3.001: latencies spread over 0.01 .. 1.0 s.
    assert during.requests == 100
    assert during.p50 == pytest.approx(0.5, rel=0.03)
    assert during.max == pytest.approx(1.0, rel=0.01)
    assert after.p99 == pytest.approx(0.001, rel=0.02)
    # Nothing completed during the stall; all of it at its end.
    assert during.throughput == 0.0
    assert result.slices[3].throughput == 200.0


async def test_one_worker_still_counts_the_wait_of_requests_it_could_not_send() -> None:
    # With a single worker, the requests due during the stall queue behind the
    # stuck one; their latency is counted from when they were due (no
    # coordinated omission), where a closed loop would report one slow request.
    clock = VirtualClock(autojump=True)
    fn = service(clock, 0.001, stall=(2.0, 3.0))
    open_result = await generator(clock, fn, OpenLoop(rate=100, max_in_flight=1)).run_async()
    # The k-th request due at 2 + k/100 goes out at 3.001 + k/1000 when the
    # backlog drains: latencies from 1.0 down to 0.11 s, median about 0.55.
    assert open_result.slices[2].requests == 100
    assert open_result.slices[2].p50 == pytest.approx(0.55, rel=0.05)
    assert open_result.slices[2].max == pytest.approx(1.0, rel=0.01)


async def test_a_closed_loop_hides_the_same_stall() -> None:
    # The contrast: one user waits out the stall and reports one slow request.
    # (A separate test: two autojump VirtualClocks on one loop livelock.)
    clock = VirtualClock(autojump=True)
    fn = service(clock, 0.001, stall=(2.0, 3.0))
    closed = await generator(clock, fn, ClosedLoop(users=1, think_time=0.01)).run_async()
    assert closed.slices[2].requests <= 2  # the loop waited instead of sending
    # One slow request among hundreds: p99 says nothing happened.
    assert closed.overall.max == pytest.approx(1.0, rel=0.01)
    assert closed.overall.p99 == pytest.approx(0.001, rel=0.05)


async def test_requests_never_sent_before_the_time_bound_are_unsent_errors() -> None:
    clock = VirtualClock(autojump=True)

    async def hang() -> None:
        await clock.sleep_async(1e9)

    gen = generator(clock, hang, OpenLoop(rate=10, max_in_flight=2), duration=3.0, timeout=10.0)
    result = await gen.run_async()
    assert result.unsent == 28
    assert result.overall.requests == 30
    assert result.overall.errors_by_kind == {"timeout": 2, "unsent": 28}
    assert result.duration == pytest.approx(10.1)


async def test_ramp_profile_per_slice() -> None:
    clock = VirtualClock(autojump=True)
    mode = OpenLoop(rate=RampRate(start=0, end=100, over=2))
    result = await generator(clock, service(clock, 0.001), mode, duration=3.0).run_async()
    assert [s.requests for s in result.slices] == [25, 75, 100]


async def test_max_requests_bounds_before_duration() -> None:
    clock = VirtualClock(autojump=True)
    gen = generator(clock, service(clock, 0.001), OpenLoop(rate=100), max_requests=50)
    result = await gen.run_async()
    assert result.overall.requests == 50
    assert result.duration == pytest.approx(0.491)


async def test_closed_loop_users() -> None:
    clock = VirtualClock(autojump=True)
    # Binary fractions of a second, so that virtual time adds up exactly.
    gen = generator(clock, service(clock, 0.125), ClosedLoop(users=4), duration=1.0)
    assert (await gen.run_async()).overall.requests == 32


async def test_closed_loop_think_time() -> None:
    clock = VirtualClock(autojump=True)
    mode = ClosedLoop(users=4, think_time=0.125)
    gen = generator(clock, service(clock, 0.125), mode, duration=1.0)
    assert (await gen.run_async()).overall.requests == 16  # one per 0.25 s per user


async def test_timeouts_and_exceptions_become_error_kinds() -> None:
    clock = VirtualClock(autojump=True)
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls % 2:
            raise ValueError("boom")
        await clock.sleep_async(60)

    gen = generator(clock, flaky, ClosedLoop(users=1), duration=2.0, timeout=0.5)
    result = await gen.run_async()
    assert result.overall.errors_by_kind == {"ValueError": 4, "timeout": 4}
    assert result.overall.max == pytest.approx(0.5, rel=0.01)


async def test_stop_ends_the_run_promptly_and_snapshot_is_live() -> None:
    clock = VirtualClock(autojump=True)
    run = generator(clock, service(clock, 0.01), OpenLoop(rate=10), duration=60.0).start()
    await clock.sleep_async(2.0)
    snap = run.snapshot(window=1.0)
    assert snap.requests == 10
    assert snap.p50 == pytest.approx(0.01, rel=0.02)
    was_running = not run.done
    run.stop()
    result = await run.wait()
    assert was_running
    assert run.done
    assert result.duration < 2.1
    assert result.overall.requests in (20, 21)
    assert result.unsent == 0


async def test_async_context_manager_stops_on_exit() -> None:
    clock = VirtualClock(autojump=True)
    async with generator(
        clock, service(clock, 0.01), ClosedLoop(users=2), duration=60.0
    ).start() as run:
        await clock.sleep_async(1.0)
    assert run.done
    assert run.elapsed < 1.1


async def test_events_mark_start_and_end() -> None:
    clock = VirtualClock(autojump=True)
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    gen = LoadGenerator(
        CallableTarget(service(clock, 0.01), label="svc"),
        OpenLoop(rate=10),
        duration=1.0,
        max_requests=100,
        clock=clock,
        events=bus,
    )
    await gen.run_async()
    started, finished = recorder.events
    assert isinstance(started, LoadStarted)
    assert started.source == "svc"
    assert isinstance(finished, LoadFinished)
    assert (finished.requests, finished.errors) == (10, 0)


def test_unbounded_or_bad_settings_are_refused_all_at_once() -> None:
    async def ok() -> None: ...

    with pytest.raises(ConfigError) as info:
        LoadGenerator(
            CallableTarget(ok), ClosedLoop(users=0), duration=math.inf, max_requests=0, timeout=-1
        )
    assert [p for p, _ in info.value.problems] == [
        "duration",
        "max_requests",
        "timeout",
        "mode.users",
    ]
    with pytest.raises(ConfigError, match=r"mode\.max_in_flight"):
        LoadGenerator(CallableTarget(ok), OpenLoop(rate=1, max_in_flight=0))
    with pytest.raises(ConfigError, match="rate"):
        LoadGenerator(CallableTarget(ok), OpenLoop(rate=0))


def test_only_loopback_unless_allowed() -> None:
    with pytest.raises(ConfigError, match="allow_remote=True"):
        LoadGenerator(HttpTarget("http://10.20.30.40:8080/"), ClosedLoop())
    with pytest.raises(ConfigError, match="http"):
        LoadGenerator(HttpTarget("ftp://127.0.0.1/"), ClosedLoop())
    LoadGenerator(HttpTarget("http://10.20.30.40:8080/"), ClosedLoop(), allow_remote=True)
    for url in ("http://127.0.0.1:1/", "http://localhost:1/", "http://[::1]:1/"):
        LoadGenerator(HttpTarget(url), ClosedLoop())


def test_sync_run_in_a_new_event_loop() -> None:
    clock = VirtualClock(autojump=True)
    result = generator(clock, service(clock, 0.01), OpenLoop(rate=50), duration=1.0).run(
        use_uvloop=False
    )
    assert result.overall.requests == 50
    assert result.to_dict(offset=10.0)["slices"][0]["t"] == 10.0


async def test_a_failing_worker_takes_the_others_down_with_it() -> None:
    # A target whose call wrapper itself breaks (not the request: the
    # plumbing) ends the run with the error, and no worker outlives it.
    clock = VirtualClock(autojump=True)
    started: list[int] = []

    class Broken:
        name = "broken"

        def check(self, *, allow_remote: bool = False) -> None: ...

        def session(self, *, concurrency: int, request_timeout: float, clock: object) -> Any:
            import contextlib

            @contextlib.asynccontextmanager
            async def opened() -> Any:
                async def call() -> str | None:
                    started.append(1)
                    if len(started) == 3:
                        raise RuntimeError("plumbing")
                    await clock_.sleep_async(0.5)
                    return None

                yield call

            return opened()

    clock_ = clock
    gen = LoadGenerator(Broken(), ClosedLoop(users=4), duration=60, clock=clock)
    with pytest.raises(RuntimeError, match="plumbing"):
        await gen.run_async()
    await clock.sleep_async(5.0)
    assert len(started) == 4  # the three others were cancelled, not left running
