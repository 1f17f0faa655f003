"""`module: load` (start/stop a `chaoslab.load` run) and `module: metrics` (probes).

`load.start` starts a bounded load run in the background and returns at
once; its per-second metrics feed the guard rails, the metric probes, the
recovery times and the journal. `target` is an HTTP URL (loopback unless
`allow_remote`), `module:function` naming an async function of no
arguments (in-process), or a name given to the runner
(`Runner(..., targets={"checkout": checkout})`). `load.stop` stops one run and returns its summary.

Metric probes, over the complete one-second slices of the last `window`
seconds (all load runs together unless `load` names one):
`metrics.error_rate`, `metrics.throughput`, `metrics.requests` and
`metrics.percentile` (`p`: 50, 90, 95, 99 or `max`). No request in the
window gives `null`, which no numeric tolerance accepts.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chaoslab.errors import ConfigError, ExperimentError
from chaoslab.experiment._context import RunContext, WindowStats
from chaoslab.experiment._journal import MetricSlice
from chaoslab.experiment._registry import ProviderRegistry

__all__ = ["LoadSource", "MetricArgs", "StartLoad", "StopLoad", "metric_value", "register"]


# `package.module:function`, or a bare name the runner was given (`Runner(targets=...)`).
_CALLABLE = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$")


class _Args(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class RateRamp(_Args):
    """An open-loop rate moving from `from` to `to` over `over` seconds."""

    start: Annotated[float, Field(gt=0, alias="from")]
    end: Annotated[float, Field(gt=0, alias="to")]
    over: Annotated[float, Field(gt=0)]


class StartLoad(_Args):
    """Arguments of `load.start`."""

    name: Annotated[str, Field(min_length=1)] = "load"
    target: Annotated[str, Field(min_length=1)]
    method: str = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    mode: Literal["open", "closed"] = "closed"
    rate: Annotated[float, Field(gt=0)] | None = None
    ramp: RateRamp | None = None
    users: Annotated[int, Field(ge=1, le=10_000)] = 10
    think_time: Annotated[float, Field(ge=0)] = 0.0
    duration: Annotated[float, Field(gt=0, le=86_400)]
    max_requests: Annotated[int, Field(ge=1)] = 1_000_000
    timeout: Annotated[float, Field(gt=0)] = 10.0
    allow_remote: bool = False

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        if value.startswith(("http://", "https://")):
            return value
        if not _CALLABLE.match(value):
            raise ValueError(
                "an http(s) URL, 'module:function' (an async function) or the name of a "
                "target given to the runner"
            )
        return value

    @model_validator(mode="after")
    def _reachable(self) -> StartLoad:
        # Loopback only unless allowed: refused now, not when the run starts.
        if self.target.startswith(("http://", "https://")):
            try:
                from chaoslab.load import HttpTarget
            except ImportError:  # an optional dependency: say how to get it
                raise ValueError(
                    "load needs chaoslab's experiment extra: pip install 'chaoslab[experiment]'"
                ) from None
            try:
                HttpTarget(self.target).check(allow_remote=self.allow_remote)
            except ConfigError as exc:
                raise ValueError("; ".join(m for _, m in exc.problems)) from None
        return self

    @model_validator(mode="after")
    def _mode(self) -> StartLoad:
        if self.mode == "open" and (self.rate is None) == (self.ramp is None):
            raise ValueError("an open-loop load needs exactly one of 'rate' or 'ramp'")
        if self.mode == "closed" and (self.rate is not None or self.ramp is not None):
            raise ValueError("'rate' and 'ramp' are for mode: open; closed loops use 'users'")
        return self


class StopLoad(_Args):
    """Arguments of `load.stop`."""

    name: Annotated[str, Field(min_length=1)] = "load"


class MetricArgs(_Args):
    """Arguments of the `metrics` probes."""

    window: Annotated[float, Field(gt=0, le=3600)] = 5.0
    load: str | None = None
    p: Literal[50, 90, 95, 99, "max"] = 99


class LoadSource:
    """Adapts a `chaoslab.load.LoadRun` to the runner's metrics store."""

    def __init__(self, run: Any, name: str, target: str, mode: str) -> None:
        self.run = run
        self.name = name
        self.target = target
        self.mode = mode

    def slices(self) -> Sequence[MetricSlice]:
        """The run's slices, with `t` on the clock (absolute)."""
        origin = self.run.origin
        out: list[MetricSlice] = []
        for s in self.run.recorder.slices():
            data = s.to_dict()
            data["t"] = origin + s.t
            out.append(data)
        return out

    def live(self, window: float) -> WindowStats:
        """The load's own live snapshot (counts requests still in flight)."""
        snap = self.run.snapshot(window)
        return WindowStats(
            requests=snap.requests,
            errors=snap.errors,
            throughput=snap.throughput,
            error_rate=snap.error_rate,
            p50=snap.p50,
            p90=snap.p90,
            p95=snap.p95,
            p99=snap.p99,
            max=snap.max,
        )


def _target(ctx: RunContext, args: StartLoad) -> Any:
    from chaoslab.load import CallableTarget, HttpTarget

    if args.target.startswith(("http://", "https://")):
        return HttpTarget(args.target, method=args.method, headers=args.headers)
    if args.target in ctx.targets:
        return CallableTarget(ctx.targets[args.target], label=args.target)
    module_name, sep, func_name = args.target.partition(":")
    if not sep:
        known = ", ".join(sorted(ctx.targets)) or "none"
        raise ExperimentError(f"no load target named {args.target!r} (given: {known})")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # As in Chaos Toolkit, the working directory is not on sys.path: say so.
        raise ExperimentError(
            f"load target {args.target!r}: cannot import {module_name!r} ({exc}); "
            "a module in the working directory needs PYTHONPATH=."
        ) from None
    fn = getattr(module, func_name, None)
    if fn is None or not inspect.iscoroutinefunction(fn):
        raise ExperimentError(f"{args.target!r} is not an async function")
    return CallableTarget(fn, label=args.target)


async def start(ctx: RunContext, args: StartLoad) -> dict[str, Any]:
    """Start a load run in the background."""
    from chaoslab.load import ClosedLoop, LoadGenerator, OpenLoop, RampRate

    if args.name in ctx.loads:
        raise ExperimentError(f"a load run named {args.name!r} is already running")
    mode: Any
    if args.mode == "closed":
        mode = ClosedLoop(users=args.users, think_time=args.think_time)
    elif args.ramp is not None:
        mode = OpenLoop(
            rate=RampRate(start=args.ramp.start, end=args.ramp.end, over=args.ramp.over)
        )
    else:
        mode = OpenLoop(rate=float(args.rate or 1.0))
    generator = LoadGenerator(
        _target(ctx, args),
        mode,
        duration=args.duration,
        max_requests=args.max_requests,
        timeout=args.timeout,
        allow_remote=args.allow_remote,
        clock=ctx.clock,
        name=args.name,
        events=ctx.events,
    )
    run = generator.start()
    ctx.loads[args.name] = run
    ctx.metrics.add(LoadSource(run, args.name, generator.target.name, mode.describe()))
    return {"load": args.name, "target": generator.target.name, "mode": mode.describe()}


async def stop(ctx: RunContext, args: StopLoad) -> dict[str, Any]:
    """Stop a load run and return its summary."""
    run = ctx.loads.pop(args.name, None)
    if run is None:
        raise ExperimentError(f"no load run named {args.name!r}")
    run.stop()
    result = await run.wait()
    return {"load": args.name, "duration": result.duration, **result.overall.model_dump()}


def metric_value(ctx: RunContext, metric: str, args: MetricArgs, now: float) -> float | None:
    """A metric over the complete slices of the `window` seconds before `now`."""
    stats = ctx.metrics.last(args.window, now, args.load)
    if stats.requests == 0:
        return None
    if metric == "percentile":
        metric = "max" if args.p == "max" else f"p{args.p}"
    return stats.get(metric)


def _probe(metric: str) -> Any:
    async def probe(ctx: RunContext, args: MetricArgs) -> float | None:
        return metric_value(ctx, metric, args, ctx.clock.now())

    return probe


def register(registry: ProviderRegistry) -> None:
    """Register `load.start`, `load.stop` and the `metrics` probes."""
    registry.register("load", "start", StartLoad)(start)
    registry.register("load", "stop", StopLoad)(stop)
    for metric in ("error_rate", "throughput", "requests", "percentile"):
        registry.register("metrics", metric, MetricArgs)(_probe(metric))
