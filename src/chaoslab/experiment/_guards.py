"""Guard rails: abort conditions checked continuously while the experiment runs.

Metric rails (`error_rate > 5% for 5s`, `p99 > 5s`) read the live load
metrics of the last second every `every` seconds of clock time (0.25 s at
most); a rail with `for D` trips once its condition has held for D seconds
without a break. Probe rails run their probe every `every` seconds and trip
when it fails or misses its tolerance. `max-duration` trips when the run
has lasted that long. The first trip calls `on_trip`, which stops the
method (the runner cancels it at once) so that the rollbacks run. A rail
that cannot be checked (its load does not exist, its check raises) trips
too: an unwatched experiment is not a safe one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from chaoslab.experiment._activity import ActivityExecutor, Stamps, cancel_and_wait
from chaoslab.experiment._conditions import Condition
from chaoslab.experiment._context import ActivityFailed
from chaoslab.experiment._events import GuardTripped
from chaoslab.experiment._journal import GuardEvent, GuardRailSummary
from chaoslab.experiment._model import GuardRailSpec
from chaoslab.experiment._tolerance import tolerance_met

__all__ = ["GuardMonitor", "RailState"]


@dataclass
class RailState:
    """A rail's live state (also what the live display shows)."""

    name: str
    condition: str
    every: float
    parsed: Condition | None = None
    spec: GuardRailSpec | None = None
    checks: int = 0
    since: float | None = None
    value: float | None = None
    tripped: bool = False

    @property
    def margin(self) -> float | None:
        """How far from tripping, as a fraction of the threshold (metric rails)."""
        return self.parsed.margin(self.value) if self.parsed else None


def _describe(rail: GuardRailSpec) -> str:
    if rail.condition is not None:
        return rail.condition
    return f"probe {rail.probe.name}" if rail.probe else "probe"


class GuardMonitor:
    """Watches the rails until cancelled or one trips."""

    def __init__(
        self,
        rails: list[GuardRailSpec],
        executor: ActivityExecutor,
        stamps: Stamps,
        *,
        max_duration: float | None,
        on_trip: Callable[[GuardEvent], None],
    ) -> None:
        self.executor = executor
        self.ctx = executor.ctx
        self.stamps = stamps
        self.max_duration = max_duration
        self.on_trip = on_trip
        self.events: list[GuardEvent] = []
        self.rails = [RailState(r.name, _describe(r), r.every, r.parsed, r) for r in rails]
        if max_duration is not None:
            self.rails.append(RailState("max-duration", f"elapsed > {max_duration:g}s", 0.25))

    def summary(self) -> list[GuardRailSummary]:
        """The journal's `guard_rails`."""
        return [
            {"name": r.name, "condition": r.condition, "checks": r.checks, "tripped": r.tripped}
            for r in self.rails
        ]

    async def run(self) -> None:
        """Check every rail on its own period until cancelled or tripped."""
        tasks = [asyncio.create_task(self._watch(rail)) for rail in self.rails]
        try:
            await asyncio.gather(*tasks)
        finally:
            await cancel_and_wait(tasks)

    async def _watch(self, rail: RailState) -> None:
        while not any(r.tripped for r in self.rails):
            await self.ctx.clock.sleep_async(rail.every)
            rail.checks += 1
            try:
                message = await self._check(rail)
            except Exception as exc:  # noqa: BLE001 - a rail that cannot be checked must not go silent
                message = f"could not be checked ({type(exc).__name__}: {exc})"
            if message is not None and not any(r.tripped for r in self.rails):
                self._trip(rail, message)
                return

    async def _check(self, rail: RailState) -> str | None:
        now = self.ctx.clock.now()
        if rail.name == "max-duration" and rail.spec is None:
            rail.value = now - self.ctx.t0
            assert self.max_duration is not None
            return "maximum duration reached" if rail.value >= self.max_duration else None
        if rail.parsed is not None:
            return self._check_metric(rail, rail.parsed, now)
        return await self._check_probe(rail)

    def _check_metric(self, rail: RailState, cond: Condition, now: float) -> str | None:
        if not self.ctx.metrics.names():
            return None
        stats = self.ctx.metrics.live(now, 1.0, cond.load)
        rail.value = stats.get(cond.metric)
        if not cond.holds(rail.value):
            rail.since = None
            return None
        rail.since = now if rail.since is None else rail.since
        if now - rail.since + 1e-9 < cond.hold:
            return None
        return f"{cond.metric} = {rail.value:.4g} breached {cond}"

    async def _check_probe(self, rail: RailState) -> str | None:
        assert rail.spec is not None
        probe = rail.spec.probe
        assert probe is not None
        try:
            output = await self.executor.call(probe.provider)
        except ActivityFailed as exc:
            return f"probe {probe.name} failed: {exc}"
        if probe.tolerance is None:
            return None
        ok = await tolerance_met(probe.tolerance, output, self.executor.judge)
        return None if ok else f"probe {probe.name} missed its tolerance (output {output!r:.80})"

    def _trip(self, rail: RailState, message: str) -> None:
        rail.tripped = True
        cond = rail.parsed
        event: GuardEvent = {
            "at": self.stamps.rel(),
            "rail": rail.name,
            "condition": rail.condition,
            "value": rail.value,
            "threshold": cond.threshold
            if cond
            else self.max_duration
            if rail.spec is None
            else None,
            "message": message,
        }
        self.events.append(event)
        self.ctx.events.emit(
            GuardTripped(
                at=self.ctx.clock.now(),
                source="experiment",
                rail=rail.name,
                condition=rail.condition,
                value=rail.value,
            )
        )
        self.on_trip(event)
