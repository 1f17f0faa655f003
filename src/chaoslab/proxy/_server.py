"""The proxy server: the registry of proxies, embedded in asyncio or in a thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import random
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from chaoslab.clock import Clock, SystemClock
from chaoslab.errors import ConfigError, ProxyError
from chaoslab.observe import Event, EventBus, EventRecorder, default_bus
from chaoslab.proxy import _events as ev
from chaoslab.proxy._addr import check_upstream, parse_address
from chaoslab.proxy._errors import ProxyExists, ProxyNotFound
from chaoslab.proxy._proxy import Proxy, check_name

if TYPE_CHECKING:
    from chaoslab.proxy._sync import SyncProxyServer

__all__ = ["ProxyServer"]

T = TypeVar("T")

_RECORD_LIMIT = 10_000


class _BoundedRecorder(EventRecorder):
    """An EventRecorder that keeps the newest `limit` events (a server runs for days)."""

    __slots__ = ("limit",)

    def __init__(self, limit: int = _RECORD_LIMIT) -> None:
        super().__init__()
        self.limit = limit

    def __call__(self, event: Event) -> None:
        super().__call__(event)
        if len(self._events) > self.limit:
            with self._lock:
                del self._events[: len(self._events) - self.limit]


class ProxyServer:
    """The registry of proxies, and the embedded proxy server.

    Runs on the asyncio loop that starts it. Every method validates first and
    changes nothing on error. Toxic changes (on `Proxy`) are synchronous and
    thread-safe; listener changes run on the loop (from another thread they
    are handed to it and waited for).

    Example:
        >>> import asyncio
        >>> async def demo() -> str:
        ...     async with ProxyServer(seed=7) as server:
        ...         proxy = await server.create("api", upstream="127.0.0.1:8000")
        ...         return proxy.listen.split(":")[0]
        >>> asyncio.run(demo())
        '127.0.0.1'
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        seed: int | None = None,
        clock: Clock | None = None,
        events: EventBus | None = None,
        allow_remote_upstreams: bool = False,
    ) -> None:
        self.host = host
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self.rng = random.Random(self.seed)
        self.clock: Clock = clock or SystemClock()
        self.events = events if events is not None else default_bus()
        self.recorder: EventRecorder = _BoundedRecorder()
        self.allow_remote_upstreams = allow_remote_upstreams
        self.lock = threading.RLock()
        self._proxies: dict[str, Proxy] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._conn_ids = itertools.count(1)

    # -- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        """Bind to the running loop."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()

    async def close(self) -> None:
        """Stop every proxy and close every connection."""
        if self._loop is not None:
            self.run_sync(self._close_all)

    def _close_all(self) -> None:
        with self.lock:
            for proxy in self._proxies.values():
                proxy._stop()
            self._proxies.clear()

    async def __aenter__(self) -> ProxyServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def run_in_thread(self) -> SyncProxyServer:
        """Run this server on a background thread's loop; a sync facade to it."""
        from chaoslab.proxy._sync import SyncProxyServer

        return SyncProxyServer(server=self).start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the server runs on."""
        if self._loop is None:
            raise ProxyError("the proxy server is not started (use `async with ProxyServer()`)")
        return self._loop

    def run_sync(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the server's loop thread and return its result."""
        if self._loop is None or self._loop_thread == threading.get_ident():
            return fn()
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def call() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed back to the calling thread
                done.set_exception(exc)

        self._loop.call_soon_threadsafe(call)
        return done.result(timeout=60)

    # -- helpers for proxies and links ----------------------------------------

    def emit(self, event: Event) -> None:
        """Record an event and send it to the bus."""
        self.recorder(event)
        self.events.emit(event)

    def next_connection_id(self) -> int:
        """A server-wide connection number."""
        return next(self._conn_ids)

    def reseed(self, seed: int) -> None:
        """Restart the server's generator from `seed` (new connections use it)."""
        with self.lock:
            self.seed = seed
            self.rng.seed(seed)

    def link_seed(self) -> int:
        """A seed for one link's generator, drawn from the server's."""
        return self.rng.getrandbits(64)

    def check_upstream(self, upstream: object) -> tuple[str, int]:
        """Parse an upstream, refusing non-loopback ones unless allowed."""
        return check_upstream(upstream, allow_remote=self.allow_remote_upstreams)

    # -- the registry ---------------------------------------------------------

    @property
    def proxies(self) -> Mapping[str, Proxy]:
        """Proxies by name, in creation order (a read-only view)."""
        return types.MappingProxyType(self._proxies)

    def get(self, name: str) -> Proxy:
        """The proxy of that name, or ProxyNotFound."""
        try:
            return self._proxies[name]
        except KeyError:
            raise ProxyNotFound("proxy not found") from None

    async def create(
        self, name: str, *, upstream: str, listen: str | None = None, enabled: bool = True
    ) -> Proxy:
        """Create a proxy (listening at once when enabled) and return it."""
        return self.run_sync(lambda: self.create_now(name, upstream, listen, enabled))

    def create_now(
        self, name: str, upstream: str, listen: str | None = None, enabled: bool = True
    ) -> Proxy:
        """`create`, synchronously (on the loop thread)."""
        proxy = self._build(name, upstream, listen, enabled)
        with self.lock:
            if proxy.name in self._proxies:
                raise ProxyExists("proxy already exists")
            if enabled:
                proxy._start()
            self._proxies[proxy.name] = proxy
        self._emit_proxy(ev.ProxyCreated, proxy)
        return proxy

    def _build(self, name: object, upstream: object, listen: object, enabled: object) -> Proxy:
        problems: list[tuple[str, str]] = []
        for check in (
            lambda: check_name(name),
            lambda: self.check_upstream(upstream),
            lambda: parse_address(listen or f"{self.host}:0", "listen", allow_port_zero=True),
        ):
            try:
                check()
            except ConfigError as exc:
                problems.extend(exc.problems)
        if not isinstance(enabled, bool):
            problems.append(("enabled", f"must be true or false, got {enabled!r}"))
        if problems:
            raise ConfigError(problems)
        assert isinstance(name, str)
        assert isinstance(upstream, str)
        assert isinstance(enabled, bool)
        listen_text = listen if isinstance(listen, str) and listen else f"{self.host}:0"
        return Proxy(self, name, listen=listen_text, upstream=upstream, enabled=enabled)

    async def update(
        self,
        name: str,
        *,
        listen: str | None = None,
        upstream: str | None = None,
        enabled: bool | None = None,
    ) -> Proxy:
        """Change a proxy; absent fields keep their values (Toxiproxy's merge)."""
        return self.run_sync(lambda: self.update_now(name, listen, upstream, enabled))

    def update_now(
        self,
        name: str,
        listen: str | None = None,
        upstream: str | None = None,
        enabled: bool | None = None,
    ) -> Proxy:
        """`update`, synchronously (on the loop thread)."""
        from chaoslab.proxy._update import apply_update

        with self.lock:
            proxy = self.get(name)
            apply_update(self, proxy, listen, upstream, enabled)
        self._emit_proxy(ev.ProxyUpdated, proxy)
        return proxy

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Enable or disable a proxy, synchronously, from any thread."""
        self.run_sync(lambda: self.update_now(name, enabled=enabled))

    async def delete(self, name: str) -> None:
        """Stop a proxy, close its connections and forget it."""
        self.run_sync(lambda: self.delete_now(name))

    def delete_now(self, name: str) -> None:
        """`delete`, synchronously (on the loop thread)."""
        with self.lock:
            proxy = self.get(name)
            proxy._stop()
            del self._proxies[name]
        self.emit(ev.ProxyDeleted(at=self.clock.now(), source=f"proxy:{name}", proxy=name))

    async def populate(self, configs: Sequence[Mapping[str, Any]]) -> list[Proxy]:
        """Create or replace many proxies, all or nothing (see `_update.populate`)."""
        return self.run_sync(lambda: self.populate_now(configs))

    def populate_now(self, configs: Sequence[Mapping[str, Any]]) -> list[Proxy]:
        """`populate`, synchronously (on the loop thread)."""
        from chaoslab.proxy._update import populate

        with self.lock:
            return populate(self, configs)

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic (proxies stay)."""
        self.run_sync(self.reset_now)

    def reset_now(self) -> None:
        """`reset`, synchronously (on the loop thread)."""
        with self.lock:
            proxies = list(self._proxies.values())
        for proxy in proxies:
            proxy.remove_all_toxics()
            if not proxy.enabled:
                self.update_now(proxy.name, enabled=True)

    def _emit_proxy(self, kind: type[ev._ProxyState], proxy: Proxy) -> None:
        self.emit(
            kind(
                at=self.clock.now(), source=f"proxy:{proxy.name}", proxy=proxy.name,
                listen=proxy.listen, upstream=proxy.upstream, enabled=proxy.enabled,
            )
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"<ProxyServer seed={self.seed} proxies={list(self._proxies)}>"
