"""`chaoslab validate FILE` and `chaoslab run FILE`: Chaos Toolkit's commands, with load and rails.

Exit codes are Chaos Toolkit's: `run` exits 0 only when the run completed
and did not deviate, 1 otherwise (also on an invalid file); `validate`
exits 1 on an invalid file; bad usage exits 2.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from chaoslab.cli._app import app, console

if TYPE_CHECKING:
    from chaoslab.experiment import Experiment, Journal

_VAR_HELP = "Override a configuration key: KEY=VALUE or KEY:TYPE=VALUE (int, float, bool, json)."
_VAR_FILE_HELP = "A .json/.yaml file of {configuration, secrets}, or a .env file."


def _load(file: Path, var: list[str], var_file: list[Path]) -> Experiment:
    from chaoslab.errors import ConfigError
    from chaoslab.experiment import Vars, load_experiment, load_var_file, parse_var

    try:
        overrides = Vars()
        for path in var_file:
            overrides = overrides.merge(load_var_file(path))
        for text in var:
            key, value = parse_var(text)
            overrides.configuration[key] = value
        return load_experiment(file, overrides=overrides)
    except ConfigError as exc:
        _print_problems(file, exc.problems)
        raise typer.Exit(1) from None
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None


def _print_problems(file: Path, problems: tuple[tuple[str, str], ...]) -> None:
    table = Table(title=escape(f"{file}: {len(problems)} problem(s)"), show_lines=False)
    table.add_column("field", style="cyan", no_wrap=True)
    table.add_column("problem")
    for path, message in problems:
        table.add_row(escape(path or "(file)"), escape(message))
    console.print(table)


FileArg = Annotated[Path, typer.Argument(help="The experiment file (.json, .yaml, .yml).")]
VarOpt = Annotated[list[str] | None, typer.Option("--var", help=_VAR_HELP)]
VarFileOpt = Annotated[list[Path] | None, typer.Option("--var-file", help=_VAR_FILE_HELP)]


@app.command()
def validate(file: FileArg, *, var: VarOpt = None, var_file: VarFileOpt = None) -> None:
    """Check an experiment file and list every problem (exit 1 if any)."""
    experiment = _load(file, var or [], var_file or [])
    for note in experiment.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    count = len(experiment.method) + len(experiment.rollbacks)
    console.print(f"[green]valid[/green]: {escape(repr(experiment.title))} ({count} activities)")


@app.command()
def run(
    file: FileArg,
    *,
    journal_path: Annotated[Path, typer.Option(help="Where to write the journal.")] = Path(
        "journal.json"
    ),
    rollback_strategy: Annotated[
        str | None,
        typer.Option(help="default, always, never or deviated (default: the file's runtime)."),
    ] = None,
    hypothesis_strategy: Annotated[
        str | None,
        typer.Option(
            help="default, before-method-only, after-method-only, during-method-only, continuously."
        ),
    ] = None,
    hypothesis_frequency: Annotated[
        float | None, typer.Option(help="Seconds between during-method checks.")
    ] = None,
    fail_fast: Annotated[
        bool, typer.Option(help="Stop the method at the first missed during-method check.")
    ] = False,
    var: VarOpt = None,
    var_file: VarFileOpt = None,
    dry: Annotated[
        str | None,
        typer.Option(help="Skip kinds of activities: probes, actions, activities, pause."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for every random decision.")] = None,
    report: Annotated[
        Path | None, typer.Option(help="Also render the journal to this HTML file.")
    ] = None,
) -> None:
    """Run an experiment: hypothesis, method under guard rails, rollbacks, journal."""
    from chaoslab.errors import ChaoslabError
    from chaoslab.experiment import RunOptions

    if dry not in (None, "probes", "actions", "activities", "pause"):
        raise typer.BadParameter("one of probes, actions, activities, pause", param_hint="--dry")
    # Refuse a place the journal (or report) cannot be written before running, not after.
    _check_writable(journal_path, "--journal-path")
    if report is not None:
        _check_writable(report, "--report")
    experiment = _load(file, var or [], var_file or [])
    for note in experiment.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    try:
        options = RunOptions(
            journal_path=journal_path,
            rollback_strategy=rollback_strategy,
            hypothesis_strategy=hypothesis_strategy,
            hypothesis_frequency=hypothesis_frequency,
            fail_fast=fail_fast or None,
            dry=dry,
            seed=seed,
            handle_signals=True,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        journal = _run_with_display(experiment, options)
    except (ChaoslabError, OSError) as exc:  # a declared service cannot start, a full disk
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    _summary(journal, journal_path)
    if report is not None:
        _render_report(journal_path, report)
    ok = journal["status"] == "completed" and not journal["deviated"]
    raise typer.Exit(0 if ok else 1)


def _check_writable(path: Path, option: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot write in {path.parent}: {exc.strerror or exc}", param_hint=option
        ) from None


def _run_with_display(experiment: Experiment, options: Any) -> Journal:
    from chaoslab.cli._live import LiveDisplay, PlainDisplay
    from chaoslab.experiment import Runner
    from chaoslab.observe import EventBus

    bus = EventBus()
    display: LiveDisplay | PlainDisplay
    if console.is_terminal:
        display = LiveDisplay(console)
    else:
        display = PlainDisplay(console)
        bus.subscribe(display.on_event)
    console.print(f"[bold]{escape(experiment.title)}[/bold]")
    runner = Runner(experiment, options=options, on_tick=display.update, events=bus)
    with display:
        return runner.run()


def _summary(journal: Journal, journal_path: Path) -> None:
    section = journal["chaoslab"]
    colour = "green" if journal["status"] == "completed" and not journal["deviated"] else "red"
    console.print(
        f"[{colour}]{journal['status']}[/{colour}]"
        f"{' (deviated)' if journal['deviated'] else ''} in {journal['duration']:.1f}s, "
        f"seed {section['seed']}; journal: {escape(str(journal_path))}"
    )
    for event in section["guard_events"]:
        console.print(
            f"[red]guard rail {event['rail']} tripped at {event['at']:.2f}s[/red]: "
            f"{escape(event['message'])}"
        )
    for window in section["recovery"]["windows"]:
        took = window["recovery_time"]
        text = "not recovered" if took is None else f"recovered in {took:.1f}s"
        console.print(f"  {escape(window['fault'])}: {text}")


def _render_report(journal_path: Path, output: Path) -> None:
    try:
        from chaoslab.report import write_report
    except ImportError as exc:  # the report's extra (jinja2) may be missing
        # No markup: `[experiment]` would read as a Rich tag and vanish.
        console.print(
            f"--report: cannot render ({exc}); install 'chaoslab[experiment]' and run "
            f"`chaoslab report {journal_path}`. The journal is written.",
            style="yellow",
            markup=False,
            highlight=False,
        )
        return
    try:
        html_path, _, _ = write_report(journal_path, output)
    except OSError as exc:
        console.print(
            f"[red]--report: cannot write {escape(str(output))}:[/red] {escape(str(exc))}"
        )
        return
    console.print(f"report: {escape(str(html_path))}")
