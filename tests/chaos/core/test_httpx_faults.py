"""Every fault through the httpx seam, sync and async, against a real local server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from chaoslab.adapters import AsyncChaosTransport, ChaosTransport, http_point_name
from chaoslab.clock import VirtualClock
from chaoslab.errors import InjectedFault
from chaoslab.faults import (
    ConnectionRefused,
    ConnectionReset,
    DropMidStream,
    Error,
    Fault,
    Hang,
    HTTPStatus,
    Latency,
    Malformed,
    Timeout,
)
from chaoslab.inject import FaultInjector

from .conftest import SSE_EVENTS, LocalServer

pytestmark = pytest.mark.chaos_network


def _injector() -> FaultInjector:
    return FaultInjector(seed=5, clock=VirtualClock(autojump=True))


def _sync_get(server: LocalServer, chaos: FaultInjector, path: str, **kw: object) -> httpx.Response:
    transport = ChaosTransport(httpx.HTTPTransport(), injector=chaos, **kw)  # type: ignore[arg-type]
    with httpx.Client(transport=transport, base_url=server.url, timeout=5) as client:
        response = client.get(path)
        response.read()
        return response


async def _async_get(
    server: LocalServer, chaos: FaultInjector, path: str, **kw: object
) -> httpx.Response:
    transport = AsyncChaosTransport(httpx.AsyncHTTPTransport(), injector=chaos, **kw)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=server.url, timeout=5) as client:
        response = await client.get(path)
        await response.aread()
        return response


Get = Callable[..., httpx.Response]


@pytest.fixture(params=["sync", "async"])
def get(request: pytest.FixtureRequest) -> Get:
    """Call the server through the seam, from sync code or from a fresh event loop."""
    if request.param == "sync":
        return _sync_get
    return lambda *args, **kw: asyncio.run(_async_get(*args, **kw))


def test_point_names_match_method_and_url_globs(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.POST */v1/*", ConnectionRefused())  # wrong method: does not apply
    assert get(local_server, chaos, "/v1/complete?x=1").status_code == 200
    host = local_server.url.removeprefix("http://")
    assert http_point_name("GET", f"{local_server.url}/v1/complete?x=1") == (
        f"http.GET {host}/v1/complete"
    )
    assert chaos.stats(f"http.GET {host}/v1/complete").calls == 1


def test_latency_waits_on_the_clock_then_answers(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.GET *", Latency(2.5))
    response = get(local_server, chaos, "/v1/complete")
    assert response.status_code == 200
    assert chaos.clock.now() == 2.5
    assert len(local_server.requests) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_real_responses(local_server: LocalServer, get: Get, status: int) -> None:
    chaos = _injector()
    chaos.inject("http.*", HTTPStatus(status, body=b"upstream down", headers={"x-a": "1"}))
    response = get(local_server, chaos, "/v1/complete")
    assert response.status_code == status
    assert response.text == "upstream down"
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["x-a"] == "1"
    assert "retry-after" not in response.headers
    assert local_server.requests == []


def test_connection_refused_is_a_connect_error(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.*", ConnectionRefused())
    with pytest.raises(httpx.ConnectError, match="Connection refused") as info:
        get(local_server, chaos, "/v1/complete")
    assert isinstance(info.value, InjectedFault)
    assert info.value.fault == ConnectionRefused()
    assert local_server.requests == []


def test_connection_reset_is_a_read_error(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.*", ConnectionReset())
    with pytest.raises(httpx.ReadError, match="reset by peer"):
        get(local_server, chaos, "/v1/complete")


def test_timeout_waits_then_raises_read_timeout(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.*", Timeout(after=30))
    with pytest.raises(httpx.ReadTimeout):
        get(local_server, chaos, "/v1/complete")
    assert chaos.clock.now() == 30.0
    assert local_server.requests == []


def test_hang_times_out_at_the_clients_read_timeout(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.*", Hang())
    with pytest.raises(httpx.ReadTimeout):
        get(local_server, chaos, "/v1/complete")  # the client's timeout is 5 s
    assert chaos.clock.now() == 5.0


async def test_async_hang_without_timeout_waits_until_cancelled(
    local_server: LocalServer,
) -> None:
    chaos = _injector()
    chaos.inject("http.*", Hang())
    transport = AsyncChaosTransport(httpx.AsyncHTTPTransport(), injector=chaos)
    async with httpx.AsyncClient(transport=transport, timeout=None) as client:
        task = asyncio.ensure_future(client.get(f"{local_server.url}/v1/complete"))
        await chaos.clock.sleep_async(3600.0)  # an hour of virtual time passes
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert local_server.requests == []


def test_sync_hang_without_timeout_uses_the_hang_limit(local_server: LocalServer) -> None:
    chaos = _injector()
    chaos.inject("http.*", Hang(limit=90))
    transport = ChaosTransport(httpx.HTTPTransport(), injector=chaos)
    with (
        httpx.Client(transport=transport, timeout=None) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(f"{local_server.url}/v1/complete")
    assert chaos.clock.now() == 90.0


def test_error_raises_the_faults_exception(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.*", Error(httpx.PoolTimeout, message="pool exhausted"))
    with pytest.raises(httpx.PoolTimeout, match="pool exhausted"):
        get(local_server, chaos, "/v1/complete")


def test_malformed_replaces_the_real_body(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.*", Malformed())
    response = get(local_server, chaos, "/v1/complete")
    assert response.status_code == 200
    assert response.content == b'{"truncated": '
    assert response.headers["content-length"] == str(len(b'{"truncated": '))
    with pytest.raises(ValueError, match="Expecting value"):
        response.json()
    assert len(local_server.requests) == 1  # the real call happened


def test_malformed_without_upstream_is_a_synthetic_200(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.*", Malformed(payload=b"<html>oops", content_type="text/html"))
    response = get(local_server, chaos, "/v1/complete", malformed_calls_upstream=False)
    assert (response.status_code, response.text) == (200, "<html>oops")
    assert response.headers["content-type"] == "text/html"
    assert local_server.requests == []


def _read_sse_sync(server: LocalServer, chaos: FaultInjector) -> tuple[list[str], BaseException]:
    transport = ChaosTransport(httpx.HTTPTransport(), injector=chaos)
    lines: list[str] = []
    with (
        httpx.Client(transport=transport, timeout=5) as client,
        client.stream("GET", f"{server.url}/v1/stream") as response,
    ):
        try:
            lines.extend(line for line in response.iter_lines() if line)
        except httpx.HTTPError as exc:
            return lines, exc
    raise AssertionError(f"the stream did not drop: {lines}")


async def _read_sse_async(
    server: LocalServer, chaos: FaultInjector
) -> tuple[list[str], BaseException]:
    transport = AsyncChaosTransport(httpx.AsyncHTTPTransport(), injector=chaos)
    lines: list[str] = []
    async with (
        httpx.AsyncClient(transport=transport, timeout=5) as client,
        client.stream("GET", f"{server.url}/v1/stream") as response,
    ):
        try:
            # A loop, not a comprehension: the lines before the drop must be kept.
            async for line in response.aiter_lines():
                if line:
                    lines.append(line)  # noqa: PERF401
        except httpx.HTTPError as exc:
            return lines, exc
    raise AssertionError(f"the stream did not drop: {lines}")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sse_stream_drops_after_n_events(local_server: LocalServer, mode: str) -> None:
    chaos = _injector()
    chaos.inject("http.GET */v1/stream", DropMidStream(after_events=2))
    if mode == "sync":
        lines, exc = _read_sse_sync(local_server, chaos)
    else:
        lines, exc = asyncio.run(_read_sse_async(local_server, chaos))
    assert lines == ['data: {"n": 0}', 'data: {"n": 1}']
    assert isinstance(exc, httpx.RemoteProtocolError)
    assert isinstance(exc, InjectedFault)
    assert "peer closed connection" in str(exc)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stream_drops_after_n_bytes(local_server: LocalServer, mode: str) -> None:
    chaos = _injector()
    chaos.inject("http.GET */v1/stream", DropMidStream(after_bytes=20))
    received = bytearray()

    def sync_read() -> None:
        transport = ChaosTransport(httpx.HTTPTransport(), injector=chaos)
        with (
            httpx.Client(transport=transport, timeout=5) as client,
            client.stream("GET", f"{local_server.url}/v1/stream") as response,
        ):
            for chunk in response.iter_raw():
                received.extend(chunk)

    async def async_read() -> None:
        transport = AsyncChaosTransport(httpx.AsyncHTTPTransport(), injector=chaos)
        async with (
            httpx.AsyncClient(transport=transport, timeout=5) as client,
            client.stream("GET", f"{local_server.url}/v1/stream") as response,
        ):
            async for chunk in response.aiter_raw():
                received.extend(chunk)

    with pytest.raises(httpx.RemoteProtocolError):
        sync_read() if mode == "sync" else asyncio.run(async_read())
    assert bytes(received) == b'data: {"n": 0}\n\ndata'


def test_a_short_stream_ends_normally_before_the_cut(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.*", DropMidStream(after_events=SSE_EVENTS + 1))
    response = get(local_server, chaos, "/v1/stream")
    assert response.text.count("\n\n") == SSE_EVENTS


def test_no_injector_passes_straight_through(local_server: LocalServer, get: Get) -> None:
    transport_chaos = None
    response = get(local_server, transport_chaos, "/v1/complete")
    assert response.json() == {"text": "hello from the real server"}


def test_latency_then_status_applies_both(local_server: LocalServer, get: Get) -> None:
    chaos = _injector()
    chaos.inject("http.*", Latency(1.0))
    chaos.inject("http.*", HTTPStatus(503))
    assert get(local_server, chaos, "/v1/complete").status_code == 503
    assert chaos.clock.now() == 1.0
    host = local_server.url.removeprefix("http://")
    assert chaos.stats(f"http.GET {host}/v1/complete").faults == {
        "latency": 1,
        "http_status": 1,
    }


def test_latency_fired_after_status_is_waited_too(local_server: LocalServer, get: Get) -> None:
    # docs/httpx.md: latency combines with the others and is waited first,
    # whatever the order the faults were injected in.
    chaos = _injector()
    chaos.inject("http.*", HTTPStatus(503))
    chaos.inject("http.*", Latency(1.0))
    assert get(local_server, chaos, "/v1/complete").status_code == 503
    assert chaos.clock.now() == 1.0
    assert local_server.requests == []


@pytest.mark.parametrize(
    "fault", [Latency(0.1), HTTPStatus(429), DropMidStream(after_events=1), Malformed()]
)
def test_every_vocabulary_fault_is_declared_supported(fault: Fault) -> None:
    # inject() raises UnsupportedFaultError for a fault the http. family lacks.
    chaos = _injector()
    with chaos.inject("http.POST */v1/chat/*", fault) as injection:
        assert chaos.injections == (injection,)
        assert injection.fault == fault
