"""The FaultInjector: injections, stats, events, seeds, threads and tasks."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.errors import UnsupportedFaultError
from chaoslab.faults import (
    AllOf,
    Always,
    DropMidStream,
    Error,
    FirstN,
    HTTPStatus,
    Latency,
    Probability,
    Window,
)
from chaoslab.inject import (
    FaultInjected,
    FaultInjector,
    InjectionAdded,
    InjectionRemoved,
    current_injector,
    injectable,
)
from chaoslab.observe import EventBus, EventRecorder


def make(seed: int = 1) -> FaultInjector:
    return FaultInjector(seed=seed, clock=VirtualClock(), events=EventBus())


def test_inject_fire_and_remove() -> None:
    chaos = make()
    injection = chaos.inject("llm.*", Error(TimeoutError))
    assert list(chaos.injections) == [injection]
    assert [f.kind for f in chaos.fire("llm.complete")] == ["error"]
    assert chaos.fire("redis.get") == ()
    injection.remove()
    injection.remove()  # idempotent
    assert chaos.injections == ()
    assert chaos.fire("llm.complete") == ()
    assert (injection.calls, injection.fired, injection.active) == (1, 1, False)


def test_injection_is_a_context_manager() -> None:
    chaos = make()
    with chaos.inject("a", Latency(1)) as injection:
        assert injection.active is True
        assert chaos.fire("a") == (Latency(1),)
    assert [injection.active, chaos.fire("a")] == [False, ()]  # remove() flipped it


def test_injection_ends_when_the_block_raises() -> None:
    chaos = make()
    with pytest.raises(KeyError), chaos.inject("a", Latency(1)):
        raise KeyError("boom")
    assert chaos.injections == ()


def test_clear_ends_every_injection() -> None:
    chaos = make()
    chaos.inject("a", Latency(1))
    chaos.inject("b", Error(ValueError))
    chaos.clear()
    assert chaos.injections == ()
    assert chaos.fire("a") == chaos.fire("b") == ()


def test_injection_names_and_repr() -> None:
    chaos = make()
    first = chaos.inject("a", Latency(1))
    named = chaos.inject("b", HTTPStatus(503), FirstN(2), name="llm-outage")
    assert first.name == "latency-1"
    assert named.name == "llm-outage"
    assert repr(named) == (
        "Injection('llm-outage', target='b', fault='http 503', schedule='first 2 calls')"
    )
    assert repr(chaos) == "FaultInjector(seed=1, injections=2)"


def test_several_injections_fire_in_order() -> None:
    chaos = make()
    chaos.inject("p", Latency(1))
    chaos.inject("p", Error(ValueError), FirstN(1))
    assert [f.kind for f in chaos.fire("p")] == ["latency", "error"]
    assert [f.kind for f in chaos.fire("p")] == ["latency"]


def test_schedule_counts_only_matching_calls() -> None:
    chaos = make()
    injection = chaos.inject("llm.*", HTTPStatus(429), FirstN(2))
    chaos.fire("redis.get")
    fired = [bool(chaos.fire("llm.x")) for _ in range(4)]
    assert fired == [True, True, False, False]
    assert (injection.calls, injection.fired) == (4, 2)


def test_window_uses_time_since_the_injection_began() -> None:
    clock = VirtualClock(start=100.0)
    chaos = FaultInjector(seed=1, clock=clock, events=EventBus())
    clock.advance(50)
    chaos.inject("p", Error(ValueError), Window(5, 10))
    fired = []
    for step in (4.0, 1.0, 4.9, 0.1):
        clock.advance(step)
        fired.append(bool(chaos.fire("p")))
    assert fired == [False, True, True, False]


def test_stats_per_point() -> None:
    chaos = make()
    chaos.inject("llm.*", Error(ValueError), FirstN(2))
    chaos.inject("llm.complete", Latency(0.1))
    for _ in range(5):
        chaos.fire("llm.complete")
    chaos.fire("llm.embed")
    chaos.fire("redis.get")
    stats = chaos.stats("llm.complete")
    assert stats.calls == 5
    assert stats.faults == {"error": 2, "latency": 5}
    assert stats.injected == 7
    assert chaos.stats("llm.embed").faults == {}
    assert chaos.stats("never.seen").calls == 0
    assert list(chaos.all_stats()) == ["llm.complete", "llm.embed", "redis.get"]
    assert chaos.all_stats()["redis.get"].calls == 1


def test_stats_count_calls_without_injections() -> None:
    chaos = make()
    for _ in range(3):
        chaos.fire("p")
    assert chaos.stats("p").calls == 3


def test_events_are_recorded_with_clock_timestamps() -> None:
    clock = VirtualClock(start=10.0)
    bus = EventBus()
    on_bus = EventRecorder()
    bus.subscribe(on_bus)
    chaos = FaultInjector(seed=1, clock=clock, events=bus)
    clock.advance(1.0)
    with chaos.inject("llm.*", HTTPStatus(503), FirstN(1), name="outage"):
        clock.advance(0.5)
        chaos.fire("llm.complete")
        clock.advance(2.0)
        chaos.fire("llm.complete")
    events = chaos.recorder.events
    assert events == on_bus.events
    assert [type(e) for e in events] == [InjectionAdded, FaultInjected, InjectionRemoved]
    added, injected, removed = events
    assert isinstance(added, InjectionAdded)
    assert (added.at, added.source, added.target, added.schedule) == (
        11.0,
        "outage",
        "llm.*",
        "first 1 calls",
    )
    assert isinstance(injected, FaultInjected)
    assert (injected.at, injected.source, injected.fault, injected.call) == (
        11.5,
        "llm.complete",
        "http 503",
        1,
    )
    assert injected.to_dict()["kind"] == "fault.injected"
    assert isinstance(removed, InjectionRemoved)
    assert (removed.at, removed.calls, removed.fired) == (13.5, 2, 1)


def test_timeline_is_relative_to_the_injectors_start() -> None:
    clock = VirtualClock(start=7.0)
    chaos = FaultInjector(seed=1, clock=clock, events=EventBus())
    clock.advance(1.25)
    chaos.inject("p", Error(ValueError), name="boom")
    chaos.fire("p")
    lines = chaos.timeline()
    assert lines[0].startswith("+    1.250s  fault.injection_added")
    assert "fault.injected" in lines[1]
    assert "injection=boom" in lines[1]


def test_inject_refuses_what_is_not_a_fault() -> None:
    with pytest.raises(TypeError, match=r"must be a chaoslab\.faults\.Fault"):
        make().inject("p", "latency")  # type: ignore[arg-type]


def test_unsupported_fault_fails_at_configuration_time() -> None:
    @injectable("unit.injector.plain")
    def plain() -> int:
        return 1

    chaos = make()
    with pytest.raises(UnsupportedFaultError) as info:
        chaos.inject("unit.injector.*", DropMidStream(after_events=1))
    [(path, message)] = info.value.problems
    assert path == "fault"
    assert "'unit.injector.plain' cannot apply 'drop_mid_stream'" in message
    assert "it supports: connection_refused, connection_reset, error" in message
    assert chaos.injections == ()


def test_points_declared_on_the_injector_limit_their_faults() -> None:
    chaos = make()
    chaos.point("db.query", supports=frozenset({Latency}))
    chaos.inject("db.*", Latency(1)).remove()
    with pytest.raises(UnsupportedFaultError, match="it supports: latency"):
        chaos.inject("db.query", Error(ValueError))


def test_random_seed_is_kept_for_replay() -> None:
    chaos = FaultInjector()
    assert isinstance(chaos.seed, int)
    assert (
        FaultInjector(seed=chaos.seed).rng.random() == FaultInjector(seed=chaos.seed).rng.random()
    )


def _sequence(seed: int, calls: int = 1000) -> list[tuple[str, ...]]:
    chaos = make(seed)
    chaos.inject("llm.*", HTTPStatus(503), Probability(0.2))
    chaos.inject("llm.*", Latency(0.1, jitter=0.05), Always())
    chaos.inject("llm.*", Error(TimeoutError), AllOf((Probability(0.5), FirstN(500))))
    return [tuple(f.describe() for f in chaos.fire("llm.complete")) for _ in range(calls)]


def test_same_seed_same_faults() -> None:
    first, second = _sequence(42), _sequence(42)
    assert first == second
    # The sequence is not trivial: faults and jittered latencies vary.
    assert len(set(first)) > 100
    assert sum("http 503" in call for call in first) in range(150, 250)


def test_different_seeds_differ() -> None:
    assert _sequence(42) != _sequence(43)


def test_activate_sets_and_restores_the_current_injector() -> None:
    outer, inner = make(), make(2)
    assert current_injector() is None
    with outer.activate():
        assert current_injector() is outer
        outer.inject("p", Latency(1))
        with inner.activate():
            assert current_injector() is inner
        assert current_injector() is outer
        assert len(outer.injections) == 1
    assert current_injector() is None
    assert len(outer.injections) == 0


def test_threads_hammering_fire_while_injections_come_and_go() -> None:
    chaos = FaultInjector(seed=3, clock=VirtualClock(), events=EventBus())
    threads, per_thread = 8, 2000
    seen: list[Counter[str]] = [Counter() for _ in range(threads)]
    start = threading.Barrier(threads + 1)

    def hammer(i: int) -> None:
        start.wait()
        for _ in range(per_thread):
            for fault in chaos.fire("p"):
                seen[i][fault.kind] += 1

    workers = [threading.Thread(target=hammer, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    removed = []
    while any(w.is_alive() for w in workers):  # bounded by the workers' fixed work
        with chaos.inject("p", Error(ValueError)) as a, chaos.inject("*", Latency(0.1)) as b:
            chaos.fire("other")
        removed += [a, b]
    for w in workers:
        w.join()
    total = sum(seen, Counter())
    stats = chaos.stats("p")
    assert stats.calls == threads * per_thread
    assert stats.faults == dict(total)
    fired_at_p = sum(i.fired for i in removed) - chaos.stats("other").injected
    assert fired_at_p == sum(total.values())
    assert chaos.injections == ()
    assert len(chaos.recorder.of_type(FaultInjected)) == sum(
        s.injected for s in chaos.all_stats().values()
    )


async def test_tasks_share_an_injector_and_replay_with_the_seed() -> None:
    async def run(seed: int) -> list[list[str]]:
        clock = VirtualClock(autojump=True)
        chaos = FaultInjector(seed=seed, clock=clock, events=EventBus())

        @chaos.point("svc.call")
        async def call() -> str:
            return "ok"

        chaos.inject("svc.*", Latency(1.0, jitter=0.5), Probability(0.5))
        chaos.inject("svc.*", Error(ConnectionError), Probability(0.1))

        async def worker() -> list[str]:
            results = []
            for _ in range(20):
                try:
                    results.append(f"{await call()}@{clock.now():.3f}")
                except ConnectionError:
                    results.append("error")
            return results

        outcomes = await asyncio.gather(*(worker() for _ in range(10)))
        assert chaos.stats("svc.call").calls == 200
        assert chaos.stats("svc.call").faults["error"] == sum(o.count("error") for o in outcomes)
        return outcomes

    first = await run(11)
    assert first == await run(11)
    assert first != await run(12)
