"""A real game day in virtual time: the runner, load generator and injector write the journal.

The system: `call` is one API request; it reads the database through the
injection point `db.query` (2 ms); after a connection reset it is slower
for 3 s while the pool reconnects. The experiment: 10 s of baseline under
an open-loop load of 50 requests/s, 150 ms of database latency (with
jitter) for 15 s, a pause, then connection resets on 40 % of queries for
5 s, and a hypothesis over the load's p99. With `rail`, a guard rail on
the error rate stops the run during the resets.
"""

from typing import Any

from chaoslab.clock import VirtualClock
from chaoslab.experiment import Runner, load_experiment
from chaoslab.inject import FaultInjector, current_injector, injectable

SYSTEM = "tests.integration.report._gameday"


@injectable("db.query")
async def _query() -> str:
    injector = current_injector()
    assert injector is not None
    await injector.clock.sleep_async(0.002)
    return "row"


# After a reset the connection pool reconnects: requests are slower for 3 s.
state: dict[str, float | None] = {"last_reset": None}


async def call() -> None:
    """One API request."""
    injector = current_injector()
    assert injector is not None
    clock = injector.clock
    last = state["last_reset"]
    if last is not None and clock.now() - last < 3.0:
        await clock.sleep_async(0.12)
    try:
        await _query()
    except ConnectionResetError:
        state["last_reset"] = clock.now()
        raise


def _fault(
    name: str,
    fault: dict[str, Any],
    duration: float,
    after: float,
    schedule: dict[str, Any] | None = None,
) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "target": "db.*",
        "fault": fault,
        "duration": duration,
        "name": name,
    }
    if schedule is not None:
        arguments["schedule"] = schedule
    return {
        "type": "action",
        "name": name,
        "pauses": {"after": after},
        "provider": {
            "type": "chaoslab",
            "module": "inject",
            "func": "add_fault",
            "arguments": arguments,
        },
    }


def _p99_probe() -> dict[str, Any]:
    return {
        "type": "probe",
        "name": "p99-under-100ms",
        "tolerance": {"type": "range", "range": [0, 0.1]},
        "provider": {
            "type": "chaoslab",
            "module": "metrics",
            "func": "percentile",
            "arguments": {"window": 5, "p": 99},
        },
    }


def experiment(*, rail: bool, latency: float = 0.15) -> dict[str, Any]:
    """The experiment document, in Chaos Toolkit's format with the chaoslab extension."""
    rails = [{"name": "p99-budget", "condition": "p99 > 5s"}]
    if rail:
        rails.append({"name": "error-budget", "condition": "error_rate > 20% for 2s"})
    return {
        "title": "The API survives a slow, then flaky, database",
        "description": "Database latency then connection resets, under 50 requests/s.",
        "steady-state-hypothesis": {"title": "p99 stays low", "probes": [_p99_probe()]},
        "method": [
            _fault(
                "db-latency", {"type": "latency", "seconds": latency, "jitter": latency / 3}, 15, 20
            ),
            _fault("db-resets", {"type": "connection_reset"}, 5, 15, schedule={"probability": 0.4}),
        ],
        "rollbacks": [],
        "extensions": [
            {
                "name": "chaoslab",
                "seed": 42,
                "warmup": 10,
                "guard-rails": rails,
                "loads": [
                    {
                        "name": "api",
                        "target": f"{SYSTEM}:call",
                        "mode": "open",
                        "rate": 50,
                        "duration": 120,
                    }
                ],
            }
        ],
    }


def run_gameday(*, rail: bool = False, latency: float = 0.15) -> dict[str, Any]:
    """Run the experiment in virtual time and return its journal."""
    state["last_reset"] = None
    clock = VirtualClock(autojump=True)
    injector = FaultInjector(seed=42, clock=clock)
    with injector.activate():
        runner = Runner(
            load_experiment(experiment(rail=rail, latency=latency)), clock=clock, injector=injector
        )
        journal: dict[str, Any] = dict(runner.run())
    return journal
