"""The `chaoslab` command.

Each group of subcommands lives in its own module and is attached here;
heavy imports stay inside the commands so that `chaoslab --help` is fast.
"""

from chaoslab.cli._app import app, main

__all__ = ["app", "main"]
