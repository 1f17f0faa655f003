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
    from aiohttp import web

    from chaoslab.proxy import ProxyServer
    from chaoslab.proxy._api import build_app

    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["stop"] = stop
        holder["loop"] = asyncio.get_running_loop()
        async with ProxyServer(seed=1) as server:
            await server.create("redis", upstream="127.0.0.1:9", listen="127.0.0.1:0")
            runner = web.AppRunner(
                build_app(server), access_log=None, handle_signals=False, shutdown_timeout=0.5
            )
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            holder["api"] = ProxyApi(f"http://{host}:{port}", server)
            ready.set()
            try:
                await stop.wait()
            finally:
                await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the proxy API did not start"
    yield holder["api"]
    holder["loop"].call_soon_threadsafe(holder["stop"].set)
    thread.join(10)
