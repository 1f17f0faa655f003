"""The root Typer application and its `--version` option."""

from __future__ import annotations

import typer
from rich.console import Console

from chaoslab._version import __version__

app = typer.Typer(
    name="chaoslab",
    help="Chaos engineering for Python services: faults, strategies, proxy, experiments.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console()


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"chaoslab {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Print the version and exit.",
        callback=_version_callback,
        is_eager=True,
    ),
) -> None:
    """Chaos engineering for Python services."""


def _register_commands() -> None:
    # Subcommand modules register themselves on `app` when imported.
    from chaoslab.cli import _commands  # noqa: F401


def main() -> None:
    """Entry point of the `chaoslab` console script."""
    _register_commands()
    app()
