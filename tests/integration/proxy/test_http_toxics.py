"""HTTP/1.1-aware toxics with a real aiohttp server and a real httpx client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from chaoslab.faults import DropMidStream, HTTPStatus, Latency
from chaoslab.proxy import Proxy, ProxyServer


@pytest.fixture
async def http_upstream() -> AsyncIterator[tuple[int, list[str]]]:
    seen: list[str] = []

    async def ok(request: web.Request) -> web.Response:
        seen.append(request.path)
        body = await request.read()
        return web.Response(text=f"fine {len(body)}")

    async def sse(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for i in range(10):
            await response.write(f"id: {i}\ndata: event {i}\n\n".encode())
            await asyncio.sleep(0.005)
        return response

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_post("/ok", ok)
    app.router.add_get("/sse", sse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield port, seen
    finally:
        await runner.cleanup()


@pytest.fixture
async def http_proxy(server: ProxyServer, http_upstream: tuple[int, list[str]]) -> Proxy:
    return await server.create("http", upstream=f"127.0.0.1:{http_upstream[0]}")


def base(proxy: Proxy) -> str:
    return f"http://{proxy.listen}"


async def test_http_status_answers_instead_of_forwarding_then_recovers_on_the_same_connection(
    http_proxy: Proxy, http_upstream: tuple[int, list[str]]
) -> None:
    _, seen = http_upstream
    async with httpx.AsyncClient(base_url=base(http_proxy)) as client:
        assert (await client.get("/ok")).text == "fine 0"
        with http_proxy.http_status(429, retry_after=3, body="slow down"):
            first = await client.get("/ok")
            second = await client.post("/ok", content=b"x" * 5000)
        assert (first.status_code, first.headers["retry-after"], first.text) == (
            429, "3", "slow down",
        )  # fmt: skip
        assert second.status_code == 429
        after = await client.get("/ok")
        assert after.text == "fine 0"
    assert seen == ["/ok", "/ok"]  # the two refused requests never reached the upstream
    assert http_proxy.stats.connections_total == 1  # keep-alive kept the one connection


async def test_apply_http_status_fault(http_proxy: Proxy) -> None:
    async with httpx.AsyncClient(base_url=base(http_proxy)) as client:
        with http_proxy.apply(HTTPStatus(503, body=b"down")):
            response = await client.get("/ok")
        assert (response.status_code, response.text) == (503, "down")


async def test_http_delay_holds_the_first_response_byte(http_proxy: Proxy) -> None:
    async with httpx.AsyncClient(base_url=base(http_proxy)) as client:
        await client.get("/ok")
        with http_proxy.http_delay(200):
            start = time.perf_counter()
            response = await client.get("/ok")
            elapsed = time.perf_counter() - start
        assert response.text == "fine 0"
        assert 0.19 <= elapsed < 0.6


async def _sse_events(client: httpx.AsyncClient, events: list[str]) -> None:
    async with client.stream("GET", "/sse") as response:
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                events.append(line)  # noqa: PERF401 - keep what arrived before the cut


async def test_sse_cut_after_n_events(http_proxy: Proxy) -> None:
    events: list[str] = []
    with http_proxy.apply(DropMidStream(after_events=3)):
        async with httpx.AsyncClient(base_url=base(http_proxy)) as client:
            with pytest.raises(httpx.TransportError):
                await _sse_events(client, events)
    assert events == ["data: event 0", "data: event 1", "data: event 2"]


async def test_latency_fault_through_http(http_proxy: Proxy) -> None:
    async with httpx.AsyncClient(base_url=base(http_proxy)) as client:
        await client.get("/ok")
        with http_proxy.apply(Latency(0.1)):
            start = time.perf_counter()
            await client.get("/ok")
            assert time.perf_counter() - start >= 0.1
