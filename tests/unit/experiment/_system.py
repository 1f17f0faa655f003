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


state: dict[str, Any] = {"healthy": True}


async def set_state(key: str, value: Any) -> Any:
    """An action changing the scripted system's state."""
    state[key] = value
    return value


async def get_state(key: str) -> Any:
    """A probe reading the scripted system's state."""
    return state.get(key)


async def arecord(label: str) -> str:
    """An async action that leaves a trace."""
    calls.append(label)
    return label


async def aboom(message: str = "boom") -> None:
    """An async probe that always fails."""
    raise RuntimeError(message)


warmup: dict[str, Any] = {"delay": 0.0, "last_failure": None}


async def call_with_warmup() -> None:
    """A request to a system that stays cold for `warmup["delay"]` s after its last failure."""
    from chaoslab.inject import current_injector

    injector = current_injector()
    assert injector is not None
    now = injector.clock.now()
    try:
        await _get()
    except Exception:
        warmup["last_failure"] = now
        raise
    last = warmup["last_failure"]
    if last is not None and now - last < warmup["delay"]:
        raise RuntimeError("cache still warming up")


def whoami(configuration: dict[str, Any], secrets: dict[str, Any], prefix: str = "") -> str:
    """A Chaos Toolkit-style function that takes configuration and secrets."""
    return f"{prefix}{configuration['user']}:{secrets['password']}"
