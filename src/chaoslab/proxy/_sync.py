"""The embedded server for sync code: its loop runs on a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chaoslab.observe import EventRecorder
from chaoslab.proxy._proxy import Proxy
from chaoslab.proxy._server import ProxyServer

__all__ = ["SyncProxyServer", "new_event_loop"]


def new_event_loop(*, use_uvloop: bool = True) -> asyncio.AbstractEventLoop:
    """uvloop's loop when installed (the `fast` extra), else asyncio's."""
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            return loop
    return asyncio.new_event_loop()


class SyncProxyServer:
    """A `ProxyServer` on its own thread, with blocking methods.

    Proxies it returns are the server's own `Proxy` objects: their toxic
    methods and shortcuts are thread-safe.

    Example:
        >>> with SyncProxyServer(seed=1) as server:
        ...     proxy = server.create("db", upstream="127.0.0.1:5432")
        ...     with proxy.latency(50):
        ...         names = [t.name for t in proxy.toxics]
        >>> names
        ['latency_downstream']
    """

    def __init__(
        self, server: ProxyServer | None = None, *, use_uvloop: bool = True, **kwargs: Any
    ) -> None:
        self.server = server if server is not None else ProxyServer(**kwargs)
        self.use_uvloop = use_uvloop
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> SyncProxyServer:
        """Start the thread and its loop; return self."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        self._loop = new_event_loop(use_uvloop=self.use_uvloop)
        self._thread = threading.Thread(
            target=self._main, args=(ready,), name="chaoslab-proxy", daemon=True
        )
        self._thread.start()
        ready.wait()
        return self

    def _main(self, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.server.start())
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.run_until_complete(self.server.close())
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            ready.set()
            loop.close()

    def close(self) -> None:
        """Close every proxy and stop the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        self.server.run_sync(self.server._close_all)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        self._thread = None

    def __enter__(self) -> SyncProxyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, fn: Callable[[], Any]) -> Any:
        return self.server.run_sync(fn)

    @property
    def proxies(self) -> Mapping[str, Proxy]:
        """Proxies by name, in creation order."""
        return self.server.proxies

    @property
    def recorder(self) -> EventRecorder:
        """The server's event recorder."""
        return self.server.recorder

    @property
    def seed(self) -> int:
        """The seed of the server's generator."""
        return self.server.seed

    def create(
        self, name: str, *, upstream: str, listen: str | None = None, enabled: bool = True
    ) -> Proxy:
        """Create a proxy; see `ProxyServer.create`."""
        server = self.server
        proxy: Proxy = self._call(lambda: server.create_now(name, upstream, listen, enabled))
        return proxy

    def get(self, name: str) -> Proxy:
        """The proxy of that name, or ProxyNotFound."""
        return self.server.get(name)

    def update(
        self,
        name: str,
        *,
        listen: str | None = None,
        upstream: str | None = None,
        enabled: bool | None = None,
    ) -> Proxy:
        """Change a proxy; see `ProxyServer.update`."""
        server = self.server
        proxy: Proxy = self._call(lambda: server.update_now(name, listen, upstream, enabled))
        return proxy

    def delete(self, name: str) -> None:
        """Delete a proxy."""
        self._call(lambda: self.server.delete_now(name))

    def populate(self, configs: Sequence[Mapping[str, Any]]) -> list[Proxy]:
        """Create or replace many proxies, all or nothing."""
        proxies: list[Proxy] = self._call(lambda: self.server.populate_now(configs))
        return proxies

    def reset(self) -> None:
        """Enable every proxy, remove every toxic."""
        self._call(self.server.reset_now)
