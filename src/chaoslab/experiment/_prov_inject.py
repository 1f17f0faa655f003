"""`module: inject`: in-process faults through a `chaoslab.inject.FaultInjector`.

For experiments whose runner shares a process with the system under test
(tests, embedded game days): `add_fault` takes a `target` (injection point
glob), a `fault` and an optional `schedule` in `chaoslab.faults` data form,
a `name`, and an optional `duration`; `remove_fault` ends one by name;
`clear` ends them all. The injector is the one handed to the runner, else
`chaoslab.inject.current_injector()`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chaoslab.errors import ConfigError, ExperimentError
from chaoslab.experiment._context import RunContext
from chaoslab.experiment._registry import ProviderRegistry, Touch
from chaoslab.faults import Fault, Schedule, fault_from_data, schedule_from_data

__all__ = ["AddFault", "RemoveFault", "register"]


class _Args(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class AddFault(_Args):
    """Arguments of `inject.add_fault`."""

    target: Annotated[str, Field(min_length=1)]
    fault: Fault
    schedule: Schedule | None = None
    name: str | None = None
    duration: Annotated[float, Field(gt=0)] | None = None

    @field_validator("fault", mode="before")
    @classmethod
    def _fault(cls, value: Any) -> Fault:
        try:
            return fault_from_data(value, path="fault")
        except ConfigError as exc:
            raise ValueError("; ".join(f"{p}: {m}" for p, m in exc.problems)) from None

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> Schedule | None:
        if value is None:
            return None
        try:
            return schedule_from_data(value, path="schedule")
        except ConfigError as exc:
            raise ValueError("; ".join(f"{p}: {m}" for p, m in exc.problems)) from None

    @property
    def label(self) -> str:
        """The injection's name."""
        return self.name or f"{self.fault.kind}@{self.target}"


class RemoveFault(_Args):
    """Arguments of `inject.remove_fault`."""

    name: Annotated[str, Field(min_length=1)]


class NoArgs(_Args):
    """No arguments."""


def _injector(ctx: RunContext) -> Any:
    if ctx.injector is not None:
        return ctx.injector
    from chaoslab.inject import current_injector

    found = current_injector()
    if found is None:
        raise ExperimentError("no FaultInjector: pass one to the runner or activate one")
    return found


async def add_fault(ctx: RunContext, args: AddFault) -> dict[str, Any]:
    """Start an injection; with `duration`, end it after that many seconds."""
    injector = _injector(ctx)
    key = f"inject:{args.label}"
    ctx.faults.open(key, "inject", args.target, ctx.activity, {"fault": args.fault.describe()})
    try:
        injection = injector.inject(args.target, args.fault, args.schedule, name=args.label)
    except BaseException:
        ctx.faults.discard(key)
        raise
    ctx.injections[args.label] = injection

    async def undo() -> None:
        injection.remove()
        ctx.faults.close(key)

    ctx.faults.undo[key] = undo
    if args.duration is not None:
        try:
            await ctx.clock.sleep_async(args.duration)
        finally:
            await undo()
    return {"injection": args.label, "target": args.target, "fault": args.fault.describe()}


async def remove_fault(ctx: RunContext, args: RemoveFault) -> None:
    """End the injection named `name`."""
    injection = ctx.injections.pop(args.name, None)
    if injection is None:
        raise ExperimentError(f"no active injection named {args.name!r}")
    injection.remove()
    ctx.faults.close(f"inject:{args.name}")


async def clear(ctx: RunContext, args: NoArgs) -> None:
    """End every injection this run started."""
    for name, injection in list(ctx.injections.items()):
        injection.remove()
        ctx.faults.close(f"inject:{name}")
    ctx.injections.clear()


def register(registry: ProviderRegistry) -> None:
    """Register `inject.add_fault`, `inject.remove_fault`, `inject.clear`."""
    registry.register(
        "inject",
        "add_fault",
        AddFault,
        touches=lambda a: [Touch("injection_point", a.target, a.fault.kind, a.duration)],
    )(add_fault)
    registry.register(
        "inject",
        "remove_fault",
        RemoveFault,
        touches=lambda a: [Touch("injection_point", "", a.name, removes=True)],
    )(remove_fault)
    registry.register("inject", "clear", NoArgs)(clear)
