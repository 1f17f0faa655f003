"""Guard rails trip on live metrics, stop the method within a second, and roll back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.experiment import Journal, Runner, load_experiment
from chaoslab.inject import FaultInjector
from tests.unit.experiment import _system

SYSTEM = "tests.unit.experiment._system"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(autojump=True)


@pytest.fixture
def injector(clock: VirtualClock) -> Iterator[FaultInjector]:
    _system.calls.clear()
    _system.state["healthy"] = True
    chaos = FaultInjector(seed=7, clock=clock)
    with chaos.activate():
        yield chaos


def fault_action(fault: dict[str, Any], duration: float) -> dict[str, Any]:
    return {
        "type": "action",
        "name": "fault",
        "provider": {
            "type": "chaoslab",
            "module": "inject",
            "func": "add_fault",
            "arguments": {"target": "store.*", "fault": fault, "duration": duration},
        },
    }


def guarded(
    rails: list[dict[str, Any]], method: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "title": "guarded",
        "description": "d",
        "extensions": [
            {
                "name": "chaoslab",
                "guard-rails": rails,
                "warmup": 10,
                "loads": [
                    {
                        "name": "api",
                        "target": f"{SYSTEM}:call",
                        "mode": "open",
                        "rate": 50,
                        "duration": 900,
                    }
                ],
                **extra,
            }
        ],
        "method": method,
        "rollbacks": [
            {
                "type": "action",
                "name": "rollback",
                "provider": {
                    "type": "python",
                    "module": SYSTEM,
                    "func": "arecord",
                    "arguments": {"label": "rb"},
                },
            }
        ],
    }


def run(doc: dict[str, Any], clock: VirtualClock, injector: FaultInjector) -> Journal:
    return Runner(load_experiment(doc), clock=clock, injector=injector).run()


def test_error_rate_rail_trips_stops_the_fault_and_rolls_back(
    clock: VirtualClock, injector: FaultInjector
) -> None:
    doc = guarded(
        [{"name": "error-budget", "condition": "error_rate > 5% for 2s"}],
        [fault_action({"type": "connection_refused"}, 60)],
    )
    journal = run(doc, clock, injector)
    assert journal["status"] == "aborted"
    (event,) = journal["chaoslab"]["guard_events"]
    assert event["rail"] == "error-budget"
    # The fault starts at t=10; the rail holds from the first check, trips 2 s later.
    assert 12.0 <= event["at"] <= 12.5
    assert event["threshold"] == 0.05
    assert event["value"] is not None
    assert event["value"] > 0.05
    # The method stopped at once: the fault activity was cut (no status) ...
    (record,) = journal["run"]
    assert "status" not in record
    assert journal["duration"] - event["at"] < 1.0
    # ... its fault window closed at the trip, and no injection is left.
    (window,) = journal["chaoslab"]["fault_windows"]
    assert window["end"] is not None
    assert window["end"] - event["at"] < 1.0
    assert injector.injections == ()
    # Rollbacks ran, and the summary says which rail tripped.
    assert _system.calls == ["rb"]
    rails = {r["name"]: r for r in journal["chaoslab"]["guard_rails"]}
    assert rails["error-budget"]["tripped"] is True
    assert rails["error-budget"]["checks"] >= 40  # every 0.25 s for 12 s


def test_rail_checks_every_quarter_second_and_holds_need_continuity(
    clock: VirtualClock, injector: FaultInjector
) -> None:
    # A 1 s outage never holds for 3 s: no trip.
    doc = guarded(
        [{"name": "budget", "condition": "error_rate > 5% for 3s"}],
        [fault_action({"type": "connection_refused"}, 1) | {"pauses": {"after": 5}}],
    )
    journal = run(doc, clock, injector)
    assert journal["status"] == "completed"
    assert journal["chaoslab"]["guard_events"] == []


def test_p99_rail_counts_requests_still_waiting(
    clock: VirtualClock, injector: FaultInjector
) -> None:
    doc = guarded(
        [{"name": "latency", "condition": "p99 > 5s"}],
        [fault_action({"type": "latency", "seconds": 30}, 60)],
    )
    journal = run(doc, clock, injector)
    (event,) = journal["chaoslab"]["guard_events"]
    assert event["rail"] == "latency"
    # Requests stall from t=10; their age passes 5 s at t=15, before any completes.
    assert 15.0 <= event["at"] <= 15.5
    assert journal["status"] == "aborted"


def test_probe_rail_trips_when_its_probe_misses(
    clock: VirtualClock, injector: FaultInjector
) -> None:
    probe = {
        "type": "probe",
        "name": "healthy",
        "tolerance": True,
        "provider": {
            "type": "python",
            "module": SYSTEM,
            "func": "get_state",
            "arguments": {"key": "healthy"},
        },
    }
    method = [
        {
            "type": "action",
            "name": "break",
            "pauses": {"before": 3, "after": 60},
            "provider": {
                "type": "python",
                "module": SYSTEM,
                "func": "set_state",
                "arguments": {"key": "healthy", "value": False},
            },
        },
    ]
    journal = run(
        guarded([{"name": "health", "probe": probe, "every": 0.1}], method), clock, injector
    )
    (event,) = journal["chaoslab"]["guard_events"]
    assert event["rail"] == "health"
    assert "missed" in event["message"]
    assert 13.0 <= event["at"] <= 13.1 + 1e-6  # warmup 10 + pause 3, checked every 0.1 s


def test_max_duration_rail(clock: VirtualClock, injector: FaultInjector) -> None:
    method = [
        {
            "type": "action",
            "name": "long",
            "pauses": {"after": 600},
            "provider": {
                "type": "python",
                "module": SYSTEM,
                "func": "arecord",
                "arguments": {"label": "x"},
            },
        }
    ]
    journal = run(guarded([], method, **{"max-duration": 30}), clock, injector)
    (event,) = journal["chaoslab"]["guard_events"]
    assert event["rail"] == "max-duration"
    assert event["at"] == 30.0
    assert journal["duration"] == 30.0
    assert _system.calls == ["x", "rb"]


def test_concurrency_limit_is_enforced_at_run_time(
    clock: VirtualClock, injector: FaultInjector
) -> None:
    # Validation counts conservatively; at run time the second fault is refused.
    first = fault_action({"type": "connection_refused"}, 5) | {"name": "a", "background": True}
    second = fault_action({"type": "latency", "seconds": 0.1}, 5) | {"name": "b"}
    doc = guarded([], [first, second])
    doc["extensions"][0]["blast-radius"] = {"max-concurrent-faults": 1}
    with pytest.raises(Exception, match="max-concurrent-faults is 1"):
        load_experiment(doc)


async def test_proxy_toxic_on_an_embedded_server_in_virtual_time() -> None:
    from chaoslab.proxy import ProxyServer

    clock = VirtualClock(autojump=True)
    doc = {
        "title": "t",
        "description": "d",
        "method": [
            {
                "type": "action",
                "name": "ramp",
                "provider": {
                    "type": "chaoslab",
                    "module": "proxy",
                    "func": "add_toxic",
                    "arguments": {
                        "proxy": "redis",
                        "type": "latency",
                        "duration": 120,
                        "ramp": {
                            "attribute": "latency",
                            "from": 0,
                            "to": 1000,
                            "over": 100,
                            "steps": 4,
                        },
                    },
                },
            }
        ],
    }
    async with ProxyServer(seed=1) as server:
        await server.create("redis", upstream="127.0.0.1:9", listen="127.0.0.1:0")
        journal = await Runner(load_experiment(doc), clock=clock, proxy_server=server).run_async()
        assert server.get("redis").toxics == []
        latencies = [
            getattr(e, "attributes", {}).get("latency")
            for e in server.recorder.of_kind("proxy.toxic")
        ]
    assert latencies == [0, 250, 500, 750, 1000, None]
    assert journal["duration"] == 120.0
    assert journal["run"][0]["output"]["name"] == "latency_downstream"
    (window,) = journal["chaoslab"]["fault_windows"]
    assert (window["start"], window["end"]) == (0.0, 120.0)


def test_rail_on_an_unknown_load_is_refused_then_trips_if_it_cannot_be_checked(
    clock: VirtualClock, injector: FaultInjector
) -> None:
    rails = [{"name": "ghost", "condition": "error_rate > 5% on nowhere"}]
    doc = guarded(rails, [fault_action({"type": "connection_refused"}, 5)])
    with pytest.raises(Exception, match="no load named 'nowhere'") as info:
        load_experiment(doc)
    assert dict(info.value.problems) == {  # type: ignore[attr-defined]
        "extensions[0].guard-rails[0].condition": "no load named 'nowhere' (loads: api)"
    }
    # Built past validation (as a Python caller could), the rail trips rather than go silent.
    exp = load_experiment(guarded([], [fault_action({"type": "connection_refused"}, 5)]))
    from chaoslab.experiment import GuardRailSpec

    settings = exp.chaoslab.model_copy(
        update={"guard_rails": [GuardRailSpec.model_validate(rails[0])]}
    )
    journal = Runner(
        exp.model_copy(update={"chaoslab": settings}), clock=clock, injector=injector
    ).run()
    (event,) = journal["chaoslab"]["guard_events"]
    assert event["message"].startswith("could not be checked (ExperimentError: no load run")
    assert journal["status"] == "aborted"
