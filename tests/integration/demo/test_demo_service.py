"""The demo service against a real Redis (through a fault proxy) and real HTTP upstreams."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from chaoslab.demo import DemoService, create_upstream_app, upstream_stats
from chaoslab.demo._stack import _serve
from chaoslab.observe import EventBus, EventRecorder, use_bus
from chaoslab.resilience import RetryScheduled

if TYPE_CHECKING:
    from chaoslab.services import ProxiedService, RedisServer


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner, url = await _serve(app)
    try:
        yield url
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def running(service: DemoService) -> AsyncIterator[DemoService]:
    await service.start()
    try:
        yield service
    finally:
        await service.close()


def scripted_upstream(statuses: list[int]) -> tuple[web.Application, list[str]]:
    """An upstream answering each request with the next status (then 200); logs prompts."""
    seen: list[str] = []

    async def complete(request: web.Request) -> web.Response:
        seen.append(str((await request.json())["prompt"]))
        status = statuses.pop(0) if statuses else 200
        if status == 429:
            return web.json_response(
                {"error": "slow down"}, status=429, headers={"Retry-After": "1"}
            )
        if status != 200:
            return web.json_response({"error": "down"}, status=status)
        return web.json_response({"text": f"ok #{len(seen)}"})

    app = web.Application()
    app.router.add_post("/v1/complete", complete)
    return app, seen


async def test_a_miss_asks_the_upstream_then_redis_answers(redis_url: str) -> None:
    async with (
        serving(create_upstream_app(latency=0.0)) as upstream,
        running(DemoService(redis_url, upstream, seed=1)) as service,
    ):
        text, source = await service.answer("what is chaos?")
        assert source == "llm"
        assert "what is chaos?" in text
        assert await service.answer("what is chaos?") == (text, "redis")
        assert service.stats.answered == {"llm": 1, "redis": 1}
        assert service.stats.redis_errors == 0


async def test_concurrent_misses_of_one_question_ask_the_upstream_once(redis_url: str) -> None:
    async with (
        serving(create_upstream_app(latency=0.05)) as upstream,
        running(DemoService(redis_url, upstream, seed=1)) as service,
    ):
        answers = await asyncio.gather(*(service.answer("same?") for _ in range(3)))
        assert len({text for text, _ in answers}) == 1
        assert sorted(source for _, source in answers) == ["llm", "memory", "memory"]
        assert service.stats.answered == {"llm": 1, "memory": 2}


async def test_redis_down_answers_still_come_from_the_upstream(
    redis_via_proxy: ProxiedService[RedisServer],
) -> None:
    app, seen = scripted_upstream([])
    async with (
        serving(app) as upstream,
        running(DemoService(redis_via_proxy.url, upstream, seed=1)) as service,
    ):
        with redis_via_proxy.proxy.down():
            answers = [await service.answer(f"q{i}") for i in range(8)]
            again = await service.answer("q0")
        assert [source for _, source in answers] == ["llm"] * 8
        assert again[1] == "memory"  # fresh in memory: neither Redis nor the upstream asked
        assert len(seen) == 8
        # Five failures open the Redis breaker; later calls do not even try.
        assert service.redis_breaker.state.value == "open"
        assert service.stats.redis_errors >= 5
        assert service.stats.failed == 0


async def test_upstream_429_is_retried_after_the_wait_it_asks_for(redis_url: str) -> None:
    app, seen = scripted_upstream([429])
    bus, recorder = EventBus(), EventRecorder()
    async with (
        serving(app) as upstream,
        running(DemoService(redis_url, upstream, seed=1)) as service,
    ):
        with use_bus(bus), bus.subscribed(recorder):
            text, source = await service.answer("rate limited?")
    assert (text, source) == ("ok #2", "llm")
    assert seen == ["rate limited?", "rate limited?"]
    [retry] = recorder.of_type(RetryScheduled)
    assert retry.retry_after == 1.0
    assert retry.delay >= 1.0  # the jittered backoff alone would wait at most 0.02 s


async def test_upstream_down_serves_the_last_answer_stale(redis_url: str) -> None:
    import redis.asyncio as aioredis

    app, seen = scripted_upstream([200, 503, 503, 503, 503])
    async with (
        serving(app) as upstream,
        # A tiny fresh lifetime: the second ask must go past memory to the upstream.
        running(DemoService(redis_url, upstream, seed=1, memory_ttl=0.001)) as service,
    ):
        first = await service.answer("cached once")
        async with aioredis.Redis.from_url(redis_url) as client:
            await client.flushall()  # Redis forgets it too
        second = await service.answer("cached once")
    assert first == ("ok #1", "llm")
    assert second == ("ok #1", "stale")
    assert len(seen) == 5  # four attempts were made before giving up
    assert service.memory.stats.stale_served == 1


async def test_http_routes_answer_json_and_never_a_traceback(redis_url: str) -> None:
    app, _ = scripted_upstream([200] + [503] * 8)
    async with (
        serving(app) as upstream,
        running(DemoService(redis_url, upstream, seed=1)) as service,
        serving(service.app()) as url,
        aiohttp.ClientSession() as client,
    ):
        async with client.get(f"{url}/answer", params={"q": "hello"}) as response:
            assert response.status == 200
            assert await response.json() == {"answer": "ok #1", "source": "llm"}
        async with client.get(f"{url}/answer", params={"q": "never answered"}) as response:
            assert response.status == 503
            assert (await response.json())["error"] == "RetriesExhausted"
        async with client.get(f"{url}/health") as response:
            assert await response.json() == {
                "status": "ok",
                "redis_breaker": "closed",
                "llm_breaker": "closed",
            }
    assert service.stats.failed == 1


@pytest.mark.parametrize("latency", [0.0, 0.002])
async def test_the_fake_upstream_answers_deterministically(latency: float) -> None:
    app = create_upstream_app(latency)
    async with serving(app) as upstream, aiohttp.ClientSession() as s:
        bodies = []
        for _ in range(2):
            async with s.post(f"{upstream}/v1/complete", json={"prompt": "p"}) as response:
                bodies.append(await response.json())
    assert bodies[0] == bodies[1]
    assert bodies[0]["text"].startswith("answer to 'p'")
    assert upstream_stats(app).served == 2
