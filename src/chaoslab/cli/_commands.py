"""Imports every subcommand module so that each attaches itself to the app.

One line per command group; each module owns its commands.
"""

from chaoslab.cli import (
    _demo,  # noqa: F401  (chaoslab demo)
    _example,  # noqa: F401  (chaoslab example)
    _experiment,  # noqa: F401  (chaoslab validate / run)
    _load,  # noqa: F401  (chaoslab load)
    _proxy,  # noqa: F401  (chaoslab proxy ...)
    _report,  # noqa: F401  (chaoslab report)
)
