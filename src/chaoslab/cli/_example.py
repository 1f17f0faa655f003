"""`chaoslab example`: a fault injected, and a recovery, in under a second.

chaoslab example [--seed N] [--failures N]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from chaoslab.cli._app import app, console

if TYPE_CHECKING:
    from chaoslab.demo._example import ExampleResult


def _render(result: ExampleResult) -> None:
    table = Table(title=f"llm.complete with injected 503s (seed {result.seed})")
    table.add_column("attempt", justify="right")
    table.add_column("start (virtual s)", justify="right")
    table.add_column("end", justify="right")
    table.add_column("outcome")
    table.add_column("backoff before next", justify="right")
    for a in result.attempts:
        style = "green" if a.outcome == "ok" else "red"
        backoff = f"{a.backoff:.3f}s" if a.backoff else "-"
        table.add_row(
            str(a.number),
            f"{a.started:.3f}",
            f"{a.ended:.3f}",
            f"[{style}]{a.outcome}[/{style}]",
            backoff,
        )
    console.print(table)
    timeline = Table(title="fault timeline (virtual time)")
    timeline.add_column("t", justify="right")
    timeline.add_column("event")
    timeline.add_column("detail")
    for entry in result.timeline:
        timeline.add_row(f"{entry.at:.3f}s", entry.event, entry.detail)
    console.print(timeline)
    faults = ", ".join(f"{kind}={n}" for kind, n in sorted(result.faults.items()))
    console.print(f"calls={result.calls} faults: {faults or 'none'}")
    if result.answer is None:
        console.print("[red]not recovered: the retry loop gave up[/red]")
    else:
        console.print(
            f"[green]recovered[/green] after {len(result.attempts)} attempts: {result.answer!r}"
        )


@app.command("example")
def example(
    seed: Annotated[int, typer.Option(help="The injector's seed: same seed, same run.")] = 7,
    failures: Annotated[
        int, typer.Option(min=0, max=5, help="How many 503s before the upstream recovers.")
    ] = 3,
) -> None:
    """Run a short example: injected 503s from an "LLM", and a retry loop that recovers."""
    from chaoslab.demo._example import run_example

    result = run_example(seed=seed, failures=failures)
    _render(result)
    if result.answer is None:
        raise typer.Exit(1)
