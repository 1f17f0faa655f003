"""A short bundled example: a fault injected, and a recovery.

A tiny in-process "LLM client" sits behind an injection point. The example
injects three `503 Service Unavailable` answers (and some jittered latency),
and a small retry loop with exponential backoff rides them out. Everything
runs on a `VirtualClock`, so the seconds of backoff take no wall time, and
on a seeded injector, so the same seed prints the same run.

The retry loop is written out here on purpose: it shows what a resilience
strategy does, without depending on one.

Example:
    >>> result = run_example(seed=7)
    >>> [a.outcome for a in result.attempts]
    ['http 503', 'http 503', 'http 503', 'ok']
    >>> result.answer
    'echo: What is chaos engineering?'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chaoslab.clock import VirtualClock
from chaoslab.errors import InjectedHTTPStatus
from chaoslab.faults import FirstN, HTTPStatus, Latency, Probability
from chaoslab.inject import FaultInjected, FaultInjector, InjectionAdded, InjectionRemoved
from chaoslab.observe import EventBus

__all__ = ["Attempt", "ExampleResult", "TimelineEntry", "run_example"]

PROMPT = "What is chaos engineering?"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call of the client: when it started and ended, and what came of it."""

    number: int
    started: float
    ended: float
    outcome: str
    backoff: float


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event of the injector, at a virtual time, in words."""

    at: float
    event: str
    detail: str


def _timeline(chaos: FaultInjector) -> list[TimelineEntry]:
    entries = []
    for e in chaos.recorder.events:
        if isinstance(e, FaultInjected):
            detail = f"{e.source}: {e.fault} ({e.injection}, call {e.call})"
        elif isinstance(e, InjectionAdded):
            detail = f"{e.source}: {e.fault} at {e.target}, {e.schedule}"
        elif isinstance(e, InjectionRemoved):
            detail = f"{e.source}: fired on {e.fired} of {e.calls} calls"
        else:
            detail = e.source
        entries.append(TimelineEntry(e.at - chaos.started_at, e.kind, detail))
    return entries


@dataclass(slots=True)
class ExampleResult:
    """What the example did: its attempts, the answer, and the injector's record."""

    seed: int
    attempts: list[Attempt] = field(default_factory=list)
    answer: str | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    calls: int = 0
    faults: dict[str, int] = field(default_factory=dict)


def _backoff(attempt: int, injector: FaultInjector) -> float:
    # Exponential backoff with "full jitter", drawn from the injector's seeded
    # generator so that the whole run replays from the seed.
    return injector.rng.uniform(0, min(8.0, 0.5 * 2**attempt))


def run_example(seed: int = 7, failures: int = 3, max_attempts: int = 6) -> ExampleResult:
    """Run the example: `failures` injected 503s, then recovery (if attempts remain).

    Args:
        seed: the injector's seed; the same seed gives the same run.
        failures: how many calls answer 503 before the service recovers.
        max_attempts: the retry loop's bound.
    """
    clock = VirtualClock(autojump=True)
    chaos = FaultInjector(seed=seed, clock=clock, events=EventBus())
    point = chaos.point("llm.complete")

    @point
    def complete(prompt: str) -> str:
        """The "LLM": answers at once when nothing goes wrong."""
        return f"echo: {prompt}"

    chaos.inject("llm.*", Latency(0.2, jitter=0.1), Probability(0.5), name="slow-upstream")
    chaos.inject("llm.*", HTTPStatus(503, retry_after=1), FirstN(failures), name="outage")
    result = ExampleResult(seed=seed)
    for number in range(1, max_attempts + 1):
        started = clock.now()
        try:
            result.answer = complete(PROMPT)
        except InjectedHTTPStatus as exc:
            wait = max(float(exc.retry_after or 0), _backoff(number, chaos))
            outcome = f"http {exc.status}"
        else:
            wait, outcome = 0.0, "ok"
        final = outcome == "ok" or number == max_attempts
        result.attempts.append(
            Attempt(number, started, clock.now(), outcome, 0.0 if final else wait)
        )
        if final:
            break
        clock.sleep(wait)
    chaos.clear()
    stats = chaos.stats("llm.complete")
    result.timeline, result.calls, result.faults = _timeline(chaos), stats.calls, stats.faults
    return result
