"""The httpx seam between a client and a real local server: 429, then success."""

from __future__ import annotations

import httpx
import pytest

from chaoslab.adapters import AsyncChaosTransport, ChaosTransport
from chaoslab.clock import VirtualClock
from chaoslab.faults import FirstN, HTTPStatus
from chaoslab.inject import FaultInjector

from .conftest import LocalServer

pytestmark = pytest.mark.chaos_network

SLOW_DOWN = HTTPStatus(429, retry_after=2, body=b'{"error": "slow down"}')


def test_429_with_retry_after_then_200_from_the_real_server(local_server: LocalServer) -> None:
    chaos = FaultInjector(seed=1, clock=VirtualClock(autojump=True))
    transport = ChaosTransport(httpx.HTTPTransport(), injector=chaos)
    with (
        httpx.Client(transport=transport, base_url=local_server.url, timeout=5) as client,
        chaos.inject("http.POST */v1/complete", SLOW_DOWN, FirstN(1)),
    ):
        first = client.post("/v1/complete", json={"prompt": "hi"})
        assert first.status_code == 429
        assert first.headers["retry-after"] == "2"
        assert first.json() == {"error": "slow down"}
        assert local_server.requests == []  # the injected 429 never reached the server

        second = client.post("/v1/complete", json={"prompt": "hi"})
        assert second.status_code == 200
        assert second.json() == {"text": "hello from the real server"}

    assert local_server.requests == [("POST", "/v1/complete")]
    host = local_server.url.removeprefix("http://")
    stats = chaos.stats(f"http.POST {host}/v1/complete")
    assert (stats.calls, stats.faults) == (2, {"http_status": 1})


async def test_429_then_success_async_with_the_current_injector(
    local_server: LocalServer, chaos: FaultInjector
) -> None:
    # No explicit injector: the transport follows the pytest `chaos` fixture.
    chaos.inject("http.GET */v1/*", HTTPStatus(429, retry_after=0.5), FirstN(1))
    transport = AsyncChaosTransport(httpx.AsyncHTTPTransport())
    async with httpx.AsyncClient(transport=transport, base_url=local_server.url) as client:
        first = await client.get("/v1/complete")
        second = await client.get("/v1/complete")
    assert (first.status_code, first.headers["retry-after"]) == (429, "1")
    assert first.headers["retry-after-ms"] == "500"
    assert second.status_code == 200
    assert local_server.requests == [("GET", "/v1/complete")]
    assert [e.fault_kind for e in chaos.recorder.events if hasattr(e, "fault_kind")] == [
        "http_status"
    ]


def test_client_retry_loop_recovers_after_retry_after(local_server: LocalServer) -> None:
    clock = VirtualClock(autojump=True)
    chaos = FaultInjector(seed=3, clock=clock)
    transport = ChaosTransport(httpx.HTTPTransport(), injector=chaos)
    statuses = []
    with (
        httpx.Client(transport=transport, base_url=local_server.url, timeout=5) as client,
        chaos.inject("http.*", HTTPStatus(429, retry_after=1.5), FirstN(2)),
    ):
        for _ in range(5):  # bounded
            response = client.get("/v1/complete")
            statuses.append(response.status_code)
            if response.status_code != 429:
                break
            clock.sleep(float(response.headers["retry-after-ms"]) / 1000)
    assert statuses == [429, 429, 200]
    assert clock.now() == 3.0
    assert len(local_server.requests) == 1
