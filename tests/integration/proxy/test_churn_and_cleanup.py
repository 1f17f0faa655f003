"""Integrity under toxic churn, backpressure with a slow reader, cleanup, and Redis."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import random
import time
from typing import Any
from urllib.parse import urlparse

import pytest

from chaoslab.proxy import Proxy, ProxyServer, ToxicNotFound

from .conftest import EchoServer, connect, hold, send_blocked, until


@pytest.mark.parametrize("seed", [7, 8])
async def test_every_byte_once_in_order_while_toxics_churn(proxy: Proxy, seed: int) -> None:
    rng = random.Random(seed)
    payload = rng.randbytes(3 << 20)
    reader, writer = await connect(proxy)
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("latency", {"latency": 3, "jitter": 2}),
        ("bandwidth", {"rate": 20_000}),
        ("slicer", {"average_size": 2000, "size_variation": 500, "delay": 20}),
        ("slow_close", {"delay": 5}),
        ("noop", {}),
    ]
    done = asyncio.Event()

    async def churn() -> int:
        names: list[str] = []
        changes = 0
        while not done.is_set() and changes < 400:
            roll = rng.random()
            if roll < 0.45 or not names:
                kind, attrs = rng.choice(kinds)
                name = f"t{changes}"
                stream = rng.choice(["upstream", "downstream"])
                proxy.add_toxic(kind, name=name, stream=stream, attributes=attrs,
                                toxicity=rng.choice([0.0, 0.5, 1.0]))  # fmt: skip
                names.append(name)
            elif roll < 0.8:
                proxy.remove_toxic(names.pop(rng.randrange(len(names))))
            else:
                proxy.update_toxic(rng.choice(names), toxicity=rng.random())
            changes += 1
            await asyncio.sleep(rng.random() * 0.002)
        return changes

    async def send() -> None:
        pos = 0
        while pos < len(payload):
            n = rng.randint(1, 32 * 1024)
            writer.write(payload[pos : pos + n])
            await writer.drain()
            pos += n
            await asyncio.sleep(rng.random() * 0.002)  # spread the stream over the churn
        writer.write_eof()

    churner = asyncio.create_task(churn())
    sender = asyncio.create_task(send())
    try:
        echoed = await asyncio.wait_for(reader.read(-1), 40)
    finally:
        done.set()
        writer.close()
    await sender
    changes = await churner
    assert changes > 20
    assert len(echoed) == len(payload)
    assert hashlib.sha256(echoed).digest() == hashlib.sha256(payload).digest()


async def test_a_slow_reader_never_makes_the_proxy_buffer_without_bound(
    server: ProxyServer,
) -> None:
    sent = 0
    stop = asyncio.Event()
    senders: list[asyncio.StreamWriter] = []

    async def firehose(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        senders.append(writer)
        block = bytes(256 * 1024)
        while not stop.is_set():
            writer.write(block)
            await writer.drain()  # blocks once the proxy stops reading
            sent += len(block)
        writer.close()

    up = await asyncio.start_server(firehose, "127.0.0.1", 0)
    proxy = await server.create("fire", upstream=f"127.0.0.1:{up.sockets[0].getsockname()[1]}")
    proxy.latency(1)  # the toxic path too: its queue must stay bounded
    _reader, writer = await connect(proxy)

    def stalled() -> bool:  # the client reads nothing: the proxy must stop the sender
        # Steady state only: the proxy's writes to the client are blocked too (a full
        # toxic queue alone pauses the source for a moment, until the pump drains it).
        conns = list(proxy._conns.values())
        if not conns or conns[0].downstream is None:
            return False
        return (
            conns[0].downstream.source_paused
            and send_blocked(conns[0].client.transport)
            and send_blocked(senders[0].transport)
        )

    assert await until(stalled), f"no backpressure; {sent} bytes sent"
    (conn,) = proxy._conns.values()
    assert conn.downstream is not None
    assert conn.client.transport is not None
    held = conn.downstream._queued + conn.client.transport.get_write_buffer_size()
    assert held < 4 << 20, held  # bounded by the high-water marks, not by the sender
    assert sent < 64 << 20  # and the sender was stopped by backpressure
    before = sent
    await hold()
    assert sent - before <= 1 << 20  # stalled, not streaming into memory
    assert stalled()
    stop.set()
    writer.close()
    up.close()


async def test_a_slow_upstream_never_makes_the_proxy_buffer_without_bound(
    server: ProxyServer,
) -> None:
    held_open: list[asyncio.StreamWriter] = []

    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held_open.append(writer)  # accepts, never reads

    up = await asyncio.start_server(deaf, "127.0.0.1", 0)
    proxy = await server.create("deaf", upstream=f"127.0.0.1:{up.sockets[0].getsockname()[1]}")
    _reader, writer = await connect(proxy)
    sent = 0
    block = bytes(256 * 1024)

    async def firehose() -> None:
        nonlocal sent
        while True:
            writer.write(block)
            await writer.drain()
            sent += len(block)

    task = asyncio.create_task(firehose())

    def stalled() -> bool:  # the upstream reads nothing: the proxy must stop the client
        conns = list(proxy._conns.values())
        link = conns[0].upstream if conns else None
        return link is not None and link.source_paused and send_blocked(writer.transport)

    assert await until(stalled), f"no backpressure; {sent} bytes sent"
    (conn,) = proxy._conns.values()
    assert conn.upstream_side.transport is not None
    assert conn.upstream_side.transport.get_write_buffer_size() < 4 << 20
    assert sent < 64 << 20
    before = sent
    await hold()
    assert sent - before <= 1 << 20  # the client is blocked, not buffered in the proxy
    assert stalled()
    task.cancel()
    writer.close()
    for w in held_open:
        w.close()
    up.close()


async def test_close_leaves_no_listener_connection_or_task(echo: EchoServer) -> None:
    before = set(asyncio.all_tasks())
    server = ProxyServer()
    async with server:
        proxy = await server.create("tmp", upstream=f"127.0.0.1:{echo.port}")
        proxy.latency(5)
        clients = [await connect(proxy) for _ in range(5)]
        for reader, writer in clients:
            writer.write(b"x")
            await reader.readexactly(1)
    for reader, _ in clients:
        assert await asyncio.wait_for(reader.read(), 5) == b""
    for _, writer in clients:
        writer.close()
    with pytest.raises(ConnectionRefusedError):
        await connect(proxy)
    assert proxy.connections == 0
    for _ in range(50):
        left = {t for t in asyncio.all_tasks() - before if not t.done()}
        current = asyncio.current_task()
        if current is not None:
            left.discard(current)
        if not left:
            break
        await asyncio.sleep(0.01)
    assert not left, left
    gc.collect()


async def test_latency_through_real_redis(server: ProxyServer, redis_server: Any) -> None:
    import redis.asyncio as aredis

    url = urlparse(redis_server.url)
    proxy = await server.create("redis", upstream=f"{url.hostname}:{url.port}")
    host, port = proxy.listen.rsplit(":", 1)
    client = aredis.Redis(host=host, port=int(port), socket_timeout=5)
    try:
        assert await client.ping()
        with proxy.latency(100, jitter=10):
            start = time.perf_counter()
            await client.set("chaoslab:proxy", "v")
            assert await client.get("chaoslab:proxy") == b"v"
            elapsed = time.perf_counter() - start
        assert 0.18 <= elapsed < 0.35  # two round trips, each 100 ± 10 ms
        start = time.perf_counter()
        await client.ping()
        assert time.perf_counter() - start < 0.09
        with proxy.down(), pytest.raises(aredis.ConnectionError):
            await client.ping()
        assert await client.ping()
    finally:
        await client.aclose()


async def test_shortcut_handles_are_idempotent(proxy: Proxy, server: ProxyServer) -> None:
    handle = proxy.latency(10)
    await server.reset()
    handle.remove()  # already gone: no error
    with pytest.raises(ToxicNotFound):
        proxy.remove_toxic(handle.toxic.name)
