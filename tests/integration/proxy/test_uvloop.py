"""The same data path on uvloop (SyncProxyServer's loop), with blocking clients."""

from __future__ import annotations

import hashlib
import random
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from chaoslab.proxy import Proxy, SyncProxyServer

pytest.importorskip("uvloop", reason="uvloop is the `fast` extra; these tests cover its loop")


@pytest.fixture
def uv_proxy(sync_echo: int) -> Iterator[Proxy]:
    with SyncProxyServer(seed=5, use_uvloop=True) as server:
        assert type(server.server.loop).__module__.startswith("uvloop")
        yield server.create("uv", upstream=f"127.0.0.1:{sync_echo}")


def client(proxy: Proxy) -> socket.socket:
    host, port = proxy.listen.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=5)


def test_bulk_integrity_and_half_close(uv_proxy: Proxy) -> None:
    payload = random.Random(3).randbytes(2 << 20)
    with client(uv_proxy) as s:

        def send() -> None:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        got = bytearray()
        while chunk := s.recv(65536):
            got += chunk
        sender.join()
    assert hashlib.sha256(got).digest() == hashlib.sha256(payload).digest()


def test_first_bytes_are_never_lost(uv_proxy: Proxy) -> None:
    # uvloop starts reading inside connection_made: data sent at once must survive.
    for i in range(20):
        with client(uv_proxy) as s:
            s.sendall(f"hello {i}".encode())
            assert s.recv(100) == f"hello {i}".encode()


def test_latency_limit_data_and_reset_on_uvloop(uv_proxy: Proxy) -> None:
    with uv_proxy.latency(50), client(uv_proxy) as s:
        start = time.perf_counter()
        s.sendall(b"x")
        assert s.recv(1) == b"x"
        assert time.perf_counter() - start >= 0.05
    with uv_proxy.limit_data(100), client(uv_proxy) as s:
        s.sendall(bytes(1000))
        got = b""
        while chunk := s.recv(4096):
            got += chunk
        assert len(got) == 100
    with uv_proxy.reset_peer(0), client(uv_proxy) as s:
        s.sendall(b"x")
        with pytest.raises(ConnectionResetError):
            s.recv(10)
