"""The runner: hypothesis, method, rollbacks, guard rails, signals, journal.

One asyncio task runs the experiment (hypothesis before, method with its
background activities and the during-method hypothesis, hypothesis after);
the guard monitor and the signal handlers cancel that task to stop the
method at once, then the rollbacks run under their strategy, every fault
still active is undone, load runs are stopped, and the journal is written.
Every wait is on the run's `Clock`, so a `VirtualClock(autojump=True)` runs
a ten-minute experiment of in-process faults in milliseconds.

Example:
    >>> from chaoslab.clock import VirtualClock
    >>> from chaoslab.experiment import Runner, load_experiment
    >>> exp = load_experiment({"title": "t", "description": "d", "method": [
    ...     {"type": "action", "name": "wait", "provider": {"type": "python",
    ...      "module": "json", "func": "loads", "arguments": {"s": "[1, 2]"}},
    ...      "pauses": {"after": 600}}]})
    >>> journal = Runner(exp, clock=VirtualClock(autojump=True)).run()
    >>> journal["status"], journal["run"][0]["output"], journal["chaoslab"]["duration"]
    ('completed', [1, 2], 600.0)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from chaoslab.clock import Clock, SystemClock
from chaoslab.errors import ChaoslabError
from chaoslab.experiment._activity import ActivityExecutor, Stamps, cancel_and_wait
from chaoslab.experiment._assemble import journal_of, planned_duration
from chaoslab.experiment._context import FaultTracker, MetricsSource, MetricsStore, RunContext
from chaoslab.experiment._events import ExperimentEnded, ExperimentStarted, JournalEvents
from chaoslab.experiment._guards import GuardMonitor
from chaoslab.experiment._hypothesis import check_hypothesis, during_method
from chaoslab.experiment._journal import GuardEvent, Journal, Status, write_journal
from chaoslab.experiment._model import Experiment
from chaoslab.experiment._options import LiveStatus, RunOptions
from chaoslab.experiment._prov_load import start as start_load
from chaoslab.experiment._registry import ProviderRegistry, default_registry
from chaoslab.experiment._stack import Stack, stop_on_signals
from chaoslab.observe import EventBus, default_bus

__all__ = ["LiveStatus", "RunOptions", "Runner"]

_log = logging.getLogger("chaoslab.experiment")


class Runner:
    """Runs one experiment and returns (and optionally writes) its journal.

    Args:
        experiment: from `load_experiment`.
        options: the CLI's options (strategies, dry, seed, journal path, signals).
        clock: every wait of the run (a `VirtualClock` for tests).
        events: the bus the run and its load runs emit on.
        registry: the chaoslab provider functions (`default_registry()`).
        injector: the `FaultInjector` of `inject.*` activities.
        proxy_server: an embedded `ProxyServer` for `proxy.*` activities (else HTTP).
        services: `chaoslab.services` objects by name, for `services.*` activities.
        targets: async functions by name, as load targets (`target: name`).
        metrics: extra metrics sources (besides the load runs).
        on_tick: called with a `LiveStatus` every 0.25 s of clock time.
    """

    def __init__(
        self,
        experiment: Experiment,
        *,
        options: RunOptions | None = None,
        clock: Clock | None = None,
        events: EventBus | None = None,
        registry: ProviderRegistry | None = None,
        injector: Any = None,
        proxy_server: Any = None,
        services: Mapping[str, Any] | None = None,
        targets: Mapping[str, Callable[[], Awaitable[object]]] | None = None,
        metrics: Sequence[MetricsSource] = (),
        on_tick: Callable[[LiveStatus], None] | None = None,
    ) -> None:
        self.experiment = experiment
        self.options = options or RunOptions()
        self.clock: Clock = clock or SystemClock()
        self.events = events or default_bus()
        self.registry = registry or default_registry()
        self._injector = injector
        self._proxy_server = proxy_server
        self._services = dict(services or {})
        self._targets = dict(targets or {})
        self._sources = list(metrics)
        self.on_tick = on_tick
        runtime = experiment.runtime
        self.rollback_strategy = self.options.rollback_strategy or runtime.rollbacks.strategy
        self.hypothesis_strategy = self.options.hypothesis_strategy or runtime.hypothesis.strategy
        self.frequency = self.options.hypothesis_frequency or runtime.hypothesis.frequency
        self.fail_fast = (
            runtime.hypothesis.fail_fast
            if self.options.fail_fast is None
            else self.options.fail_fast
        )
        seed = self.options.seed if self.options.seed is not None else experiment.chaoslab.seed
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self.status: Status = "completed"
        self.deviated = False
        self.stop_reason: str | None = None
        self.error: str | None = None
        self.phase = "starting"
        self.steady_states: dict[str, Any] = {"before": None, "after": None, "during": []}
        self.run_records: list[dict[str, Any]] = []
        self.rollback_records: list[dict[str, Any]] = []
        self._main: asyncio.Task[None] | None = None
        self._rollback_task: asyncio.Task[None] | None = None

    # -- public ----------------------------------------------------------------

    def run(self) -> Journal:
        """Run in a new event loop; returns the journal."""
        return asyncio.run(self.run_async())

    async def run_async(self) -> Journal:
        """Run in the running event loop; returns the journal (written if asked).

        Services and proxies the file declares start first and stop last.
        """
        settings = self.experiment.chaoslab
        if not settings.services and not settings.proxies:
            return await self._run()
        async with Stack(list(settings.services), list(settings.proxies)) as stack:
            self._services = {**stack.services, **self._services}
            if self._proxy_server is None:
                self._proxy_server = stack.proxy_server
            return await self._run()

    async def _run(self) -> Journal:
        self._setup()
        recorder = JournalEvents()
        signals = stop_on_signals(self.stop) if self.options.handle_signals else nullcontext()
        with self.events.subscribed(recorder), signals:
            self.events.emit(
                ExperimentStarted(
                    at=self.t0, source="experiment", title=self.experiment.title, seed=self.seed
                )
            )
            cancelled = await self._guarded_experiment_phase()
            await self._rollback_phase()
            await self._cleanup()
            self.events.emit(
                ExperimentEnded(
                    at=self.clock.now(),
                    source="experiment",
                    status=self.status,
                    deviated=self.deviated,
                )
            )
        journal = journal_of(self, recorder.for_journal())
        if self.options.journal_path is not None:
            write_journal(self.options.journal_path, journal)
        if cancelled:
            # Rolled back, cleaned up and journaled: now let the cancellation through
            # (asyncio.run turns it back into the KeyboardInterrupt it came from).
            raise asyncio.CancelledError
        return journal

    def stop(self, reason: str) -> None:
        """Stop the method now (a signal, a guard rail); rollbacks still run."""
        if self.stop_reason is None:
            self.stop_reason = reason
        if self._main is not None and not self._main.done():
            self._main.cancel()
        elif reason.startswith("SIG") and self._rollback_task is not None:
            # A second signal during the rollbacks stops them (Chaos Toolkit does too).
            self._rollback_task.cancel()

    # -- setup -----------------------------------------------------------------

    def _setup(self) -> None:
        self.t0 = self.clock.now()
        self.stamps = Stamps(self.clock, self.t0, datetime.now(UTC))
        settings = self.experiment.chaoslab
        self.ctx = RunContext(
            clock=self.clock,
            t0=self.t0,
            events=self.events,
            metrics=MetricsStore(self.t0),
            faults=FaultTracker(self.clock, self.t0, settings.blast_radius.max_concurrent_faults),
            rng=random.Random(self.seed),
            seed=self.seed,
            proxy_url=settings.proxy_url,
            proxy_server=self._proxy_server,
            injector=self._injector,
            services=self._services,
            targets=self._targets,
            configuration=self.experiment.configuration,
            secrets=self.experiment.secrets,
        )
        for source in self._sources:
            self.ctx.metrics.add(source)
        self.executor = ActivityExecutor(self.ctx, self.registry, self.stamps, dry=self.options.dry)
        self.guards = GuardMonitor(
            list(settings.guard_rails),
            self.executor,
            self.stamps,
            max_duration=settings.max_duration,
            on_trip=self._on_trip,
        )
        self.planned = planned_duration(self.experiment)

    def _on_trip(self, event: GuardEvent) -> None:
        _log.warning("guard rail %s tripped: %s", event["rail"], event["message"])
        self.stop(f"guard:{event['rail']}")

    # -- phases ----------------------------------------------------------------

    async def _guarded_experiment_phase(self) -> bool:
        """The experiment phase; a cancellation from outside counts as an interrupt."""
        try:
            await self._experiment_phase()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # so that the rollbacks and the cleanup can still await
            if self._main is not None:
                # Let the method's own `finally` blocks (fault removals) finish first.
                self._main.cancel()
                await asyncio.gather(self._main, return_exceptions=True)
            self.stop_reason = self.stop_reason or "cancelled"
            self.status = "interrupted"
            return True
        return False

    async def _experiment_phase(self) -> None:
        self._main = asyncio.create_task(self._experiment(), name="chaoslab-experiment")
        helpers = [asyncio.create_task(self.guards.run())]
        if self.on_tick is not None:
            helpers.append(asyncio.create_task(self._ticker()))
        try:
            await self._main
        except asyncio.CancelledError:
            if self.stop_reason is None:
                raise  # we were cancelled from outside: let it through
        except Exception as exc:  # noqa: BLE001 - any unexpected error is Chaos Toolkit's `aborted`
            # A ChaoslabError is a message for the user; anything else is a bug
            # and worth its traceback.
            _log.error("experiment aborted: %s", exc, exc_info=not isinstance(exc, ChaoslabError))
            self.status = "aborted"
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            await cancel_and_wait(helpers)
        if self.stop_reason is not None:
            self.status = "interrupted" if self.stop_reason.startswith("SIG") else "aborted"

    async def _start_loads(self) -> None:
        settings = self.experiment.chaoslab
        if not settings.loads:
            return
        self.phase = "warmup"
        for spec in settings.loads:
            await start_load(self.ctx, spec)
        await self.clock.sleep_async(settings.warmup)

    async def _experiment(self) -> None:
        hypothesis = self.experiment.steady_state_hypothesis
        strategy = self.hypothesis_strategy
        await self._start_loads()
        if hypothesis and strategy in ("default", "before-method-only", "continuously"):
            self.phase = "hypothesis-before"
            result = await check_hypothesis(hypothesis, self.executor, "hypothesis-before")
            self.steady_states["before"] = result.state
            if not result.met:
                self.status = "failed" if result.raised else "completed"
                return
        await self._method_with_during()
        if hypothesis and strategy in ("default", "after-method-only", "continuously"):
            self.phase = "hypothesis-after"
            result = await check_hypothesis(hypothesis, self.executor, "hypothesis-after")
            self.steady_states["after"] = result.state
            self.deviated = not result.met
            if result.raised:
                self.status = "failed"

    async def _method_with_during(self) -> None:
        hypothesis = self.experiment.steady_state_hypothesis
        missed = asyncio.Event()
        during: list[asyncio.Task[None]] = []
        if hypothesis and self.hypothesis_strategy in ("during-method-only", "continuously"):
            during.append(
                asyncio.create_task(
                    during_method(
                        hypothesis,
                        self.executor,
                        frequency=self.frequency,
                        states=self.steady_states["during"],
                        fail_fast=self.fail_fast,
                        on_miss=missed,
                    )
                )
            )
        self.phase = "method"
        try:
            await self._method(missed)
        finally:
            await cancel_and_wait(during)
        if missed.is_set():
            self.status = "failed"

    async def _method(self, missed: asyncio.Event) -> None:
        background: list[asyncio.Task[dict[str, Any]]] = []
        try:
            for item in self.experiment.method:
                if missed.is_set():
                    break  # fail-fast: stop after the current activity
                activity = self.experiment.resolve(item)
                step = self.executor.run(activity, "method", self.run_records)
                if activity.background:
                    background.append(asyncio.create_task(step))
                else:
                    await step
            await asyncio.gather(*background)
        finally:
            await cancel_and_wait(background)

    def _rollbacks_wanted(self) -> bool:
        strategy = self.rollback_strategy
        if strategy == "never":
            return False
        if strategy == "always":
            return True
        if strategy == "deviated":
            return self.deviated
        # default: as Chaos Toolkit, except that an interrupted run rolls back too.
        return self.status != "failed"

    async def _rollback_phase(self) -> None:
        if not self._rollbacks_wanted() or not self.experiment.rollbacks:
            return
        self.phase = "rollbacks"
        self._rollback_task = asyncio.create_task(self._rollbacks())
        with contextlib.suppress(asyncio.CancelledError):
            await self._rollback_task
        self._rollback_task = None

    async def _rollbacks(self) -> None:
        for activity in self.experiment.rollbacks:
            # A failed rollback does not stop the others.
            await self.executor.run(activity, "rollback", self.rollback_records)

    async def _cleanup(self) -> None:
        """Undo every fault still active and stop every load run."""
        self.phase = "cleanup"
        for key, undo in list(self.ctx.faults.undo.items()):
            try:
                await undo()
            except Exception:  # noqa: BLE001 - one failed undo must not keep the others
                _log.exception("could not undo fault %s", key)
            self.ctx.faults.close(key)
        for run in list(self.ctx.loads.values()):
            run.stop()
            with contextlib.suppress(Exception):
                await run.wait()
        for name in self.ctx.faults.active():
            self.ctx.faults.close(name)

    async def _ticker(self) -> None:
        assert self.on_tick is not None
        while True:
            self.on_tick(self.live_status())
            await self.clock.sleep_async(0.25)

    # -- reporting ---------------------------------------------------------------

    def live_status(self) -> LiveStatus:
        """A snapshot for displays."""
        elapsed = self.clock.now() - self.t0
        stats = self.ctx.metrics.live(self.clock.now()) if self.ctx.metrics.names() else None
        return LiveStatus(
            phase=self.phase,
            activity=self.executor.current,
            elapsed=elapsed,
            remaining=max(self.planned - elapsed, 0.0) if self.planned else None,
            p99=stats.p99 if stats else None,
            error_rate=stats.error_rate if stats and stats.requests else None,
            rails=tuple((r.name, r.margin, r.tripped) for r in self.guards.rails),
        )
