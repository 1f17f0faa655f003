"""Real sockets on 127.0.0.1: an echo server, a sink/source server, a proxy server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from chaoslab.proxy import Proxy, ProxyServer


class EchoServer:
    """Echoes every byte; passes the client's half-close back as its own."""

    def __init__(self) -> None:
        self.received = 0
        self.sizes: list[int] = []
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while data := await reader.read(65536):
                self.received += len(data)
                self.sizes.append(len(data))
                writer.write(data)
                await writer.drain()
            writer.write_eof()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def __aenter__(self) -> EchoServer:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.close()
        await self.server.wait_closed()


@pytest.fixture
async def echo() -> AsyncIterator[EchoServer]:
    async with EchoServer() as server:
        yield server


@pytest.fixture
async def server() -> AsyncIterator[ProxyServer]:
    async with ProxyServer(seed=1234) as srv:
        yield srv


@pytest.fixture
async def proxy(server: ProxyServer, echo: EchoServer) -> Proxy:
    return await server.create("echo", upstream=f"127.0.0.1:{echo.port}")


async def connect(proxy: Proxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client connected through the proxy."""
    host, port = proxy.listen.rsplit(":", 1)
    return await asyncio.open_connection(host, int(port))


async def read_n(reader: asyncio.StreamReader, n: int, timeout: float = 10.0) -> bytes:
    """Exactly n bytes, or fail after `timeout` s (a stuck proxy must not hang the suite)."""
    return await asyncio.wait_for(reader.readexactly(n), timeout)


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll `condition` until it holds (True) or `timeout` s pass (False)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.005)
    return True


def send_blocked(transport: asyncio.WriteTransport | None) -> bool:
    """True while `transport` is over its high-water mark: writers wait for the peer."""
    if transport is None:
        return False
    return transport.get_write_buffer_size() > transport.get_write_buffer_limits()[1]


async def hold(turns: int = 200) -> None:
    """Let the loop run `turns` times: reads ready on loopback sockets are served."""
    for _ in range(turns):
        await asyncio.sleep(0)


@pytest.fixture
def sync_echo() -> Iterator[int]:
    """A threaded echo server (blocking sockets): the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        conns = []
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conns.append(conn)
            threading.Thread(target=echo, args=(conn,), daemon=True).start()
        for conn in conns:
            conn.close()

    def echo(conn: socket.socket) -> None:
        try:
            while data := conn.recv(65536):
                conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)  # pass the client's half-close back
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()
