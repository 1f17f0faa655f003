"""`module: services`: kill -9, pause, resume, restart, stop, start a managed service.

The services are the `chaoslab.services` objects (`RedisServer`,
`PostgresServer`, `ProcessService`, ...) handed to the runner by name
(`Runner(..., services={"redis": redis_server})`; the CLI has none unless
an embedder adds them). With `duration`, `pause` resumes and `stop`/`kill`
start the service again after that many seconds.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from chaoslab.errors import ExperimentError
from chaoslab.experiment._context import RunContext
from chaoslab.experiment._registry import ProviderRegistry, Touch

__all__ = ["ServiceArgs", "register"]

# action -> (method to call, method that undoes it after `duration`)
_ACTIONS: dict[str, tuple[str, str | None]] = {
    "kill": ("kill", "start"),
    "pause": ("pause", "resume"),
    "stop": ("stop", "start"),
    "restart": ("restart", None),
    "resume": ("resume", None),
    "start": ("start", None),
}
_FAULTS = {"kill", "pause", "stop"}


class ServiceArgs(BaseModel):
    """Arguments of every `services` function."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    service: Annotated[str, Field(min_length=1)]
    duration: Annotated[float, Field(gt=0)] | None = None


async def _invoke(handle: Any, method: str) -> Any:
    fn = getattr(handle, method, None)
    if fn is None:
        raise ExperimentError(f"service {handle!r} cannot {method}")
    # Service methods block (they wait for the process); keep the loop free.
    result = await asyncio.to_thread(fn)
    if inspect.isawaitable(result):
        result = await result
    return None if result is handle else result


def _handle(ctx: RunContext, name: str) -> Any:
    try:
        return ctx.services[name]
    except KeyError:
        known = ", ".join(sorted(ctx.services)) or "none"
        raise ExperimentError(f"no service named {name!r} (known: {known})") from None


def _action(action: str) -> Any:
    method, undo = _ACTIONS[action]

    async def run(ctx: RunContext, args: ServiceArgs) -> dict[str, Any]:
        handle = _handle(ctx, args.service)
        key = f"service:{args.service}"
        if action in _FAULTS:
            ctx.faults.open(key, f"service.{action}", args.service, ctx.activity, {})
            if undo is not None:
                ctx.faults.undo[key] = lambda: _invoke(handle, undo)
        elif action in ("resume", "start", "restart"):
            ctx.faults.close(key)
        await _invoke(handle, method)
        if args.duration is not None and undo is not None:
            try:
                await ctx.clock.sleep_async(args.duration)
            finally:
                await _invoke(handle, undo)
                ctx.faults.close(key)
        return {"service": args.service, "action": action}

    return run


def register(registry: ProviderRegistry) -> None:
    """Register `services.kill|pause|stop|restart|resume|start`."""
    for action in _ACTIONS:
        faulty = action in _FAULTS

        def touches(a: ServiceArgs, action: str = action, faulty: bool = faulty) -> list[Touch]:
            if action == "restart":  # a brief outage: in the blast radius, over at once
                return [Touch("service", a.service, action, 0.0)]
            return [Touch("service", a.service, action, a.duration, removes=not faulty)]

        registry.register("services", action, ServiceArgs, touches=touches)(_action(action))
