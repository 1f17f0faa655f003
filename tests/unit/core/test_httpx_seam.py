"""The httpx seam's pure parts: point names, the stream cutter, declared faults."""

from __future__ import annotations

import itertools
from typing import ClassVar

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic.dataclasses import dataclass

from chaoslab.adapters import (
    HTTPX_FAULTS,
    AsyncChaosTransport,
    ChaosTransport,
    StreamCutter,
    http_point_name,
)
from chaoslab.errors import InjectedError, UnsupportedFaultError
from chaoslab.faults import DropMidStream, Error, Fault, HTTPStatus, Malformed, Target
from chaoslab.faults._faults import FAULT_TYPES
from chaoslab.inject import FaultInjector, apply_sync


@dataclass(frozen=True)
class Bandwidth(Fault):
    """A fault the httpx seam cannot apply (a byte-rate limit)."""

    kind: ClassVar[str] = "bandwidth"
    rate: int = 1


@pytest.mark.parametrize(
    ("method", "url", "name"),
    [
        ("get", "https://api.example.com/v1/complete", "http.GET api.example.com/v1/complete"),
        ("POST", "http://127.0.0.1:8080/v1/chat/x?stream=1", "http.POST 127.0.0.1:8080/v1/chat/x"),
        ("GET", "https://api.example.com", "http.GET api.example.com/"),
        ("DELETE", "http://[::1]:9/a", "http.DELETE ::1:9/a"),
    ],
)
def test_point_names(method: str, url: str, name: str) -> None:
    assert http_point_name(method, url) == name


@pytest.mark.parametrize(
    ("pattern", "url", "hit"),
    [
        ("http.POST */v1/chat/*", "https://api.openai.com/v1/chat/completions", True),
        ("http.POST */v1/chat/*", "https://api.openai.com/v1/embeddings", False),
        ("http.* api.example.com/*", "https://api.example.com/v1/x", True),
        ("http.* api.example.com/*", "https://other.example.com/v1/x", False),
    ],
)
def test_targets_match_method_and_url(pattern: str, url: str, hit: bool) -> None:
    assert Target(pattern).matches(http_point_name("POST", url)) is hit


def test_every_vocabulary_fault_is_supported() -> None:
    assert set(FAULT_TYPES.values()) == set(HTTPX_FAULTS)


def test_an_unsupported_fault_fails_at_inject_time() -> None:
    chaos = FaultInjector(seed=1)
    with pytest.raises(UnsupportedFaultError, match=r"'http\.\*' cannot apply 'bandwidth'"):
        chaos.inject("http.POST */v1/chat/*", Bandwidth())
    with pytest.raises(UnsupportedFaultError):
        chaos.inject("*", Bandwidth())
    # A target that cannot reach an http point is not the seam's business.
    chaos.inject("myapp.*", Bandwidth()).remove()
    assert chaos.injections == ()


def test_transport_without_faults_is_a_pass_through() -> None:
    seen: list[str] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(201, content=b"made")

    chaos = FaultInjector(seed=1)
    chaos.inject("http.GET *", HTTPStatus(500))
    with httpx.Client(transport=ChaosTransport(httpx.MockTransport(upstream), chaos)) as client:
        response = client.post("https://x.test/a")
    assert (response.status_code, response.content, seen) == (201, b"made", ["https://x.test/a"])


def _cut_all(fault: DropMidStream, chunks: list[bytes]) -> tuple[bytes, bool]:
    cutter = StreamCutter(fault)
    out = bytearray()
    cut = cutter.cut
    for chunk in chunks:
        if cut:
            break
        passed, cut = cutter.feed(chunk)
        out.extend(passed)
    return bytes(out), cut


def test_an_injected_error_knows_its_fault_as_at_generic_points() -> None:
    def upstream(request: httpx.Request) -> httpx.Response:
        raise AssertionError("an Error fault must not reach upstream")

    fault = Error(InjectedError)
    chaos = FaultInjector(seed=1)
    chaos.inject("http.*", fault)
    transport = ChaosTransport(httpx.MockTransport(upstream), chaos)
    with httpx.Client(transport=transport) as client, pytest.raises(InjectedError) as raised:
        client.get("https://x.test/a")
    assert raised.value.fault == fault
    with pytest.raises(InjectedError) as generic:
        apply_sync([fault], chaos.clock)
    assert generic.value.fault == raised.value.fault


def test_cut_after_zero_bytes_or_events_cuts_before_anything() -> None:
    assert StreamCutter(DropMidStream(after_bytes=0)).cut
    assert StreamCutter(DropMidStream(after_events=0)).cut


def test_event_terminators_split_across_chunks_count_once() -> None:
    chunks = [b"data: a\n", b"\ndata: b\n\n", b"\ndata: c\n\n"]
    assert _cut_all(DropMidStream(after_events=2), chunks) == (b"data: a\n\ndata: b\n\n", True)
    # The third "\n" after "b\n\n" must not pair with the previous one.
    assert _cut_all(DropMidStream(after_events=3), chunks) == (b"".join(chunks), True)
    assert _cut_all(DropMidStream(after_events=4), chunks) == (b"".join(chunks), False)


SSE = st.lists(st.text(alphabet="abc:", max_size=6), min_size=1, max_size=8).map(
    lambda events: b"".join(f"data: {e}\n\n".encode() for e in events)
)


@given(body=SSE, cuts=st.lists(st.integers(0, 60), max_size=6), n=st.integers(0, 10))
def test_event_cut_is_independent_of_chunking(body: bytes, cuts: list[int], n: int) -> None:
    bounds = sorted({min(c, len(body)) for c in cuts} | {0, len(body)})
    chunks = [body[a:b] for a, b in itertools.pairwise(bounds)]
    passed, cut = _cut_all(DropMidStream(after_events=n), chunks)
    events = body.split(b"\n\n")[:-1]
    if n <= len(events):
        assert cut
        assert passed == b"".join(e + b"\n\n" for e in events[:n])
    else:
        assert (passed, cut) == (body, False)


@given(body=st.binary(max_size=80), cuts=st.lists(st.integers(0, 80)), n=st.integers(0, 100))
def test_byte_cut_is_independent_of_chunking(body: bytes, cuts: list[int], n: int) -> None:
    bounds = sorted({min(c, len(body)) for c in cuts} | {0, len(body)})
    chunks = [body[a:b] for a, b in itertools.pairwise(bounds)]
    passed, cut = _cut_all(DropMidStream(after_bytes=n), chunks)
    assert passed == body[:n]
    assert cut == (n <= len(body))


async def test_malformed_then_cut_in_both_modes() -> None:
    # A Malformed body is an httpx.ByteStream, sync and async at once: the
    # transport's mode, not the stream's type, must pick the cut stream.
    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"real")

    chaos = FaultInjector(seed=1)
    chaos.inject("http.*", Malformed(payload=b"0123456789"))
    chaos.inject("http.*", DropMidStream(after_bytes=4))
    sync = httpx.Client(transport=ChaosTransport(httpx.MockTransport(upstream), chaos))
    with sync, sync.stream("GET", "https://x.test/a") as response:
        sync_chunks: list[bytes] = []
        with pytest.raises(httpx.RemoteProtocolError):
            sync_chunks.extend(response.iter_raw())
    transport = AsyncChaosTransport(httpx.MockTransport(upstream), chaos)
    async with (
        httpx.AsyncClient(transport=transport) as client,
        client.stream("GET", "https://x.test/a") as streamed,
    ):
        async_chunks: list[bytes] = []

        async def read_all() -> None:
            async for chunk in streamed.aiter_raw():
                async_chunks.append(chunk)  # noqa: PERF401 - keep what came before the cut

        with pytest.raises(httpx.RemoteProtocolError):
            await read_all()
    assert b"".join(sync_chunks) == b"".join(async_chunks) == b"0123"
