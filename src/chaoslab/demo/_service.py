"""The demo service: an HTTP API that answers from Redis, an LLM upstream, or stale memory.

`GET /answer?q=...` looks the answer up in Redis (a shared cache), asks the
LLM upstream on a miss, and keeps the last good answers in memory: fresh
for a second (so that a dead Redis does not send every request upstream),
then served stale when the upstream fails. Each dependency sits behind chaoslab's
strategies, in the anchors' order:

- Redis: a circuit breaker, then a 100 ms per-call timeout. A slow or dead
  Redis costs at most 100 ms for five calls, then nothing while the breaker
  is open: the service keeps answering from the upstream.
- LLM: a total timeout, a retry that honours Retry-After (429/503), a
  circuit breaker, a per-attempt timeout; around it a stale-if-error cache.

`GET /health` reports the breakers' states.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from chaoslab.clock import Clock, SystemClock
from chaoslab.resilience import (
    Cache,
    CircuitBreaker,
    Pipeline,
    Retry,
    Timeout,
    WaitFullJitter,
)

__all__ = ["DemoService", "ServiceStats", "UpstreamHTTPError"]

_REDIS_TTL = 5  # seconds: short, so that misses keep reaching the upstream


class UpstreamHTTPError(Exception):
    """The upstream answered with an error status."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"upstream answered {status}")
        self.status = status
        self.retry_after = retry_after


@dataclass
class ServiceStats:
    """What the service did, by source of the answer."""

    answered: dict[str, int] = field(default_factory=dict)
    redis_errors: int = 0
    failed: int = 0

    def count(self, source: str) -> None:
        """Count one answer from `source`."""
        self.answered[source] = self.answered.get(source, 0) + 1


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class DemoService:
    """The service and its strategies; `app()` builds the aiohttp application.

    `memory_ttl` is how long an answer kept in memory is served fresh
    (without asking Redis or the upstream); after that it is served only
    stale, when the upstream fails.

    Example:
        >>> service = DemoService("redis://127.0.0.1:1/0", "http://127.0.0.1:1", seed=1)
        >>> service.redis_breaker.state.value
        'closed'
    """

    def __init__(
        self,
        redis_url: str,
        llm_url: str,
        *,
        seed: int = 0,
        clock: Clock | None = None,
        memory_ttl: float = 1.0,
    ) -> None:
        self.redis_url = redis_url
        self.llm_url = llm_url.rstrip("/")
        self.clock = clock or SystemClock()
        self.stats = ServiceStats()
        self.redis_breaker = CircuitBreaker(
            "redis", failure_threshold=5, recovery_timeout=2.0, clock=self.clock
        )
        self.llm_breaker = CircuitBreaker(
            "llm", failure_threshold=20, recovery_timeout=3.0, clock=self.clock
        )
        self.redis_guard = Pipeline(
            self.redis_breaker, Timeout(0.1, name="redis.timeout", clock=self.clock)
        )
        self.llm_guard = Pipeline(
            Timeout(2.0, name="llm.total", clock=self.clock),
            Retry(
                "llm.retry",
                attempts=4,
                max_delay=1.0,
                wait=WaitFullJitter(base=0.02, max=0.25),
                retry_on=(UpstreamHTTPError, aiohttp.ClientError, TimeoutError),
                rng=random.Random(seed),
                clock=self.clock,
            ),
            self.llm_breaker,
            Timeout(0.5, name="llm.attempt", clock=self.clock),
        )
        self.memory = Cache(ttl=memory_ttl, stale_ttl=600.0, max_entries=4096, clock=self.clock)
        self._redis: Any = None
        self._http: aiohttp.ClientSession | None = None

    # -- lifecycle -----------------------------------------------------

    async def start(self) -> None:
        """Open the clients (lazily connecting: Redis may be down at start)."""
        import redis.asyncio as aioredis

        self._redis = aioredis.Redis.from_url(
            self.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        # One connection per request towards the upstream, so that a proxy's
        # per-connection toxicity acts per request, as a flaky API would.
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))

    async def close(self) -> None:
        """Close the clients."""
        if self._http is not None:
            await self._http.close()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()

    def app(self) -> web.Application:
        """The aiohttp application serving `/answer` and `/health`."""
        app = web.Application()
        app.router.add_get("/answer", self._answer_route)
        app.router.add_get("/health", self._health_route)
        return app

    # -- the work ------------------------------------------------------

    async def answer(self, question: str) -> tuple[str, str]:
        """The answer to `question` and where it came from (redis, memory, llm, stale)."""
        key = f"answer:{question}"
        cached = await self._redis_call(lambda: self._redis.get(key))
        if cached is not None:
            self.stats.count("redis")
            return cached.decode(), "redis"
        asked = False  # set only by the request that calls the upstream itself

        async def ask_llm() -> str:
            nonlocal asked
            asked = True
            return await self.llm_guard.call_async(lambda: self._complete(question))

        result = await self.memory.lookup_async(question, ask_llm)
        # Requests that waited on another's call of the same question were
        # answered from memory: the upstream was asked once, by that one.
        source = "stale" if result.stale else ("llm" if asked else "memory")
        if source == "llm":
            await self._redis_call(lambda: self._redis.set(key, result.value, ex=_REDIS_TTL))
        self.stats.count(source)
        return result.value, source

    async def _redis_call(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await self.redis_guard.call_async(fn)
        except Exception:  # noqa: BLE001 - the cache is optional: any failure is a miss
            self.stats.redis_errors += 1
            return None

    async def _complete(self, prompt: str) -> str:
        assert self._http is not None, "start() the service first"
        async with self._http.post(
            f"{self.llm_url}/v1/complete", json={"prompt": prompt}
        ) as response:
            if response.status >= 400:
                raise UpstreamHTTPError(response.status, _retry_after(response.headers))
            body = await response.json()
            return str(body["text"])

    async def _answer_route(self, request: web.Request) -> web.Response:
        question = request.query.get("q", "")
        try:
            text, source = await self.answer(question)
        except Exception as exc:  # noqa: BLE001 - the API answers 503, never a traceback
            self.stats.failed += 1
            return web.json_response({"error": type(exc).__name__}, status=503)
        return web.json_response({"answer": text, "source": source})

    async def _health_route(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "ok",
                "redis_breaker": self.redis_breaker.state.value,
                "llm_breaker": self.llm_breaker.state.value,
            }
        )
