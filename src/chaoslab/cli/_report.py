"""`chaoslab report JOURNAL [-o report.html] [--baseline JOURNAL] [--json summary.json]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from chaoslab.cli._app import app, console

JournalArg = Annotated[Path, typer.Argument(help="The journal a run wrote (journal.json).")]
OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")]
BaselineOpt = Annotated[
    Path | None, typer.Option("--baseline", help="Another run's journal to compare with.")
]
JsonOpt = Annotated[
    Path | None,
    typer.Option("--json", help="The JSON summary to write (default: the output with .json)."),
]


@app.command()
def report(
    journal: JournalArg,
    *,
    output: OutputOpt = Path("chaoslab-report.html"),
    baseline: BaselineOpt = None,
    json_path: JsonOpt = None,
) -> None:
    """Render a run's journal to one self-contained HTML page and a JSON summary."""
    from chaoslab.errors import ConfigError
    from chaoslab.report import write_report

    try:
        html_path, summary_path, summary = write_report(
            journal, output, baseline=baseline, summary=json_path
        )
    except ConfigError as exc:
        # Paths and messages quote the user's file: escaped, so a [name] stays text.
        for path, message in exc.problems:
            console.print(f"[red]error:[/red] {escape(f'{path}: {message}' if path else message)}")
        raise typer.Exit(1) from None
    except OSError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    console.print(_table(summary))
    console.print(f"report: [bold]{html_path}[/bold]   summary: {summary_path}")


def _table(summary: dict[str, Any]) -> Table:
    from chaoslab.report._format import fmt_latency, fmt_pct, fmt_time

    table = Table(title=f"{summary['title']} — {summary['status']}", show_header=True)
    for name in ("load", "requests", "error rate", "throughput", "p99 median s.", "p99 worst s."):
        table.add_column(name, justify="left" if name == "load" else "right")
    for load in summary["loads"]:
        table.add_row(
            load["name"],
            f"{load['requests']:,}",
            fmt_pct(load["error_rate"]),
            f"{load['throughput']:.4g}/s",
            fmt_latency(load["p99_median"]),
            fmt_latency(load["p99_worst"]),
        )
    for window in summary["recovery"]["windows"]:
        took = window["recovery_time"]
        table.caption = (table.caption or "") + (
            f"{window['fault']}: recovered after {fmt_time(took)}. "
            if took is not None
            else f"{window['fault']}: not recovered. "
        )
    for trip in summary["guard_trips"]:
        table.caption = (table.caption or "") + f"guard rail {trip['rail']} tripped. "
    return table
