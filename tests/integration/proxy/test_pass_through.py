"""No toxic: bytes, half-close, disable, delete, stats, events, safety."""

from __future__ import annotations

import asyncio
import hashlib
import random
import socket

import pytest

from chaoslab.errors import ConfigError, ProxyError
from chaoslab.proxy import (
    ConnectionClosed,
    ConnectionOpened,
    Proxy,
    ProxyExists,
    ProxyNotFound,
    ProxyServer,
    ToxicExists,
    ToxicNotFound,
)

from .conftest import EchoServer, connect, read_n, until


async def test_bulk_bytes_arrive_intact_both_ways(proxy: Proxy) -> None:
    payload = random.Random(1).randbytes(4 << 20)
    reader, writer = await connect(proxy)

    async def send() -> None:
        writer.write(payload)
        await writer.drain()
        writer.write_eof()

    sender = asyncio.create_task(send())
    echoed = await asyncio.wait_for(reader.read(-1), 20)  # until EOF: half-close went round
    await sender
    assert hashlib.sha256(echoed).digest() == hashlib.sha256(payload).digest()
    writer.close()
    stats = proxy.stats
    assert stats.bytes_upstream == stats.bytes_downstream == len(payload)


async def test_half_close_is_passed_through(server: ProxyServer) -> None:
    got: list[bytes] = []
    done = asyncio.Event()

    async def upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.append(await reader.read(-1))  # returns only once the client's FIN arrived
        writer.write(b"reply after your FIN")
        await writer.drain()
        writer.close()
        done.set()

    up = await asyncio.start_server(upstream, "127.0.0.1", 0)
    proxy = await server.create("half", upstream=f"127.0.0.1:{up.sockets[0].getsockname()[1]}")
    reader, writer = await connect(proxy)
    writer.write(b"request")
    writer.write_eof()
    assert await asyncio.wait_for(reader.read(-1), 10) == b"reply after your FIN"
    await done.wait()
    assert got == [b"request"]
    writer.close()
    up.close()
    await up.wait_closed()


async def test_disable_refuses_and_closes_then_enable_listens_on_the_same_port(
    server: ProxyServer, proxy: Proxy
) -> None:
    reader, writer = await connect(proxy)
    writer.write(b"hi")
    assert await read_n(reader, 2) == b"hi"
    listen = proxy.listen
    await server.update("echo", enabled=False)
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the proxy
    with pytest.raises(ConnectionRefusedError):
        await connect(proxy)
    await server.update("echo", enabled=True)
    assert proxy.listen == listen
    reader, writer2 = await connect(proxy)
    writer2.write(b"back")
    assert await read_n(reader, 4) == b"back"
    writer.close()
    writer2.close()


async def test_down_shortcut(proxy: Proxy) -> None:
    with proxy.down():
        assert not proxy.enabled
        with pytest.raises(ConnectionRefusedError):
            await connect(proxy)
    reader, writer = await connect(proxy)
    writer.write(b"up")
    assert await read_n(reader, 2) == b"up"
    writer.close()


async def test_delete_closes_connections(server: ProxyServer, proxy: Proxy) -> None:
    reader, writer = await connect(proxy)
    writer.write(b"x")
    await read_n(reader, 1)
    await server.delete("echo")
    assert await asyncio.wait_for(reader.read(), 5) == b""
    assert "echo" not in server.proxies
    with pytest.raises(ProxyNotFound):
        server.get("echo")
    with pytest.raises(ProxyNotFound):
        await server.delete("echo")
    writer.close()


async def test_registry_errors_change_nothing(server: ProxyServer, proxy: Proxy) -> None:
    before = proxy.to_dict()
    with pytest.raises(ProxyExists):
        await server.create("echo", upstream="127.0.0.1:1")
    with pytest.raises(ConfigError):
        await server.create("", upstream="127.0.0.1:1")
    with pytest.raises(ConfigError) as info:
        await server.create("x", upstream="nohost")
    assert info.value.problems[0][0] == "upstream"
    proxy.add_toxic("latency", attributes={"latency": 5})
    with pytest.raises(ToxicExists):
        proxy.add_toxic("latency", attributes={"latency": 9})
    with pytest.raises(ToxicExists):  # names are unique across both streams
        proxy.add_toxic("noop", name="latency_downstream", stream="upstream")
    with pytest.raises(ConfigError):
        proxy.add_toxic("latency", name="other", attributes={"latency": -3})
    with pytest.raises(ConfigError):
        proxy.update_toxic("latency_downstream", attributes={"jitter": -1})
    with pytest.raises(ToxicNotFound):
        proxy.remove_toxic("nope")
    with pytest.raises(ConfigError):
        await server.update("echo", upstream="10.1.2.3:80")
    assert proxy.toxics[0].attributes == {"latency": 5, "jitter": 0}
    proxy.remove_toxic("latency_downstream")
    assert proxy.to_dict() == before
    assert list(server.proxies) == ["echo"]


async def test_remote_upstreams_are_refused_unless_allowed() -> None:
    async with ProxyServer() as server:
        with pytest.raises(ConfigError, match="allow_remote_upstreams=True"):
            await server.create("remote", upstream="192.0.2.1:80")
        assert not server.proxies
    async with ProxyServer(allow_remote_upstreams=True) as server:
        proxy = await server.create("remote", upstream="192.0.2.1:80", enabled=False)
        assert proxy.upstream == "192.0.2.1:80"


async def test_listener_binds_loopback_by_default(proxy: Proxy) -> None:
    assert proxy.listen.startswith("127.0.0.1:")


async def test_bind_failure_changes_nothing(server: ProxyServer, proxy: Proxy) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    old = proxy.listen
    with pytest.raises(ProxyError):
        await server.update("echo", listen=f"127.0.0.1:{port}")
    assert proxy.listen == old
    assert proxy.enabled
    with pytest.raises(ProxyError):
        await server.create("other", upstream="127.0.0.1:1", listen=f"127.0.0.1:{port}")
    assert "other" not in server.proxies
    with pytest.raises(ProxyError):
        await server.populate(
            [
                {"name": "a", "upstream": "127.0.0.1:1"},
                {"name": "b", "upstream": "127.0.0.1:1", "listen": f"127.0.0.1:{port}"},
            ]
        )
    assert list(server.proxies) == ["echo"]
    taken.close()


async def test_populate_keeps_identical_and_replaces_changed(
    server: ProxyServer, proxy: Proxy, echo: EchoServer
) -> None:
    proxy.add_toxic("noop")
    same = {"name": "echo", "listen": proxy.listen, "upstream": proxy.upstream}
    out = await server.populate([same, {"name": "new", "upstream": f"127.0.0.1:{echo.port}"}])
    assert out[0] is proxy
    assert [t.name for t in proxy.toxics] == ["noop_downstream"]
    changed = {**same, "upstream": f"localhost:{echo.port}"}
    out = await server.populate([changed])
    assert out[0] is not proxy
    assert out[0].toxics == []
    with pytest.raises(ConfigError, match="at proxy 2"):
        await server.populate([same, {"upstream": "127.0.0.1:1"}])


async def test_reset_enables_and_clears(server: ProxyServer, proxy: Proxy) -> None:
    proxy.add_toxic("latency", attributes={"latency": 100})
    await server.update("echo", enabled=False)
    await server.reset()
    assert proxy.enabled
    assert proxy.toxics == []


async def test_connection_events_and_stats(server: ProxyServer, proxy: Proxy) -> None:
    reader, writer = await connect(proxy)
    writer.write(b"12345")
    await read_n(reader, 5)
    writer.close()
    await writer.wait_closed()
    assert await until(lambda: bool(server.recorder.of_type(ConnectionClosed)))
    opened = server.recorder.of_type(ConnectionOpened)
    closed = server.recorder.of_type(ConnectionClosed)
    assert len(opened) == len(closed) == 1
    assert (closed[0].bytes_upstream, closed[0].bytes_downstream) == (5, 5)
    stats = proxy.stats.to_dict()
    assert stats["connections_total"] == 1
    assert stats["connections_active"] == 0


async def test_unreachable_upstream_closes_the_client(server: ProxyServer) -> None:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    proxy = await server.create("dead", upstream=f"127.0.0.1:{port}")
    reader, writer = await connect(proxy)
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
