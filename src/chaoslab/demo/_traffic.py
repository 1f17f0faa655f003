"""The demo's users: many questions, a few popular, asked of the demo service over HTTP.

A load target of a fixed URL would ask one question again and again, and
the Redis cache would answer every one of them: the upstream (and a fault
on it) would never be seen. Real users ask many questions, some far more
often than others, so `Traffic` draws each question from a seeded Zipf-like
distribution over a fixed catalogue, and records where each answer came
from (`redis`, `memory`, `llm`, `stale`, or `error`) and when.

The experiment's load names the module-level `ask` (`target:
"chaoslab.demo:ask"`), an async function of no arguments, which asks
through the `Traffic` made current by `use_traffic` (a restoring context
manager, so nothing outlives the demo).

Example:
    >>> traffic = Traffic("http://127.0.0.1:8080", seed=3, questions=50)
    >>> traffic.next_question() == Traffic("http://127.0.0.1:8080", seed=3, questions=50
    ...     ).next_question()
    True
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chaoslab.clock import Clock, SystemClock
from chaoslab.errors import ChaoslabError

__all__ = ["Answered", "ServiceAnswerError", "Traffic", "ask", "current_traffic", "use_traffic"]

_TOPICS = (
    "circuit breakers",
    "retries",
    "timeouts",
    "bulkheads",
    "rate limits",
    "caching",
    "backpressure",
    "load shedding",
    "idempotency",
    "failover",
)


class ServiceAnswerError(ChaoslabError):
    """The demo service answered with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


@dataclass(frozen=True, slots=True)
class Answered:
    """One request: when it started (clock time) and where its answer came from."""

    at: float
    source: str


class Traffic:
    """Asks the demo service questions drawn from a seeded, skewed catalogue.

    Question `i` (0-based) is asked with a weight of `1 / (i + 1)`: a few
    questions are asked all the time (Redis keeps them), most rarely (they
    miss and reach the upstream).
    """

    def __init__(
        self,
        url: str,
        *,
        seed: int = 0,
        questions: int = 400,
        clock: Clock | None = None,
        timeout: float = 5.0,
    ) -> None:
        if questions < 1:
            raise ValueError("questions must be >= 1")
        self.url = url.rstrip("/")
        self.clock: Clock = clock or SystemClock()
        self.timeout = timeout
        self._rng = random.Random(seed)
        self._catalogue = [
            f"How do {_TOPICS[i % len(_TOPICS)]} help, case {i}?" for i in range(questions)
        ]
        self._cumulative = list(itertools.accumulate(1.0 / (i + 1) for i in range(questions)))
        self._lock = threading.Lock()
        self.answers: list[Answered] = []
        self._session: Any = None

    def next_question(self) -> str:
        """The next question (seeded, skewed towards the first of the catalogue)."""
        point = self._rng.random() * self._cumulative[-1]
        index = min(bisect.bisect_left(self._cumulative, point), len(self._catalogue) - 1)
        return self._catalogue[index]

    async def open(self) -> None:
        """Open the HTTP session (in the running event loop)."""
        import aiohttp

        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(limit=256),
        )

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def ask(self) -> str:
        """Ask one question; returns the answer's source, raises on an error status."""
        if self._session is None:
            raise RuntimeError("open() the traffic first")
        started = self.clock.now()
        question = self.next_question()
        source = "error"
        try:
            async with self._session.get(f"{self.url}/answer", params={"q": question}) as resp:
                if resp.status != 200:
                    await resp.read()
                    raise ServiceAnswerError(resp.status)
                body = await resp.json(content_type=None)
                source = str(body.get("source", "unknown"))
                return source
        finally:
            with self._lock:
                self.answers.append(Answered(started, source))


_current: Traffic | None = None
_current_lock = threading.Lock()


def current_traffic() -> Traffic:
    """The `Traffic` that `ask` uses; raises if none is current."""
    traffic = _current
    if traffic is None:
        raise RuntimeError(
            "no demo traffic is current: chaoslab.demo:ask is the load of `chaoslab demo`"
        )
    return traffic


@contextlib.contextmanager
def use_traffic(traffic: Traffic) -> Iterator[Traffic]:
    """Make `traffic` the one `ask` uses, restoring the previous one on exit."""
    global _current  # noqa: PLW0603 - one process-wide slot, behind a lock, restored on exit
    with _current_lock:
        previous, _current = _current, traffic
    try:
        yield traffic
    finally:
        with _current_lock:
            _current = previous


async def ask() -> None:
    """One user request (the demo experiment's load target): ask the current traffic."""
    await current_traffic().ask()
