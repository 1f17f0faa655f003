"""Real sockets on 127.0.0.1: an echo server, a sink/source server, a proxy server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

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
