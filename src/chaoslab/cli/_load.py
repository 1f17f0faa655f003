"""`chaoslab load URL`: send bounded load at a local endpoint, with a live display.

Example:
    chaoslab load http://127.0.0.1:8080/health --rate 200 --duration 30
    chaoslab load http://127.0.0.1:8080/ --users 50 --duration 10 --json result.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.live import Live
from rich.table import Table

from chaoslab.cli._app import app, console

if TYPE_CHECKING:
    from chaoslab.load import LatencyStats, LoadResult, LoadThread


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def _row(table: Table, label: str, stats: LatencyStats, extra: str = "") -> None:
    table.add_row(
        label,
        f"{stats.requests:,}",
        f"{stats.throughput:,.0f}",
        f"{stats.error_rate * 100:.2f} %",
        _ms(stats.p50),
        _ms(stats.p90),
        _ms(stats.p99),
        _ms(stats.max),
        extra,
    )


def _table(title: str) -> Table:
    table = Table(title=title)
    for name in (
        "window",
        "requests",
        "req/s",
        "errors",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "",
    ):
        table.add_column(name, justify="left" if name in ("window", "") else "right")
    return table


def _watch(thread: LoadThread, name: str, duration: float, window: float) -> None:
    with Live(console=console, refresh_per_second=4, transient=True) as live:
        # Refresh four times a second on the wall clock (a display for a
        # person), and stop as soon as the run ends rather than a sleep later.
        while not thread.wait(0.25):
            snap = thread.snapshot(window)
            table = _table(f"{name}: {thread.run.elapsed:.1f} / {duration:g} s")
            _row(table, f"last {window:g} s", snap, f"{snap.in_flight} in flight")
            live.update(table)


def _final(result: LoadResult) -> Table:
    table = _table(f"{result.name}: {result.description}, {result.duration:.1f} s")
    for s in result.slices:
        _row(table, f"{s.t:g} s", s, ", ".join(f"{k} x{n}" for k, n in s.errors_by_kind.items()))
    _row(table, "overall", result.overall, f"unsent {result.unsent}" if result.unsent else "")
    return table


@app.command("load")
def load(
    url: Annotated[str, typer.Argument(help="The endpoint (loopback unless --allow-remote).")],
    *,
    rate: Annotated[float | None, typer.Option(help="Open loop: requests/s.")] = None,
    users: Annotated[int | None, typer.Option(help="Closed loop: concurrent users.")] = None,
    duration: Annotated[float, typer.Option(help="Seconds; no request starts after.")] = 10.0,
    max_requests: Annotated[int, typer.Option(help="At most this many requests.")] = 1_000_000,
    timeout: Annotated[float, typer.Option(help="Per request, seconds.")] = 10.0,
    method: Annotated[str, typer.Option(help="HTTP method.")] = "GET",
    window: Annotated[float, typer.Option(help="Seconds shown live.")] = 5.0,
    allow_remote: Annotated[bool, typer.Option(help="Allow a non-loopback host.")] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the result.")] = None,
) -> None:
    """Send bounded load (open loop with --rate, closed loop with --users) and show its metrics."""
    from chaoslab.errors import ConfigError
    from chaoslab.load import ClosedLoop, HttpTarget, LoadGenerator, OpenLoop

    if (rate is None) == (users is None):
        console.print("[red]error:[/red] give exactly one of --rate (open loop) or --users")
        raise typer.Exit(2)
    mode = OpenLoop(rate=rate) if rate is not None else ClosedLoop(users=users or 1)
    try:
        gen = LoadGenerator(
            HttpTarget(url, method=method),
            mode,
            duration=duration,
            max_requests=max_requests,
            timeout=timeout,
            allow_remote=allow_remote,
        )
    except ConfigError as exc:
        for path, message in exc.problems:
            console.print(f"[red]error:[/red] {path}: {message}")
        raise typer.Exit(1) from None
    thread = gen.start_in_thread()
    try:
        _watch(thread, gen.name, duration, window)
    except KeyboardInterrupt:
        thread.stop()
    result = thread.join()
    console.print(_final(result))
    if json_path is not None:
        json_path.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
        console.print(f"result: {json_path}")
