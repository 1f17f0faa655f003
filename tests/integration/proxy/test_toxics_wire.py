"""Every toxic, both directions, between a real client and a real echo server.

Tolerances (real sockets on a shared 2-core machine, where another job can
stall a process for tens of ms): latency at least latency - jitter, median
at most latency + jitter + 15 ms; bandwidth within 10 % of the rate over a
1 s transfer; slicer reads of at most average + variation bytes (median; a
stall may merge two pieces); limit_data exactly N bytes; timeout stalls then
closes within 300 ms of its timeout. Delays are only ever checked from below
tightly: a toxic never lets data through early.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from chaoslab.proxy import Proxy, ProxyServer

from .conftest import EchoServer, connect, read_n

STREAMS = ["upstream", "downstream"]


async def rtt(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, msg: bytes) -> float:
    start = time.perf_counter()
    writer.write(msg)
    await read_n(reader, len(msg))
    return time.perf_counter() - start


@pytest.mark.parametrize("stream", STREAMS)
async def test_latency_with_jitter(proxy: Proxy, stream: str) -> None:
    reader, writer = await connect(proxy)
    assert await rtt(reader, writer, b"warm") < 0.09
    with proxy.latency(100, jitter=10, stream=stream):
        samples = sorted([await rtt(reader, writer, b"ping") for _ in range(8)])
    assert samples[0] >= 0.090
    assert samples[len(samples) // 2] <= 0.125
    assert await rtt(reader, writer, b"after") < 0.09  # removal: back to the fast path
    writer.close()


@pytest.mark.parametrize("stream", STREAMS)
async def test_bandwidth_within_ten_percent(proxy: Proxy, stream: str) -> None:
    reader, writer = await connect(proxy)
    payload = bytes(400_000)
    with proxy.bandwidth(400, stream=stream):  # 400 KB/s: 1 s
        start = time.perf_counter()
        writer.write(payload)
        await read_n(reader, len(payload))
        elapsed = time.perf_counter() - start
    rate = len(payload) / elapsed / 1000
    assert 360 <= rate <= 440, rate
    writer.close()


async def test_slicer_downstream_read_sizes(proxy: Proxy) -> None:
    reader, writer = await connect(proxy)
    with proxy.slicer(100, 20, 10_000):  # pieces of at most 120 bytes, 10 ms apart
        writer.write(bytes(1500))
        sizes = []
        got = 0
        while got < 1500:
            chunk = await asyncio.wait_for(reader.read(65536), 5)
            sizes.append(len(chunk))
            got += len(chunk)
    assert got == 1500
    assert len(sizes) >= 10
    assert sorted(sizes)[len(sizes) // 2] <= 120
    writer.close()


async def test_slicer_upstream_reaches_the_server_in_pieces(proxy: Proxy, echo: EchoServer) -> None:
    reader, writer = await connect(proxy)
    with proxy.slicer(100, 20, 10_000, stream="upstream"):
        writer.write(bytes(1500))
        await read_n(reader, 1500)
    assert len(echo.sizes) >= 10
    assert sorted(echo.sizes)[len(echo.sizes) // 2] <= 120
    writer.close()


@pytest.mark.parametrize("stream", STREAMS)
async def test_limit_data_closes_after_exactly_n_bytes(
    proxy: Proxy, echo: EchoServer, stream: str
) -> None:
    proxy.limit_data(1234, stream=stream)
    reader, writer = await connect(proxy)
    writer.write(bytes(5000))
    data = await asyncio.wait_for(reader.read(-1), 5)
    assert len(data) == 1234
    if stream == "upstream":
        assert echo.received == 1234
    writer.close()


@pytest.mark.parametrize("stream", STREAMS)
async def test_reset_peer_gives_econnreset(proxy: Proxy, stream: str) -> None:
    proxy.reset_peer(50, stream=stream)
    reader, writer = await connect(proxy)
    writer.write(b"hello")
    start = time.perf_counter()
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(100), 5)
    assert time.perf_counter() - start >= 0.045
    writer.close()


@pytest.mark.parametrize("stream", STREAMS)
async def test_timeout_stalls_then_closes(proxy: Proxy, stream: str) -> None:
    proxy.timeout(300, stream=stream)
    reader, writer = await connect(proxy)
    start = time.perf_counter()
    writer.write(b"anyone?")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(100), 0.15)  # stalls: no data
    try:
        data = await asyncio.wait_for(reader.read(100), 5)
    except ConnectionResetError:
        data = b""
    elapsed = time.perf_counter() - start
    assert data == b""  # then closed
    assert 0.29 <= elapsed <= 0.6, elapsed
    writer.close()


async def test_timeout_zero_stalls_without_closing(proxy: Proxy) -> None:
    with proxy.timeout(0):
        reader, writer = await connect(proxy)
        writer.write(b"x")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.3)
    writer.close()


async def test_slow_close_delays_the_fin(server: ProxyServer) -> None:
    async def upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"bye")
        await writer.drain()
        writer.close()

    up = await asyncio.start_server(upstream, "127.0.0.1", 0)
    proxy = await server.create("sc", upstream=f"127.0.0.1:{up.sockets[0].getsockname()[1]}")
    proxy.slow_close(300)
    reader, writer = await connect(proxy)
    start = time.perf_counter()
    assert await read_n(reader, 3) == b"bye"
    assert time.perf_counter() - start < 0.25
    assert await asyncio.wait_for(reader.read(), 5) == b""
    assert time.perf_counter() - start >= 0.29
    writer.close()
    up.close()


@pytest.mark.parametrize("stream", STREAMS)
async def test_blackhole_accepts_and_never_answers(proxy: Proxy, stream: str) -> None:
    proxy.blackhole(stream=stream)
    reader, writer = await connect(proxy)
    writer.write(b"hello?")
    writer.write_eof()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.3)
    assert proxy.connections == 1  # half-open: still there
    writer.close()


@pytest.mark.parametrize("stream", STREAMS)
async def test_corrupt_flips_bytes_but_keeps_length(proxy: Proxy, stream: str) -> None:
    proxy.corrupt(0.1, stream=stream)
    reader, writer = await connect(proxy)
    writer.write(bytes(20_000))
    data = await read_n(reader, 20_000)
    flipped = sum(1 for b in data if b)
    assert 1500 < flipped < 2500
    writer.close()


async def _read_until_error(reader: asyncio.StreamReader, got: bytearray) -> None:
    while True:
        chunk = await asyncio.wait_for(reader.read(65536), 5)
        assert chunk, "expected a reset, got a clean end of stream"
        got += chunk


@pytest.mark.parametrize("stream", STREAMS)
async def test_drop_after_bytes_then_reset(proxy: Proxy, stream: str) -> None:
    proxy.drop(1000, stream=stream)
    reader, writer = await connect(proxy)
    writer.write(bytes(4000))
    got = bytearray()
    with pytest.raises(ConnectionResetError):
        await _read_until_error(reader, got)
    assert len(got) <= 1000
    if stream == "downstream":
        assert len(got) == 1000
    writer.close()


async def test_toxicity_zero_never_applies(proxy: Proxy) -> None:
    proxy.latency(500, toxicity=0.0)
    reader, writer = await connect(proxy)
    assert await rtt(reader, writer, b"fast") < 0.1
    writer.close()


async def test_toxic_added_to_a_live_connection(proxy: Proxy) -> None:
    reader, writer = await connect(proxy)
    assert await rtt(reader, writer, b"a") < 0.09
    handle = proxy.latency(250)
    assert await rtt(reader, writer, b"b") >= 0.25
    handle.toxic = proxy.update_toxic(handle.toxic.name, attributes={"latency": 100})
    assert 0.1 <= await rtt(reader, writer, b"c") < 0.24
    handle.remove()
    assert await rtt(reader, writer, b"d") < 0.09
    writer.close()


async def test_slow_close_upstream_delays_the_clients_fin(server: ProxyServer) -> None:
    seen: list[float] = []

    async def upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # until the client's FIN arrives through the proxy
        seen.append(time.perf_counter())
        writer.write(b"done")
        await writer.drain()
        writer.close()

    up = await asyncio.start_server(upstream, "127.0.0.1", 0)
    proxy = await server.create("scu", upstream=f"127.0.0.1:{up.sockets[0].getsockname()[1]}")
    proxy.slow_close(250, stream="upstream")
    reader, writer = await connect(proxy)
    writer.write(b"request")
    start = time.perf_counter()
    writer.write_eof()
    assert await asyncio.wait_for(reader.read(-1), 5) == b"done"
    assert seen[0] - start >= 0.24
    writer.close()
    up.close()
