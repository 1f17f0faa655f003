"""`chaoslab demo`: a game day against a bundled service, with nothing to install.

Starts a real Redis, an embedded fault proxy (with its Toxiproxy-compatible
API), a fake LLM upstream and the demo service on 127.0.0.1; runs the
bundled experiment under load with a live display; prints a per-phase
summary; writes the journal and the HTML report. Exit 0 when the service
rode out every fault (completed, steady state met after the faults), 1
when it did not, 130 on Ctrl-C and 143 on SIGTERM (the journal is written
all the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from chaoslab.cli._app import app, console

if TYPE_CHECKING:
    from chaoslab.demo import DemoResult, DemoSettings, PhaseRow


def _latency(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def _recovery(row: PhaseRow) -> str:
    if row.recovered is None:
        return ""
    return f"{row.recovery_time:.1f} s" if row.recovery_time is not None else "never"


def summary_table(result: DemoResult) -> Table:
    """The per-phase summary: load figures, where answers came from, recovery times."""
    from rich import box

    from chaoslab.demo import SOURCES

    shown = SOURCES[:-1]  # errors have their own column
    assert shown == ("redis", "memory", "llm", "stale")
    table = Table(
        title="What happened, phase by phase",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    table.add_column("phase", no_wrap=True)
    # Short headers: the table fits 80 columns (a CI log, a narrow terminal).
    for name in ("s", "req", "err", "p50", "p99", "redis", "mem", "llm", "stale", "recov"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in result.rows:
        fault = row.phase.fault is not None
        if fault:
            label = f"[bold red]{escape(row.phase.name)}[/bold red]"
        else:
            label = "baseline" if row.phase.name == "baseline" else "  recovery"
        table.add_row(
            label,
            f"{row.phase.start:.0f}-{row.phase.end:.0f}",
            f"{row.requests:,}",
            f"{row.error_rate:.1%}",
            _latency(row.p50),
            _latency(row.p99),
            *(f"{row.share(source):.0%}" for source in shown),
            _recovery(row),
        )
    windows = result.journal["chaoslab"]["recovery"]["windows"]
    criteria = windows[0]["criteria"] if windows else "back to steady state"
    table.caption = (
        "p50 of the median second, p99 of the worst. Answers from Redis, the in-memory "
        "cache, the LLM upstream, or stale memory. Recovery: from the fault's end until "
        f"{criteria}."
    )
    return table


def _print_result(result: DemoResult) -> None:
    journal = result.journal
    console.print(summary_table(result))
    colour = "green" if result.ok else "red"
    verdict = "the service rode out every fault" if result.ok else "the service did not hold"
    console.print(
        f"[{colour}]{journal['status']}{' (deviated)' if journal['deviated'] else ''}: "
        f"{verdict}[/{colour}] - seed {result.seed}, "
        f"experiment {journal['duration']:.1f} s, wall time {result.wall_time:.1f} s"
    )
    for event in journal["chaoslab"]["guard_events"]:
        console.print(
            f"[red]guard rail {escape(event['rail'])} tripped[/red]: {escape(event['message'])}"
        )
    console.print(f"journal: [bold]{result.journal_path}[/bold]")
    console.print(f"report:  [bold]{result.report_path}[/bold]  (open it in a browser)")


def _ready(urls: Mapping[str, str]) -> None:
    console.print(
        f"  service     {urls['service_url']}/answer?q=...  (try it while the demo runs)\n"
        f"  proxy API   {urls['proxy_api']}  (Toxiproxy's API)\n"
        f"  redis       {urls['redis_url']}  via proxy 'redis' at {urls['redis_proxy']}\n"
        f"  upstream    {urls['upstream_url']}  via proxy 'llm' at {urls['llm_proxy']}",
        highlight=False,
    )


def _run(settings: DemoSettings) -> DemoResult:
    from chaoslab.cli._live import LiveDisplay, PlainDisplay
    from chaoslab.demo import run_demo_async
    from chaoslab.observe import default_bus

    display: LiveDisplay | PlainDisplay
    display = LiveDisplay(console) if console.is_terminal else PlainDisplay(console)

    async def main() -> DemoResult:
        with contextlib.ExitStack() as stack:
            if isinstance(display, PlainDisplay):
                # The runner and the service's strategies report on the default bus.
                stack.enter_context(default_bus().subscribed(display.on_event))
            stack.enter_context(display)
            return await run_demo_async(settings, on_tick=display.update, on_ready=_ready)

    return asyncio.run(main())


@app.command()
def demo(
    *,
    out: Annotated[Path, typer.Option(help="Where to write journal.json and report.html.")] = Path(
        "chaoslab-demo"
    ),
    seed: Annotated[
        int | None, typer.Option(help="Seed for every random decision (default: the file's).")
    ] = None,
    quick: Annotated[
        bool, typer.Option(help="Shorter windows: about 20 s instead of about 60.")
    ] = False,
) -> None:
    """Run a game day against a bundled service: Redis, a fault proxy, load, report."""
    from chaoslab.demo import GAMEDAY_PATH, DemoSettings
    from chaoslab.errors import ChaoslabError

    settings = DemoSettings(out=out, seed=seed, quick=quick)
    console.print(
        "[bold]chaoslab demo[/bold]: starting Redis, the fault proxy, a fake LLM upstream "
        f"and the demo service on 127.0.0.1; experiment: {GAMEDAY_PATH}"
    )
    try:
        result = _run(settings)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; everything started was stopped[/yellow]")
        raise typer.Exit(130) from None
    except ImportError as exc:
        console.print(
            f"[red]demo failed:[/red] {escape(str(exc))}; the demo needs the extras: "
            + escape("pip install 'chaoslab[all]'")
        )
        raise typer.Exit(1) from None
    except (ChaoslabError, OSError) as exc:
        console.print(f"[red]demo failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    _print_result(result)
    if result.journal["status"] == "interrupted":
        # The shell's convention: 128 + the signal's number (130 for Ctrl-C).
        by = result.journal["chaoslab"].get("interrupted_by") or "SIGINT"
        raise typer.Exit(128 + getattr(signal, by, signal.SIGINT).value)
    raise typer.Exit(0 if result.ok else 1)
