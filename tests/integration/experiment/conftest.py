"""A real chaoslab proxy with its Toxiproxy-compatible HTTP API, in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class ProxyApi:
    """The API's URL and the server behind it (for its event recorder)."""

    url: str
    server: Any


@pytest.fixture
def proxy_api() -> Iterator[ProxyApi]:
    from chaoslab.proxy import ProxyServer
    from chaoslab.proxy._serve import serve

    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["stop"] = stop
        holder["loop"] = asyncio.get_running_loop()
        async with ProxyServer(seed=1) as server:
            await server.create("redis", upstream="127.0.0.1:9", listen="127.0.0.1:0")

            def listening(url: str) -> None:
                holder["api"] = ProxyApi(url, server)
                ready.set()

            # The proxy's own `serve` (the API of `chaoslab proxy serve`) on port 0.
            await serve(port=0, server=server, stop=stop, ready=listening)

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the proxy API did not start"
    yield holder["api"]
    holder["loop"].call_soon_threadsafe(holder["stop"].set)
    thread.join(10)
