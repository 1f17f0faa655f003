"""The journal matches its documented schema, is written atomically, and the display renders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from rich.console import Console

from chaoslab.clock import VirtualClock
from chaoslab.experiment import (
    Journal,
    LiveStatus,
    Runner,
    RunOptions,
    load_experiment,
    write_journal,
)
from chaoslab.inject import FaultInjector

SYSTEM = "tests.unit.experiment._system"


def load_experiment_doc() -> dict[str, Any]:
    metric = {"type": "chaoslab", "module": "metrics"}
    return {
        "title": "load from the method",
        "description": "d",
        # The load starts in the method: check the hypothesis after it only.
        "runtime": {"hypothesis": {"strategy": "after-method-only"}},
        "steady-state-hypothesis": {
            "title": "fast",
            "probes": [
                {
                    "type": "probe",
                    "name": "p99",
                    "tolerance": [0, 0.5],
                    "provider": metric
                    | {"func": "percentile", "arguments": {"p": 99, "window": 2}},
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "start",
                "pauses": {"after": 5},
                "provider": {
                    "type": "chaoslab",
                    "module": "load",
                    "func": "start",
                    "arguments": {
                        "name": "api",
                        "target": f"{SYSTEM}:call",
                        "mode": "open",
                        "ramp": {"from": 10, "to": 30, "over": 4},
                        "duration": 60,
                    },
                },
            },
            {
                "type": "action",
                "name": "slow",
                "pauses": {"after": 3},
                "provider": {
                    "type": "chaoslab",
                    "module": "inject",
                    "func": "add_fault",
                    "arguments": {
                        "target": "store.get",
                        "fault": {"type": "latency", "seconds": 0.2},
                        "duration": 2,
                    },
                },
            },
            {
                "type": "probe",
                "name": "throughput",
                "provider": metric | {"func": "throughput", "arguments": {"window": 2}},
            },
            {
                "type": "probe",
                "name": "errors",
                "provider": metric | {"func": "error_rate", "arguments": {"load": "api"}},
            },
            {
                "type": "action",
                "name": "stop",
                "provider": {
                    "type": "chaoslab",
                    "module": "load",
                    "func": "stop",
                    "arguments": {"name": "api"},
                },
            },
        ],
    }


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    clock = VirtualClock(autojump=True)
    chaos = FaultInjector(seed=1, clock=clock)
    ticks: list[LiveStatus] = []
    with chaos.activate():
        runner = Runner(
            load_experiment(load_experiment_doc()),
            clock=clock,
            injector=chaos,
            options=RunOptions(journal_path=tmp_path / "j.json", seed=42),
            on_tick=ticks.append,
        )
        result = runner.run()
    assert ticks
    assert any(t.activity == "slow" for t in ticks)
    return result


def test_journal_matches_the_documented_schema(journal: Journal, tmp_path: Path) -> None:
    on_disk = json.loads((tmp_path / "j.json").read_text())
    TypeAdapter(Journal).validate_python(on_disk, strict=False)
    assert list(on_disk)[:12] == [
        "chaoslib-version",
        "platform",
        "node",
        "experiment",
        "start",
        "status",
        "deviated",
        "steady_states",
        "run",
        "rollbacks",
        "end",
        "duration",
    ]
    assert on_disk["chaoslab"]["seed"] == 42
    assert on_disk["chaoslab"]["schema"] == 1


def test_load_probes_and_fault_windows(journal: Journal) -> None:
    assert journal["status"] == "completed", journal["run"]
    outputs = {r["activity"]["name"]: r["output"] for r in journal["run"]}
    assert 25 <= outputs["throughput"] <= 31  # the ramp has reached 30/s
    assert outputs["errors"] == 0.0
    assert outputs["stop"]["requests"] > 100
    (series,) = journal["chaoslab"]["loads"]
    assert series["name"] == "api"
    slow = [s for s in series["slices"] if 6 <= s["t"] < 7]
    assert slow[0]["p50"] == pytest.approx(0.2, rel=0.01)  # injected latency, measured
    (window,) = journal["chaoslab"]["fault_windows"]
    assert (window["start"], window["end"]) == (5.0, 7.0)
    (rec,) = journal["chaoslab"]["recovery"]["windows"]
    assert rec["recovery_time"] == 0.0
    assert rec["criteria"] == "0 <= p99 <= 0.5"
    assert rec["degradation"] is not None
    assert rec["degradation"]["p99_ratio"] is not None
    assert rec["degradation"]["p99_ratio"] > 100  # 200 ms against microseconds
    kinds = {e["kind"] for e in journal["chaoslab"]["events"]}
    assert {"experiment.started", "experiment.activity_ended", "experiment.ended"} <= kinds


def test_write_is_atomic_and_keeps_old_file_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    write_journal(path, {"status": "completed"})

    class Boom:
        def __repr__(self) -> str:
            raise RuntimeError("cannot encode")

    with pytest.raises(RuntimeError):
        write_journal(path, {"status": Boom()})
    assert json.loads(path.read_text()) == {"status": "completed"}
    assert [p.name for p in tmp_path.iterdir()] == ["j.json"]


def test_live_and_plain_displays_render() -> None:
    from chaoslab.cli._live import LiveDisplay, PlainDisplay

    status = LiveStatus(
        phase="method",
        activity="slow",
        elapsed=3.5,
        remaining=6.0,
        p99=0.25,
        error_rate=0.02,
        rails=(("budget", 0.6, False), ("latency", -0.1, True)),
    )
    console = Console(record=True, width=100, force_terminal=False)
    from chaoslab.experiment import ActivityEnded, ExperimentStarted, GuardTripped

    with PlainDisplay(console) as plain:
        plain.update(status)
        plain.update(status)  # within 5 s: no second line
        plain.on_event(ExperimentStarted(at=100.0, source="x", title="t", seed=1))
        plain.on_event(
            ActivityEnded(
                at=103.5, source="x", name="slow", phase="method", status="succeeded", duration=1.25
            )
        )
        plain.on_event(
            GuardTripped(at=104.0, source="x", rail="budget", condition="p99 > 5s", value=6.0)
        )
    text = console.export_text()
    assert text.count("p99 250.0 ms  errors 2.00%") == 1
    assert "[   3.50s] method: slow succeeded (1.25s)" in text
    assert "guard rail budget TRIPPED: p99 > 5s" in text
    live_console = Console(record=True, width=100, force_terminal=True)
    with LiveDisplay(live_console) as live:
        live.update(status)
    rendered = live_console.export_text()
    assert "TRIPPED" in rendered
    assert "+60%" in rendered


def test_journal_events_are_capped_per_kind() -> None:
    from chaoslab.experiment._events import ExperimentStarted, JournalEvents

    hook = JournalEvents(per_kind=2)
    for i in range(5):
        hook(ExperimentStarted(at=float(i), source="x", title="t", seed=None))
    events = hook.for_journal()
    assert [e.get("at") for e in events[:2]] == [0.0, 1.0]
    assert events[-1] == {"kind": "journal.events_dropped", "counts": {"experiment.started": 3}}


def test_journal_keeps_the_file_and_records_the_values_used() -> None:
    from chaoslab.experiment import Vars

    doc = {
        "title": "vars",
        "description": "d",
        "configuration": {"msg": "from-file"},
        "method": [
            {
                "type": "probe",
                "name": "echo",
                "provider": {"type": "process", "path": "echo", "arguments": ["${msg}"]},
            }
        ],
    }
    overrides = Vars(configuration={"msg": "from-cli"})
    result = Runner(load_experiment(doc, overrides=overrides), clock=VirtualClock()).run()
    # Chaos Toolkit's rule: `experiment` is the file as written ...
    assert result["experiment"]["configuration"] == {"msg": "from-file"}
    assert result["experiment"]["method"][0]["provider"]["arguments"] == ["${msg}"]
    # ... and each record holds what the run used.
    (record,) = result["run"]
    assert record["activity"]["provider"]["arguments"] == ["from-cli"]
    assert record["output"]["stdout"].strip() == "from-cli"
