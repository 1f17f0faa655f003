"""The seeds' expectations, proven with injected faults under the strategies.

Every test runs on the `virtual_clock` (autojump) with the `chaos` injector
of the chaoslab pytest plugin, so timings are asserted exactly.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from chaoslab import (
    ConnectionRefused,
    FaultInjector,
    FirstN,
    HTTPStatus,
    Latency,
    VirtualClock,
    Window,
)
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    Cache,
    CacheStaleServed,
    Chaos,
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    Criticality,
    DegradationManager,
    DegradationModeChanged,
    Fallback,
    FallbackQueue,
    FallbackUsed,
    Hedging,
    Pipeline,
    Retry,
    WaitConstant,
)

pytestmark = pytest.mark.chaos


def upstream_pipeline(clock: VirtualClock) -> tuple[Pipeline, CircuitBreaker]:
    breaker = CircuitBreaker("upstream", failure_threshold=5, recovery_timeout=30.0, clock=clock)
    retry = Retry(attempts=10, wait=WaitConstant(1.0), clock=clock)
    return Pipeline(retry, breaker, Chaos("upstream.call")), breaker


def state_of(breaker: CircuitBreaker) -> CircuitState:
    """The state now (a function, so that type narrowing does not outlive a call)."""
    return breaker.state


def test_pipeline_retries_until_the_circuit_opens_then_fails_fast(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    pipeline, breaker = upstream_pipeline(virtual_clock)
    reached: list[float] = []

    def call() -> str:
        reached.append(virtual_clock.now())
        return "answer"

    chaos.inject("upstream.*", ConnectionRefused())
    with pytest.raises(CircuitOpenError) as caught:
        pipeline.call(call)
    # attempts at 0..4 s are refused; the 5th failure opens the circuit; the
    # retry after 1 s more meets the open circuit and stops at once
    assert chaos.stats("upstream.call").calls == 5
    assert virtual_clock.now() == 5.0
    assert caught.value.retry_after == 29.0
    assert breaker.state is CircuitState.OPEN
    assert reached == []

    with pytest.raises(CircuitOpenError):  # fails fast: no attempt, no wait
        pipeline.call(call)
    assert chaos.stats("upstream.call").calls == 5
    assert virtual_clock.now() == 5.0

    chaos.clear()  # the upstream recovers
    virtual_clock.advance_to(34.0)  # 30 s after opening at 4 s
    assert state_of(breaker) is CircuitState.HALF_OPEN  # read without a call, at exactly 30 s
    assert pipeline.call(call) == "answer"
    assert state_of(breaker) is CircuitState.CLOSED
    assert reached == [34.0]


async def test_async_pipeline_retries_until_the_circuit_opens_then_fails_fast(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    pipeline, breaker = upstream_pipeline(virtual_clock)

    async def call() -> str:
        return "answer"

    chaos.inject("upstream.*", HTTPStatus(503))
    with pytest.raises(CircuitOpenError):
        await pipeline.call_async(call)
    assert chaos.stats("upstream.call").calls == 5
    assert virtual_clock.now() == 5.0
    with pytest.raises(CircuitOpenError):
        await pipeline.call_async(call)
    assert chaos.stats("upstream.call").calls == 5
    chaos.clear()
    await virtual_clock.sleep_async(29.0)
    assert await pipeline.call_async(call) == "answer"
    assert breaker.state is CircuitState.CLOSED


def test_retries_succeed_after_transient_failures(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    pipeline, breaker = upstream_pipeline(virtual_clock)
    chaos.inject("upstream.call", ConnectionRefused(), FirstN(3))
    assert pipeline.call(lambda: "answer") == "answer"
    assert virtual_clock.now() == 3.0
    assert breaker.state is CircuitState.CLOSED


def test_fallback_answers_for_an_open_circuit(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    retry_pipeline, _ = upstream_pipeline(virtual_clock)
    pipeline = Pipeline(Fallback("default", clock=virtual_clock, events=bus), retry_pipeline)
    chaos.inject("upstream.*", ConnectionRefused())
    assert pipeline.call(lambda: "answer") == "default"
    assert pipeline.call(lambda: "answer") == "default"
    assert [e.reason for e in recorder.of_type(FallbackUsed)] == ["CircuitOpenError"] * 2


async def test_cache_serves_stale_data_while_the_source_fails(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    cache = Cache(ttl=60.0, stale_ttl=3600.0, clock=virtual_clock, events=bus, name="profiles")
    retry = Retry(attempts=3, wait=WaitConstant(0.5), clock=virtual_clock)
    pipeline = Pipeline(cache.keyed("profile:7"), retry, Chaos("db.profile"))
    version = 0

    async def load() -> dict[str, int]:
        nonlocal version
        version += 1
        return {"version": version}

    assert await pipeline.call_async(load) == {"version": 1}
    await virtual_clock.sleep_async(120.0)
    chaos.inject("db.*", ConnectionRefused())
    assert await pipeline.call_async(load) == {"version": 1}  # stale, after 3 attempts
    assert chaos.stats("db.profile").calls == 4
    [stale] = recorder.of_type(CacheStaleServed)
    assert (stale.key, stale.age, stale.error) == ("profile:7", 121.0, "RetriesExhausted")
    chaos.clear()
    assert await pipeline.call_async(load) == {"version": 2}  # fresh again


async def test_hedging_beats_an_injected_latency_spike(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    hedging = Hedging(delay=0.2, clock=virtual_clock)
    pipeline = Pipeline(hedging, Chaos("search.query"), order="free")
    chaos.inject("search.*", Latency(5.0), FirstN(1))  # only the primary is slow

    async def query() -> str:
        await virtual_clock.sleep_async(0.05)
        return f"results at {virtual_clock.now():.2f}"

    assert await pipeline.call_async(query) == "results at 0.25"
    assert chaos.stats("search.query").calls == 2


async def test_degradation_follows_an_outage_window_and_recovers_with_hysteresis(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    manager = DegradationManager(
        failure_threshold=2, recovery_threshold=3, clock=virtual_clock, events=bus
    )
    redis_point, search_point = Chaos("redis.ping"), Chaos("search.ping")

    async def ping() -> bool:
        return True

    manager.register(
        "redis", lambda: redis_point.call_async(ping), criticality=Criticality.CRITICAL
    )
    manager.register("postgres", ping, criticality=Criticality.CRITICAL)
    manager.register(
        "search", lambda: search_point.call_async(ping), criticality=Criticality.IMPORTANT
    )
    chaos.inject("redis.*", ConnectionRefused(), Window(20.0, 50.0))
    chaos.inject("search.*", ConnectionRefused(), Window(0.0, 15.0))
    await manager.run(interval=10.0, rounds=10)  # checks at 0, 10, ..., 90
    changes = [(e.at, e.mode, e.down) for e in recorder.of_type(DegradationModeChanged)]
    assert changes == [
        (10.0, "DEGRADED", ("search",)),  # 2nd consecutive failure (0, 10)
        (30.0, "MINIMAL", ("redis", "search")),  # redis failed at 20 and 30
        # search is back at 40 (healthy at 20, 30, 40) but redis still rules: no change;
        # redis fails at 40 too, then needs 3 healthy checks (50, 60, 70)
        (70.0, "NORMAL", ()),
    ]


def test_fallback_queue_keeps_work_while_the_dependency_is_down(
    chaos: FaultInjector, virtual_clock: VirtualClock, tmp_path: Path
) -> None:
    sent: list[int] = []
    point = Chaos("detector.submit")

    def submit(job: int) -> None:
        point.call(lambda: sent.append(job))

    queue = FallbackQueue(tmp_path, memory_capacity=3, disk_capacity=10, clock=virtual_clock)
    with queue:
        chaos.inject("detector.*", HTTPStatus(503))
        for job in range(8):
            try:
                submit(job)
            except Exception:  # the dependency is down: keep the job for later
                queue.put(job)
        assert (queue.memory_size, queue.disk_size, sent) == (3, 5, [])
        assert queue.drain(submit).delivered == 0  # still down: nothing lost, order kept
        chaos.clear()
        assert queue.drain(submit).delivered == 8
        assert sent == list(range(8))


async def test_the_pipeline_retries_until_open_under_concurrency(
    chaos: FaultInjector, virtual_clock: VirtualClock
) -> None:
    pipeline, breaker = upstream_pipeline(virtual_clock)
    chaos.inject("upstream.*", ConnectionRefused())

    async def call() -> str:
        return "answer"

    results = await asyncio.gather(
        *(pipeline.call_async(call) for _ in range(20)), return_exceptions=True
    )
    assert all(isinstance(r, CircuitOpenError | ConnectionRefusedError) for r in results)
    assert breaker.state is CircuitState.OPEN
    fired = chaos.stats("upstream.call").calls
    with pytest.raises(CircuitOpenError):
        await pipeline.call_async(call)
    assert chaos.stats("upstream.call").calls == fired
