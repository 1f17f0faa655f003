"""Recovery time and baseline against a scripted outage, ten minutes in virtual time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.experiment import Runner, load_experiment
from chaoslab.inject import FaultInjector
from tests.unit.experiment import _system

SYSTEM = "tests.unit.experiment._system"


@pytest.fixture
def injector() -> Iterator[FaultInjector]:
    _system.warmup.update(delay=4.0, last_failure=None)
    chaos = FaultInjector(seed=3, clock=VirtualClock(autojump=True))
    with chaos.activate():
        yield chaos
    _system.warmup.update(delay=0.0, last_failure=None)


def outage(recovery: list[str] | None = None) -> dict[str, Any]:
    """Baseline 60 s, Redis refused for 300 s, then watch until t = 600 s."""
    ext: dict[str, Any] = {
        "name": "chaoslab",
        "warmup": 60,
        "loads": [
            {
                "name": "api",
                "target": f"{SYSTEM}:call_with_warmup",
                "mode": "open",
                "rate": 10,
                "duration": 700,
            }
        ],
    }
    if recovery is not None:
        ext["recovery"] = recovery
    return {
        "title": "cold cache after an outage",
        "description": "d",
        "steady-state-hypothesis": {
            "title": "few errors",
            "probes": [
                {
                    "type": "probe",
                    "name": "error-rate",
                    "tolerance": {"type": "range", "range": [0, 0.01]},
                    "provider": {
                        "type": "chaoslab",
                        "module": "metrics",
                        "func": "error_rate",
                        "arguments": {"window": 10},
                    },
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "refuse",
                "pauses": {"after": 240},
                "provider": {
                    "type": "chaoslab",
                    "module": "inject",
                    "func": "add_fault",
                    "arguments": {
                        "target": "store.*",
                        "duration": 300,
                        "fault": {"type": "connection_refused"},
                    },
                },
            }
        ],
        "extensions": [ext],
    }


def test_recovery_time_of_a_scripted_outage(injector: FaultInjector) -> None:
    journal = Runner(load_experiment(outage()), clock=injector.clock, injector=injector).run()
    assert journal["duration"] == 600.0
    assert journal["status"] == "completed"
    assert journal["deviated"] is False  # the last 10 s were clean again
    section = journal["chaoslab"]
    (window,) = section["fault_windows"]
    assert (window["start"], window["end"]) == (60.0, 360.0)
    baseline = section["recovery"]["baseline"]
    assert baseline is not None
    assert (baseline["start"], baseline["end"]) == (0.0, 60.0)
    assert baseline["error_rate"] == 0.0
    assert baseline["throughput"] == 10.0
    (rec,) = section["recovery"]["windows"]
    # The cache stays cold 4 s after the last failure: the first clean second starts at 364.
    assert rec["recovered_at"] == 364.0
    assert rec["recovery_time"] == 4.0
    assert rec["criteria"] == "0 <= error_rate <= 0.01"  # from the hypothesis's metric probe
    # Refused requests fail at once: no slower, all errors.
    assert rec["degradation"] == {"p99_ratio": 1.0, "error_rate_delta": 1.0}
    slices = section["loads"][0]["slices"]
    assert len(slices) >= 540
    assert all(s["error_rate"] == 1.0 for s in slices if 60 <= s["t"] < 360)


def test_explicit_criteria_and_no_recovery(injector: FaultInjector) -> None:
    _system.warmup["delay"] = 10_000.0  # never warms up again
    doc = outage(recovery=["error_rate < 1%"])
    journal = Runner(load_experiment(doc), clock=injector.clock, injector=injector).run()
    (rec,) = journal["chaoslab"]["recovery"]["windows"]
    assert rec["criteria"] == "error_rate < 0.01"
    assert rec["recovered_at"] is None
    assert rec["recovery_time"] is None
    assert journal["deviated"] is True


def _slice(t: float, error_rate: float, p99: float) -> Any:
    return {
        "t": t,
        "requests": 100,
        "errors": int(error_rate * 100),
        "throughput": 100.0,
        "error_rate": error_rate,
        "p50": p99,
        "p90": p99,
        "p95": p99,
        "p99": p99,
        "max": p99,
    }


def test_recovery_counts_from_the_slice_the_fault_ended_in() -> None:
    from chaoslab.experiment._recovery import recovery_report

    window: Any = {
        "name": "f",
        "kind": "proxy.toxic",
        "target": "redis",
        "start": 2.3,
        "end": 4.6,
        "activity": "a",
        "details": {},
    }
    # Slices start at .0 (the load's grid), the fault at 2.3 and 4.6: off the grid.
    series = [
        _slice(0, 0, 0.01),
        _slice(1, 0, 0.01),
        _slice(2, 0, 0.5),
        _slice(3, 0.2, 0.01),
        _slice(4, 0, 0.01),
        _slice(5, 0, 0.01),
    ]
    (rec,) = recovery_report([window], series, [])["windows"]
    # The slice [4, 5) holds the fault's end and is already clean: immediate recovery.
    assert rec["recovered_at"] == 4.6
    assert rec["recovery_time"] == 0.0
    # The slice [2, 3) overlaps the fault's start: its p99 is the worst (50x the baseline).
    assert rec["degradation"] == {"p99_ratio": 50.0, "error_rate_delta": 0.2}
    series[4] = _slice(4, 0.5, 0.01)  # still failing in the fault's last slice
    (rec,) = recovery_report([window], series, [])["windows"]
    assert rec["recovered_at"] == 5.0
    assert rec["recovery_time"] == 0.4
