"""chaoslab.demo: a small service wired with chaoslab's strategies, and the game day against it.

`chaoslab demo` starts a real Redis, an embedded fault proxy with its
Toxiproxy-compatible API, a fake LLM upstream and the demo service, all on
127.0.0.1, runs the bundled experiment (`GAMEDAY_PATH`) under load, and
writes the journal and the HTML report. From Python:

Example:
    >>> import asyncio
    >>> from pathlib import Path
    >>> from chaoslab.demo import DemoSettings, run_demo_async
    >>> settings = DemoSettings(Path("out"), quick=True)
    >>> result = asyncio.run(run_demo_async(settings))  # doctest: +SKIP
    >>> result.journal["status"], result.report_path  # doctest: +SKIP
    ('completed', PosixPath('out/report.html'))
    >>> GAMEDAY_PATH.name
    'gameday.yaml'
"""

import importlib
from typing import TYPE_CHECKING, Any

from chaoslab.demo._example import Attempt, ExampleResult, TimelineEntry, run_example
from chaoslab.demo._phases import SOURCES, Phase, PhaseRow, phase_rows, phases
from chaoslab.demo._run import (
    GAMEDAY_PATH,
    DemoResult,
    DemoSettings,
    demo_overrides,
    run_demo_async,
)
from chaoslab.demo._stack import DemoStack
from chaoslab.demo._traffic import (
    Answered,
    ServiceAnswerError,
    Traffic,
    ask,
    current_traffic,
    use_traffic,
)

if TYPE_CHECKING:
    from chaoslab.demo._service import DemoService, ServiceStats, UpstreamHTTPError
    from chaoslab.demo._upstream import UpstreamStats, create_upstream_app, upstream_stats

# The service and the upstream need aiohttp (an extra): imported on first use,
# so that `chaoslab example` works on a core install.
_LAZY = {
    "DemoService": "chaoslab.demo._service",
    "ServiceStats": "chaoslab.demo._service",
    "UpstreamHTTPError": "chaoslab.demo._service",
    "UpstreamStats": "chaoslab.demo._upstream",
    "create_upstream_app": "chaoslab.demo._upstream",
    "upstream_stats": "chaoslab.demo._upstream",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chaoslab.demo' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "GAMEDAY_PATH",
    "SOURCES",
    "Answered",
    "Attempt",
    "DemoResult",
    "DemoService",
    "DemoSettings",
    "DemoStack",
    "ExampleResult",
    "Phase",
    "PhaseRow",
    "ServiceAnswerError",
    "ServiceStats",
    "TimelineEntry",
    "Traffic",
    "UpstreamHTTPError",
    "UpstreamStats",
    "ask",
    "create_upstream_app",
    "current_traffic",
    "demo_overrides",
    "phase_rows",
    "phases",
    "run_demo_async",
    "run_example",
    "upstream_stats",
    "use_traffic",
]
