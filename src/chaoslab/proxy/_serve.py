"""Run a `ProxyServer` with its HTTP API: the engine of `chaoslab proxy serve`.

A drop-in for `toxiproxy-server`: the API on port 8474 by default, proxies
loaded from the same JSON config file (an array as for `POST /populate`),
and a graceful stop on SIGINT or SIGTERM (API closed, proxies and their
connections closed, then the process exits 0).

Example:
    >>> load_config_text('[{"name": "redis", "upstream": "127.0.0.1:6379"}]')[0]["name"]
    'redis'
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaoslab.errors import ConfigError
from chaoslab.proxy._api_models import ApiError, parse_populate

if TYPE_CHECKING:
    from chaoslab.observe import EventBus
    from chaoslab.proxy._server import ProxyServer

__all__ = ["DEFAULT_PORT", "load_config", "load_config_text", "run", "serve"]

DEFAULT_PORT = 8474


def load_config_text(text: str, *, source: str = "config") -> list[dict[str, Any]]:
    """Parse a proxies config (JSON array of `{name, upstream, listen?, enabled?}`)."""
    try:
        return [item.config() for item in parse_populate(text.encode())]
    except ApiError as exc:
        raise ConfigError([(source, exc.message)]) from None


def load_config(path: Path) -> list[dict[str, Any]]:
    """Read and parse a config file; every problem is a `ConfigError` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([(str(path), f"cannot read: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [(str(path), f"not UTF-8 text: {exc.reason} at byte {exc.start}")]
        ) from None
    return load_config_text(text, source=str(path))


async def serve(
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    config: Path | None = None,
    seed: int | None = None,
    allow_remote_upstreams: bool = False,
    ready: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
    server: ProxyServer | None = None,
    events: EventBus | None = None,
) -> None:
    """Serve the API until `stop` is set (or SIGINT/SIGTERM arrives).

    `ready` is called with the API's URL once it listens (port 0 picks a free
    port, reported there). Pass `server` to put an API in front of an embedded
    `ProxyServer` you own (it is left open); otherwise one is made (on the
    bus `events`, default: the process-wide one) and closed.

    Example:
        >>> async def api_for(server, stop):
        ...     await serve(port=0, server=server, stop=stop, ready=print)
    """
    from chaoslab.proxy._server import ProxyServer

    configs = load_config(config) if config is not None else []
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        if server is not None:
            await _serve_api(server, configs, host=host, port=port, ready=ready, stop=stop)
            return
        owned_server = ProxyServer(
            seed=seed, allow_remote_upstreams=allow_remote_upstreams, events=events
        )
        async with owned_server as owned:
            await _serve_api(owned, configs, host=host, port=port, ready=ready, stop=stop)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _serve_api(
    server: ProxyServer,
    configs: list[dict[str, Any]],
    *,
    host: str,
    port: int,
    ready: Callable[[str], None] | None,
    stop: asyncio.Event,
) -> None:
    from aiohttp import web

    from chaoslab.proxy._api import build_app

    if configs:
        await server.populate(configs)
    runner = web.AppRunner(
        build_app(server), access_log=None, handle_signals=False, shutdown_timeout=1.0
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound = runner.addresses[0]
        if ready is not None:
            shown = f"[{bound[0]}]" if ":" in str(bound[0]) else bound[0]
            ready(f"http://{shown}:{bound[1]}")
        await stop.wait()
    finally:
        await runner.cleanup()


def run(**kwargs: Any) -> None:
    """Run `serve(**kwargs)` on a fresh event loop (uvloop when installed) until it stops."""
    from chaoslab.proxy._sync import new_event_loop

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(serve(**kwargs))
