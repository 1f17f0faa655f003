"""Running one activity: pauses, provider dispatch, the journal record.

A record is appended when the activity starts (as Chaos Toolkit does), so
an activity cut short by an abort or interrupt stays in the journal
without a `status`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chaoslab.clock import Clock
from chaoslab.errors import ChaoslabError, ConfigError
from chaoslab.experiment._context import ActivityFailed, RunContext
from chaoslab.experiment._events import ActivityEnded
from chaoslab.experiment._journal import Phase, TimelineEntry, iso
from chaoslab.experiment._model import (
    Activity,
    ChaoslabProvider,
    HttpProvider,
    ProbeTolerance,
    ProcessProvider,
    PythonProvider,
)
from chaoslab.experiment._prov_ctk import run_http, run_process, run_python
from chaoslab.experiment._registry import ProviderRegistry

__all__ = ["ActivityExecutor", "Stamps"]


@dataclass(frozen=True, slots=True)
class Stamps:
    """Clock readings to journal times: seconds since start, and ISO wall time."""

    clock: Clock
    t0: float
    wall0: datetime

    def rel(self, at: float | None = None) -> float:
        """Seconds since the run started."""
        return round((self.clock.now() if at is None else at) - self.t0, 6)

    def iso(self, at: float | None = None) -> str:
        """The ISO 8601 time of clock reading `at` (now by default)."""
        return iso(self.wall0 + timedelta(seconds=self.rel(at)))


def _exception_lines(exc: BaseException) -> list[str]:
    name = (
        "chaoslab.experiment.ActivityFailed"
        if isinstance(exc, ActivityFailed)
        else (f"{type(exc).__module__}.{type(exc).__qualname__}")
    )
    return [f"{name}: {exc}\n"]


class ActivityExecutor:
    """Runs activities for one experiment run."""

    def __init__(
        self,
        ctx: RunContext,
        registry: ProviderRegistry,
        stamps: Stamps,
        *,
        dry: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.registry = registry
        self.stamps = stamps
        self.dry = dry
        self.timeline: list[TimelineEntry] = []
        self.current: str = ""

    async def call(self, provider: Any, extra: Mapping[str, Any] | None = None) -> Any:
        """Run a provider and return its output (raises ActivityFailed)."""
        if isinstance(provider, PythonProvider):
            return await run_python(self.ctx, provider, extra)
        if isinstance(provider, ProcessProvider):
            return await run_process(self.ctx, provider)
        if isinstance(provider, HttpProvider):
            return await run_http(self.ctx, provider)
        assert isinstance(provider, ChaoslabProvider)
        args, problems = self.registry.check(
            provider.module, provider.func, {**provider.arguments, **(extra or {})}, "provider"
        )
        if args is None:
            raise ActivityFailed(str(ConfigError(problems)))
        spec = self.registry.get(provider.module, provider.func)
        try:
            return await spec.run(self.ctx, args)
        except ActivityFailed:
            raise
        except ChaoslabError as exc:
            raise ActivityFailed(str(exc)) from exc

    async def judge(self, tolerance: ProbeTolerance, value: Any) -> bool:
        """Run a tolerance probe with `value`; truthy and not failed passes."""
        try:
            return bool(await self.call(tolerance.provider, {"value": value}))
        except ActivityFailed:
            return False

    def _skipped(self, activity: Activity) -> bool:
        if self.dry == "activities":
            return True
        return (self.dry == "probes" and activity.type == "probe") or (
            self.dry == "actions" and activity.type == "action"
        )

    async def _pause(self, seconds: float) -> None:
        if seconds > 0 and self.dry != "pause":
            await self.ctx.clock.sleep_async(seconds)

    async def run(
        self, activity: Activity, phase: Phase, records: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Run `activity`, appending its record to `records` at the start."""
        pauses = activity.pauses
        await self._pause(pauses.before if pauses else 0.0)
        start = self.ctx.clock.now()
        record: dict[str, Any] = {
            "activity": activity.model_dump(mode="json", by_alias=True, exclude_none=True),
            "output": None,
            "start": self.stamps.iso(start),
        }
        records.append(record)
        entry: TimelineEntry = {
            "name": activity.name,
            "type": activity.type,
            "phase": phase,
            "start": self.stamps.rel(start),
            "end": None,
            "status": None,
            "background": activity.background,
        }
        self.timeline.append(entry)
        self.current = self.ctx.activity = activity.name
        try:
            if not self._skipped(activity):
                record["output"] = await self.call(activity.provider)
            record["status"] = "succeeded"
        except ActivityFailed as exc:
            record["status"] = "failed"
            record["exception"] = _exception_lines(exc)
        finally:
            self._finish(record, entry, start, phase)
        await self._pause(pauses.after if pauses else 0.0)
        return record

    def _finish(
        self, record: dict[str, Any], entry: TimelineEntry, start: float, phase: Phase
    ) -> None:
        end = self.ctx.clock.now()
        record["end"] = self.stamps.iso(end)
        record["duration"] = round(end - start, 6)
        entry["end"] = self.stamps.rel(end)
        entry["status"] = record.get("status")
        self.ctx.events.emit(
            ActivityEnded(
                at=end,
                source="experiment",
                name=entry["name"],
                phase=phase,
                status=entry["status"],
                duration=record["duration"],
            )
        )


async def cancel_and_wait(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel `tasks` and wait until they have all ended."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
