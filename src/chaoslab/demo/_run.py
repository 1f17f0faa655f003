"""`chaoslab demo`'s engine: start the stack, run the bundled game day, write journal and report.

Example:
    >>> settings = DemoSettings(out=Path("out"), seed=7, quick=True)
    >>> demo_overrides(settings, {"service_url": "http://127.0.0.1:1"}).configuration["fault"]
    3
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaoslab.clock import SystemClock

if TYPE_CHECKING:
    from chaoslab.demo._phases import PhaseRow
    from chaoslab.experiment import Experiment, Journal, LiveStatus, Vars

__all__ = ["GAMEDAY_PATH", "DemoResult", "DemoSettings", "demo_overrides", "run_demo_async"]

GAMEDAY_PATH = Path(str(resources.files("chaoslab.demo").joinpath("gameday.yaml")))
"""The bundled experiment file (package data)."""

# Shorter windows for tests and a first look: about 20 s instead of about 60.
_QUICK = {"rate": 100, "warmup": 3, "baseline": 2, "fault": 3, "settle": 2}


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """What `chaoslab demo` was asked: where to write, the seed, quick or full."""

    out: Path
    seed: int | None = None
    quick: bool = False
    experiment: Path = GAMEDAY_PATH


@dataclass(slots=True)
class DemoResult:
    """What the demo produced."""

    journal: Journal
    journal_path: Path
    report_path: Path
    rows: list[PhaseRow] = field(default_factory=list)
    seed: int = 0
    wall_time: float = 0.0
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The run completed and the service met its steady state after the faults."""
        return self.journal["status"] == "completed" and not self.journal["deviated"]


def demo_overrides(settings: DemoSettings, urls: Mapping[str, str]) -> Vars:
    """The experiment's configuration overrides: the stack's URLs, and quick windows."""
    from chaoslab.experiment import Vars

    values: dict[str, Any] = dict(urls)
    if settings.quick:
        values.update(_QUICK)
    return Vars(configuration=values)


def _load(settings: DemoSettings, urls: Mapping[str, str]) -> Experiment:
    from chaoslab.experiment import load_experiment

    return load_experiment(settings.experiment, overrides=demo_overrides(settings, urls))


def _seed(settings: DemoSettings) -> int:
    from chaoslab.experiment import load_experiment

    if settings.seed is not None:
        return settings.seed
    seed = load_experiment(settings.experiment).chaoslab.seed
    return seed if seed is not None else 0


async def run_demo_async(
    settings: DemoSettings,
    *,
    on_tick: Callable[[LiveStatus], None] | None = None,
    on_ready: Callable[[Mapping[str, str]], None] | None = None,
    handle_signals: bool = True,
) -> DemoResult:
    """Start the stack, run the experiment under its load, write journal and report.

    `on_ready` is called with the stack's URLs once everything answers;
    `on_tick` with the runner's live status. With `handle_signals`, SIGINT
    and SIGTERM during the run stop it as `chaoslab run` does (rollbacks,
    journal with status `interrupted`). Everything started is stopped before
    this returns or raises.
    """
    from chaoslab.demo._phases import phase_rows
    from chaoslab.demo._stack import DemoStack
    from chaoslab.demo._traffic import Traffic, use_traffic
    from chaoslab.experiment import Runner, RunOptions

    clock = SystemClock()
    began = clock.now()
    settings.out.mkdir(parents=True, exist_ok=True)
    journal_path = settings.out / "journal.json"
    seed = _seed(settings)
    async with DemoStack(seed=seed, clock=clock) as stack:
        await _preflight(stack.service_url, stack.proxy_api_url)
        # Everything loaded so far lives until the end: keep it out of the
        # collector's full passes, which otherwise stall the shared event loop
        # (service, proxy and load alike) for a tenth of a second or more.
        gc.collect()
        gc.freeze()
        stack.push_cleanup(gc.unfreeze)
        urls = stack.configuration()
        if on_ready is not None:
            on_ready(urls)
        experiment = _load(settings, urls)
        traffic = Traffic(stack.service_url, seed=seed, clock=clock)
        await traffic.open()
        try:
            with use_traffic(traffic):
                runner = Runner(
                    experiment,
                    clock=clock,
                    options=RunOptions(
                        journal_path=journal_path, seed=seed, handle_signals=handle_signals
                    ),
                    on_tick=on_tick,
                )
                journal = await runner.run_async()
        finally:
            await traffic.close()
    rows = phase_rows(journal, traffic.answers, origin=runner.t0)
    report_path = _report(journal_path, settings.out / "report.html")
    return DemoResult(
        journal=journal,
        journal_path=journal_path,
        report_path=report_path,
        rows=rows,
        seed=runner.seed,
        wall_time=clock.now() - began,
        urls=dict(urls),
    )


async def _preflight(service_url: str, proxy_api_url: str) -> None:
    """Check the service and the proxy API answer, with the client the experiment uses.

    httpx loads parts of itself (anyio, TLS certificates) on its first
    request; doing that here, before the load starts, keeps a one-off
    stall of the shared event loop out of the measured latencies.
    """
    import httpx

    from chaoslab.errors import ServiceError

    async with httpx.AsyncClient(timeout=5.0) as client:
        for url in (f"{service_url}/health", f"{proxy_api_url}/version"):
            response = await client.get(url)
            if response.status_code != 200:
                raise ServiceError(f"{url} answered {response.status_code}")


def _report(journal_path: Path, output: Path) -> Path:
    from chaoslab.report import write_report

    html_path, _summary, _data = write_report(journal_path, output)
    return Path(html_path)
