"""The chaos_proxy fixture from sync and async tests, and the sync server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from chaoslab.proxy import SyncProxyServer
from chaoslab.proxy._fixtures import ChaosProxy


def round_trip(listen: str) -> float:
    host, port = listen.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        start = time.perf_counter()
        s.sendall(b"ping")
        assert s.recv(4) == b"ping"
        return time.perf_counter() - start


def test_sync_test_with_latency(chaos_proxy: ChaosProxy, sync_echo: int) -> None:
    proxy = chaos_proxy(("127.0.0.1", sync_echo))
    with proxy.latency(150):
        assert round_trip(proxy.listen) >= 0.15
    assert round_trip(proxy.listen) < 0.1


async def test_async_test_shares_the_session_server(
    chaos_proxy: ChaosProxy, sync_echo: int
) -> None:
    proxy = chaos_proxy.front("127.0.0.1", sync_echo)
    host, port = proxy.listen.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    with proxy.latency(60):
        start = time.perf_counter()
        writer.write(b"hi")
        assert await asyncio.wait_for(reader.readexactly(2), 5) == b"hi"
        assert time.perf_counter() - start >= 0.06
    with proxy.down(), pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(host, int(port))
    writer.close()


def test_cleanup_deletes_and_resets(chaos_proxy: ChaosProxy, sync_echo: int) -> None:
    proxy = chaos_proxy(f"127.0.0.1:{sync_echo}", name="cleaned")
    proxy.latency(10)
    chaos_proxy.cleanup()
    assert "cleaned" not in chaos_proxy.server.proxies


def test_sync_server_start_close_leaves_no_thread(sync_echo: int) -> None:
    def proxy_threads() -> set[threading.Thread]:
        # Only the server's own loop threads: the echo server's handler threads
        # end on their own schedule once the proxy closes their connections.
        return {t for t in threading.enumerate() if t.name == "chaoslab-proxy"}

    threads = proxy_threads()
    with SyncProxyServer(seed=3) as server:
        proxy = server.create("s", upstream=f"127.0.0.1:{sync_echo}")
        proxy.add_toxic("latency", attributes={"latency": 150})
        assert round_trip(proxy.listen) >= 0.15
        server.update("s", enabled=False)
        with pytest.raises(ConnectionRefusedError):
            round_trip(proxy.listen)
        server.reset()  # enabled again, toxic gone
        assert round_trip(proxy.listen) < 0.1
        assert proxy.toxics == []
    assert proxy_threads() <= threads


def test_run_in_thread_gives_a_sync_facade(sync_echo: int) -> None:
    from chaoslab.proxy import ProxyServer

    sync = ProxyServer(seed=9).run_in_thread()
    try:
        proxy = sync.create("t", upstream=f"127.0.0.1:{sync_echo}")
        with proxy.latency(40):
            assert round_trip(proxy.listen) >= 0.04
        assert sync.proxies["t"] is proxy
        assert sync.seed == 9
    finally:
        sync.close()
