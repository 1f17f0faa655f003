"""Hypothesis and rollback strategies, background activities, dry runs, in virtual time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.experiment import Journal, Runner, RunOptions, load_experiment
from tests.unit.experiment import _system

SYSTEM = "tests.unit.experiment._system"


@pytest.fixture(autouse=True)
def _reset_system() -> None:
    _system.calls.clear()
    _system.state.clear()
    _system.state["healthy"] = True


def py(func: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "python", "module": SYSTEM, "func": func, "arguments": arguments}


def action(name: str, func: str, pause: float = 0.0, **arguments: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "provider": py(func, **arguments),
        "pauses": {"after": pause},
    }


HEALTHY = {
    "type": "probe",
    "name": "healthy",
    "tolerance": True,
    "provider": py("get_state", key="healthy"),
}


def experiment(*, breaks: bool = False, probe: dict[str, Any] | None = None) -> dict[str, Any]:
    """Break the system for 5 s; with `breaks`, leave it broken."""
    method = [action("break", "set_state", 5.0, key="healthy", value=False)]
    if not breaks:
        method.append(action("repair", "set_state", 5.0, key="healthy", value=True))
    return {
        "title": "t",
        "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [probe or HEALTHY]},
        "method": method,
        "rollbacks": [action("rollback", "arecord", label="rolled-back")],
    }


def run(doc: dict[str, Any], **options: Any) -> Journal:
    return Runner(
        load_experiment(doc), options=RunOptions(**options), clock=VirtualClock(autojump=True)
    ).run()


def test_default_strategy_checks_before_and_after() -> None:
    journal = run(experiment())
    assert journal["status"] == "completed"
    assert journal["deviated"] is False
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    assert journal["steady_states"]["after"]["steady_state_met"] is True
    assert journal["steady_states"]["during"] == []
    assert [r["activity"]["name"] for r in journal["run"]] == ["break", "repair"]
    assert journal["duration"] == 10.0
    assert _system.calls == ["rolled-back"]


def test_deviation_when_after_check_misses() -> None:
    journal = run(experiment(breaks=True))
    assert journal["status"] == "completed"
    assert journal["deviated"] is True
    assert journal["steady_states"]["after"]["probes"][0]["tolerance_met"] is False


def test_before_miss_skips_method_and_after() -> None:
    _system.state["healthy"] = False
    journal = run(experiment())
    assert journal["run"] == []
    assert journal["steady_states"]["after"] is None
    assert journal["status"] == "completed"


def test_before_probe_failure_is_failed_status() -> None:
    failing = {"type": "probe", "name": "boom", "tolerance": True, "provider": py("aboom")}
    journal = run(experiment(probe=failing))
    assert journal["status"] == "failed"
    probe = journal["steady_states"]["before"]["probes"][0]
    assert probe["status"] == "failed"
    assert probe["exception"][-1].endswith("RuntimeError: boom\n")
    assert _system.calls == []  # default rollbacks skip failed runs


@pytest.mark.parametrize(
    ("strategy", "before", "after", "during"),
    [
        ("before-method-only", True, False, False),
        ("after-method-only", False, True, False),
        ("during-method-only", False, False, True),
        ("continuously", True, True, True),
    ],
)
def test_hypothesis_strategies(strategy: str, before: bool, after: bool, during: bool) -> None:
    journal = run(experiment(), hypothesis_strategy=strategy, hypothesis_frequency=1.0)
    states = journal["steady_states"]
    assert (states["before"] is not None) is before
    assert (states["after"] is not None) is after
    assert bool(states["during"]) is during
    if during:
        # Checked at t=0, 1, ..., 9 during a 10 s method; broken from 0 to 5.
        met = [s["steady_state_met"] for s in states["during"]]
        assert len(met) == 10
        assert met == [False] * 5 + [True] * 5


def test_continuously_fail_fast_stops_method_after_current_activity() -> None:
    journal = run(experiment(), hypothesis_strategy="continuously", fail_fast=True)
    assert journal["status"] == "failed"
    assert [r["activity"]["name"] for r in journal["run"]] == ["break"]
    assert _system.calls == []  # failed: default rollbacks do not run


def test_runtime_block_sets_strategies() -> None:
    doc = experiment() | {
        "runtime": {
            "hypothesis": {"strategy": "continously", "frequency": 2.5},
            "rollbacks": {"strategy": "never"},
        }
    }
    journal = run(doc)
    assert journal["chaoslab"]["strategies"]["hypothesis"] == "continuously"
    assert len(journal["steady_states"]["during"]) == 4  # t = 0, 2.5, 5, 7.5
    assert _system.calls == []


@pytest.mark.parametrize(
    ("strategy", "breaks", "rolled_back"),
    [
        ("default", False, True),
        ("always", False, True),
        ("never", False, False),
        ("deviated", False, False),
        ("deviated", True, True),
    ],
)
def test_rollback_strategies(strategy: str, breaks: bool, rolled_back: bool) -> None:
    journal = run(experiment(breaks=breaks), rollback_strategy=strategy)
    assert bool(journal["rollbacks"]) is rolled_back
    assert (_system.calls == ["rolled-back"]) is rolled_back


def test_always_rolls_back_even_failed_runs() -> None:
    failing = {"type": "probe", "name": "boom", "tolerance": True, "provider": py("aboom")}
    journal = run(experiment(probe=failing), rollback_strategy="always")
    assert journal["status"] == "failed"
    assert _system.calls == ["rolled-back"]


def test_failed_activity_does_not_stop_the_run_or_the_rollbacks() -> None:
    doc = experiment()
    doc["method"].insert(
        0, {"type": "action", "name": "fails", "provider": py("aboom", message="nope")}
    )
    doc["rollbacks"].insert(0, {"type": "action", "name": "rb-fails", "provider": py("aboom")})
    journal = run(doc)
    assert journal["status"] == "completed"
    assert journal["run"][0]["status"] == "failed"
    assert journal["run"][0]["exception"] == [
        "chaoslab.experiment.ActivityFailed: RuntimeError: nope\n"
    ]
    assert [r["status"] for r in journal["rollbacks"]] == ["failed", "succeeded"]


def test_background_activities_overlap() -> None:
    doc = experiment()
    doc["method"] = [
        action("bg", "arecord", 8.0, label="bg") | {"background": True},
        action("fg", "arecord", 3.0, label="fg"),
    ]
    journal = run(doc)
    # The method waits for its background activity: 8 s, not 11 s.
    assert journal["duration"] == 8.0
    timeline = journal["chaoslab"]["timeline"]
    bg = next(e for e in timeline if e["name"] == "bg")
    fg = next(e for e in timeline if e["name"] == "fg")
    assert bg["background"] is True
    assert bg["start"] == fg["start"] == 0.0


def test_pauses_before_and_after_are_not_in_duration() -> None:
    doc = experiment()
    doc["method"] = [
        {
            "type": "action",
            "name": "a",
            "provider": py("arecord", label="a"),
            "pauses": {"before": 2, "after": 3},
        }
    ]
    journal = run(doc)
    record = journal["run"][0]
    assert record["duration"] == 0.0
    assert journal["chaoslab"]["timeline"][1]["start"] == 2.0  # after the hypothesis probe
    assert journal["duration"] == 5.0


@pytest.mark.parametrize(
    ("dry", "ran"),
    [("actions", []), ("probes", ["rolled-back"]), ("activities", []), ("pause", ["rolled-back"])],
)
def test_dry_modes(dry: str, ran: list[str]) -> None:
    journal = run(experiment(), dry=dry)
    outputs = [r["output"] for r in journal["run"]]
    if dry in ("actions", "activities"):
        assert outputs == [None, None]
        assert _system.state["healthy"] is True  # the break never happened
    if dry == "pause":
        assert journal["duration"] == 0.0
    assert journal["chaoslab"]["dry"] == dry
    assert ("rolled-back" in _system.calls) is bool(ran)


async def test_stop_interrupts_the_method_and_rolls_back() -> None:
    clock = VirtualClock(autojump=True)
    runner = Runner(load_experiment(experiment()), clock=clock)

    async def interrupt() -> None:
        await clock.sleep_async(2.0)
        runner.stop("SIGINT")

    stopper = asyncio.create_task(interrupt())
    journal = await runner.run_async()
    await stopper
    assert journal["status"] == "interrupted"
    assert journal["chaoslab"]["interrupted_by"] == "SIGINT"
    assert journal["duration"] == 2.0
    # The cut activity stays in the run, without a status (Chaos Toolkit's shape).
    assert journal["run"][0]["activity"]["name"] == "break"
    assert journal["run"][0]["status"] == "succeeded"  # the pause after it was cut
    assert _system.calls == ["rolled-back"]


async def test_cancellation_from_outside_still_rolls_back_and_journals(tmp_path: Any) -> None:
    clock = VirtualClock(autojump=True)
    path = tmp_path / "j.json"
    runner = Runner(
        load_experiment(experiment()), clock=clock, options=RunOptions(journal_path=path)
    )
    task = asyncio.create_task(runner.run_async())
    await clock.sleep_async(3.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    from chaoslab.experiment import read_journal

    journal = read_journal(path)
    assert journal["status"] == "interrupted"
    assert journal["chaoslab"]["interrupted_by"] == "cancelled"
    assert _system.calls == ["rolled-back"]


def test_unexpected_error_aborts_and_says_why() -> None:
    doc = experiment() | {
        "extensions": [
            {
                "name": "chaoslab",
                "loads": [{"target": f"{SYSTEM}:no_such_function", "duration": 10}],
            }
        ]
    }
    journal = run(doc)
    assert journal["status"] == "aborted"
    assert journal["chaoslab"].get("error") == (
        f"ExperimentError: '{SYSTEM}:no_such_function' is not an async function"
    )
    assert journal["run"] == []
    assert _system.calls == ["rolled-back"]  # aborted runs roll back under `default`


def test_load_target_that_cannot_be_imported_says_how_to_fix_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = "chaoslab_no_such_module_xyz:hit"
    doc = experiment() | {
        "extensions": [{"name": "chaoslab", "loads": [{"target": target, "duration": 10}]}]
    }
    journal = run(doc)
    # A user's mistake is logged as one line, without a traceback.
    (record,) = [r for r in caplog.records if r.getMessage().startswith("experiment aborted")]
    assert not record.exc_info
    assert journal["status"] == "aborted"
    error = journal["chaoslab"].get("error")
    assert error == (
        f"ExperimentError: load target {target!r}: cannot import 'chaoslab_no_such_module_xyz' "
        "(No module named 'chaoslab_no_such_module_xyz'); "
        "a module in the working directory needs PYTHONPATH=."
    )


async def test_a_second_signal_stops_the_rollbacks() -> None:
    clock = VirtualClock(autojump=True)
    doc = experiment()
    doc["rollbacks"] = [
        action("slow-rollback", "arecord", 100.0, label="rb1"),
        action("never-reached", "arecord", label="rb2"),
    ]
    runner = Runner(load_experiment(doc), clock=clock)

    async def signals() -> None:
        await clock.sleep_async(2.0)
        runner.stop("SIGINT")  # stops the method
        await clock.sleep_async(10.0)
        runner.stop("SIGINT")  # stops the rollbacks

    sender = asyncio.create_task(signals())
    journal = await runner.run_async()
    await sender
    assert journal["status"] == "interrupted"
    assert journal["duration"] == 12.0
    assert _system.calls == ["rb1"]
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["slow-rollback"]
