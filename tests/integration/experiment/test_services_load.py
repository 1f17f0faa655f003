"""A real service under real load: pause it, kill it, start it; metrics, windows, recovery."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chaoslab.experiment import Runner, load_experiment
from chaoslab.services import PortOpen, ProcessService


@pytest.fixture
def web() -> Iterator[ProcessService]:
    cmd = [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
    with ProcessService(cmd, name="web", ready=PortOpen()) as service:
        yield service


def action(
    name: str, module: str, func: str, after: float = 0.0, **arguments: Any
) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "pauses": {"after": after},
        "provider": {"type": "chaoslab", "module": module, "func": func, "arguments": arguments},
    }


def test_pause_and_kill_a_real_service_under_load(web: ProcessService) -> None:
    doc = {
        "title": "the web server stalls, then crashes",
        "description": "SIGSTOP for a second, SIGKILL for a second, then a restart",
        "steady-state-hypothesis": {
            "title": "serves",
            "probes": [
                {
                    "type": "probe",
                    "name": "home",
                    "tolerance": 200,
                    "provider": {
                        "type": "http",
                        "url": f"http://127.0.0.1:{web.port}/",
                        "timeout": 2,
                    },
                }
            ],
        },
        "method": [
            action("stall", "services", "pause", 1.0, service="web", duration=1.0),
            action("crash", "services", "kill", service="web", duration=1.0),
            action("restart", "services", "restart", 1.0, service="web"),
            action("p99", "metrics", "percentile", window=1, p=99) | {"type": "probe"},
        ],
        "extensions": [
            {
                "name": "chaoslab",
                "warmup": 2.0,  # two whole seconds of baseline
                "blast-radius": {"services": ["web"], "max-fault-duration": 5},
                "loads": [
                    {
                        "name": "home",
                        "target": f"http://127.0.0.1:{web.port}/",
                        "mode": "closed",
                        "users": 2,
                        "duration": 30,
                        "timeout": 0.3,
                    }
                ],
            }
        ],
    }
    journal = Runner(load_experiment(doc), services={"web": web}).run()
    assert journal["status"] == "completed", journal["run"]
    assert journal["deviated"] is False
    assert [r["status"] for r in journal["run"]] == ["succeeded"] * 4
    assert web.running
    section = journal["chaoslab"]
    pause, kill = section["fault_windows"]
    assert (pause["kind"], kill["kind"]) == ("service.pause", "service.kill")
    assert pause["end"] is not None
    assert 0.9 <= pause["end"] - pause["start"] < 2.0
    assert kill["end"] is not None  # started again after its duration
    slices = section["loads"][0]["slices"]
    assert sum(s["requests"] for s in slices) > 20
    overlapping = [s for s in slices if s["t"] < pause["end"] and s["t"] + 1 > pause["start"]]
    assert any(s["errors"] for s in overlapping), slices  # timeouts while stopped
    assert all(s["errors"] == 0 for s in slices if s["t"] + 1 <= pause["start"])
    baseline = section["recovery"]["baseline"]
    assert baseline is not None
    assert baseline["error_rate"] == 0.0
    assert len(section["recovery"]["windows"]) == 2


def test_guard_rail_trips_on_a_stalled_real_service_and_rollback_resumes_it(
    web: ProcessService,
) -> None:
    url = f"http://127.0.0.1:{web.port}/"
    doc = {
        "title": "stall the web server until the rail trips",
        "description": "p99 over 300 ms stops the method; the rollback resumes the server",
        "method": [action("stall", "services", "pause", 30.0, service="web")],
        "rollbacks": [action("resume", "services", "resume", service="web")],
        "extensions": [
            {
                "name": "chaoslab",
                "warmup": 1.0,
                "guard-rails": [{"name": "latency", "condition": "p99 > 300ms"}],
                "loads": [
                    {
                        "name": "home",
                        "target": url,
                        "mode": "closed",
                        "users": 2,
                        "duration": 30,
                        "timeout": 5,
                    }
                ],
            }
        ],
    }
    journal = Runner(load_experiment(doc), services={"web": web}).run()
    assert journal["status"] == "aborted"
    (event,) = journal["chaoslab"]["guard_events"]
    assert event["rail"] == "latency"
    (window,) = journal["chaoslab"]["fault_windows"]
    # Requests stall at once; p99 over the last whole slices passes 300 ms once the
    # fast requests of before the stall have left the window (two slices at most).
    assert 0.3 <= event["at"] - window["start"] < 3.0
    assert journal["duration"] < 10  # not the 30 s the method asked for
    assert journal["rollbacks"][0]["status"] == "succeeded"
    assert httpx.get(url, timeout=5).status_code == 200  # resumed
