"""Imports every subcommand module so that each attaches itself to the app.

One line per command group; each module owns its commands.
"""
from chaoslab.cli import _proxy  # noqa: F401  (chaoslab proxy ...)
from chaoslab.cli import _experiment  # noqa: F401  (chaoslab validate / run)
from chaoslab.cli import _example  # noqa: F401  (chaoslab example)
from chaoslab.cli import _report  # noqa: F401  (chaoslab report)
from chaoslab.cli import _load  # noqa: F401  (chaoslab load)
from chaoslab.cli import _demo  # noqa: F401  (chaoslab demo)
