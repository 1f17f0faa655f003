"""A tiny in-process "system under test" for experiment tests.

`call` is the load target: it goes through the injection point
`store.get`, so in-process faults make it slow or fail. `health` is a
python probe over it. `calls` counts rollback actions for assertions.
"""

from __future__ import annotations

from typing import Any

from chaoslab.inject import injectable

calls: list[str] = []


@injectable("store.get")
async def _get() -> str:
    return "ok"


async def call() -> None:
    """One request of the load."""
    await _get()


def record(label: str) -> str:
    """A rollback/action that leaves a trace."""
    calls.append(label)
    return label


def echo(value: Any = None) -> Any:
    """Returns its argument (a probe)."""
    return value


def boom(message: str = "boom") -> None:
    """Always fails."""
    raise RuntimeError(message)


def is_positive(value: Any = None) -> bool:
    """A probe tolerance: is the value > 0?"""
    return isinstance(value, int | float) and value > 0
