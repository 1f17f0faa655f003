"""Clients for a running proxy server (`chaoslab proxy serve` or `toxiproxy-server`).

`ProxyClient` (sync) and `AsyncProxyClient` (async) have the embedded
`ProxyServer`'s methods (`create`, `get`, `proxies`, `update`, `delete`,
`populate`, `reset`), and the proxies they return have the embedded `Proxy`'s
(`add_toxic`, `update_toxic`, `remove_toxic`, `enable`, `disable`) and its
context managers (`with proxy.latency(100, jitter=10): ...`). Errors are the
embedded form's too: `ProxyNotFound`, `ToxicExists`, `ConfigError` (400), ...

Example:
    >>> client = ProxyClient("http://127.0.0.1:8474")
    >>> client.url
    'http://127.0.0.1:8474'
    >>> client.close()
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from types import TracebackType
from typing import Any, TypeVar

import httpx

from chaoslab.proxy import _client_core as core
from chaoslab.proxy._client_core import DEFAULT_URL, Call, ProxyInfo, ToxicInfo
from chaoslab.proxy._client_toxics import ToxicHelpers, ToxicSpec

__all__ = ["AsyncProxyClient", "AsyncRemoteProxy", "ProxyClient", "RemoteProxy", "default_url"]

T = TypeVar("T")


def default_url() -> str:
    """`$TOXIPROXY_URL`, else http://127.0.0.1:8474 (as toxiproxy-cli)."""
    return os.environ.get("TOXIPROXY_URL") or DEFAULT_URL


class _RemoteBase:
    """The data half of a remote proxy: the last snapshot the server sent."""

    def __init__(self, info: ProxyInfo) -> None:
        self.info = info

    name = property(lambda self: self.info.name, doc="The proxy's name.")
    listen = property(lambda self: self.info.listen, doc="host:port it listens on.")
    upstream = property(lambda self: self.info.upstream, doc="host:port it forwards to.")
    enabled = property(lambda self: self.info.enabled, doc="Whether it listens.")
    port = property(lambda self: self.info.port, doc="The port it listens on.")
    host = property(lambda self: self.info.host, doc="The host it listens on.")

    @property
    def toxics(self) -> tuple[ToxicInfo, ...]:
        """Its toxics at the last snapshot (upstream stream first)."""
        return self.info.toxics

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.listen} -> {self.upstream}>"


class RemoteProxy(
    _RemoteBase,
    ToxicHelpers[AbstractContextManager[ToxicInfo], AbstractContextManager["RemoteProxy"]],
):
    """A proxy on a running server, driven synchronously."""

    def __init__(self, client: ProxyClient, info: ProxyInfo) -> None:
        super().__init__(info)
        self._client = client

    def refresh(self) -> RemoteProxy:
        """Fetch the proxy again; return self."""
        self.info = self._client.send(core.get_call(self.name))
        return self

    def update(
        self, *, listen: str | None = None, upstream: str | None = None, enabled: bool | None = None
    ) -> RemoteProxy:
        """Change listen, upstream or enabled (absent: kept); return self."""
        call = core.update_call(self.name, listen=listen, upstream=upstream, enabled=enabled)
        self.info = self._client.send(call)
        return self

    def set_enabled(self, enabled: bool) -> RemoteProxy:
        """Enable or disable the proxy (as the embedded `Proxy.set_enabled`)."""
        return self.update(enabled=enabled)

    def enable(self) -> RemoteProxy:
        """Listen again."""
        return self.update(enabled=True)

    def disable(self) -> RemoteProxy:
        """Stop listening and close every connection (toxics kept)."""
        return self.update(enabled=False)

    def delete(self) -> None:
        """Delete the proxy on the server."""
        self._client.delete(self.name)

    def add_toxic(
        self,
        type: str,  # noqa: A002 - Toxiproxy's field name
        *,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
        attributes: Mapping[str, Any] | None = None,
    ) -> ToxicInfo:
        """Add a toxic; `name` defaults to `<type>_<stream>`."""
        call = core.add_toxic_call(
            self.name, type, name=name, stream=stream, toxicity=toxicity, attributes=attributes
        )
        return self._client.send(call)

    def get_toxic(self, name: str) -> ToxicInfo:
        """One toxic by name."""
        return self._client.send(core.get_toxic_call(self.name, name))

    def list_toxics(self) -> list[ToxicInfo]:
        """Every toxic, fetched now."""
        return self._client.send(core.toxics_call(self.name))

    def update_toxic(
        self,
        name: str,
        *,
        toxicity: float | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> ToxicInfo:
        """Change a toxic's toxicity or some of its attributes (the rest kept)."""
        call = core.update_toxic_call(self.name, name, toxicity=toxicity, attributes=attributes)
        return self._client.send(call)

    def remove_toxic(self, name: str) -> None:
        """Remove a toxic."""
        self._client.send(core.remove_toxic_call(self.name, name))

    def stats(self) -> dict[str, Any]:
        """Connections and bytes each way (chaoslab servers only)."""
        return self._client.send(core.stats_call(self.name))

    @contextmanager
    def toxic(self, spec: ToxicSpec) -> Iterator[ToxicInfo]:
        """Add a toxic for the duration of a `with` block, removed even on error."""
        added = self.add_toxic(spec.type, **spec.kwargs())
        try:
            yield added
        finally:
            self.remove_toxic(added.name)

    @contextmanager
    def down(self) -> Iterator[RemoteProxy]:
        """The proxy disabled for the duration of a `with` block (Toxiproxy's `down`)."""
        self.disable()
        try:
            yield self
        finally:
            self.enable()


class AsyncRemoteProxy(
    _RemoteBase,
    ToxicHelpers[
        AbstractAsyncContextManager[ToxicInfo], AbstractAsyncContextManager["AsyncRemoteProxy"]
    ],
):
    """A proxy on a running server, driven from asyncio (same methods, awaited)."""

    def __init__(self, client: AsyncProxyClient, info: ProxyInfo) -> None:
        super().__init__(info)
        self._client = client

    async def refresh(self) -> AsyncRemoteProxy:
        """Fetch the proxy again; return self."""
        self.info = await self._client.send(core.get_call(self.name))
        return self

    async def update(
        self, *, listen: str | None = None, upstream: str | None = None, enabled: bool | None = None
    ) -> AsyncRemoteProxy:
        """Change listen, upstream or enabled (absent: kept); return self."""
        call = core.update_call(self.name, listen=listen, upstream=upstream, enabled=enabled)
        self.info = await self._client.send(call)
        return self

    async def set_enabled(self, enabled: bool) -> AsyncRemoteProxy:
        """Enable or disable the proxy (as the embedded `Proxy.set_enabled`)."""
        return await self.update(enabled=enabled)

    async def enable(self) -> AsyncRemoteProxy:
        """Listen again."""
        return await self.update(enabled=True)

    async def disable(self) -> AsyncRemoteProxy:
        """Stop listening and close every connection (toxics kept)."""
        return await self.update(enabled=False)

    async def delete(self) -> None:
        """Delete the proxy on the server."""
        await self._client.delete(self.name)

    async def add_toxic(
        self,
        type: str,  # noqa: A002 - Toxiproxy's field name
        *,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
        attributes: Mapping[str, Any] | None = None,
    ) -> ToxicInfo:
        """Add a toxic; `name` defaults to `<type>_<stream>`."""
        call = core.add_toxic_call(
            self.name, type, name=name, stream=stream, toxicity=toxicity, attributes=attributes
        )
        return await self._client.send(call)

    async def get_toxic(self, name: str) -> ToxicInfo:
        """One toxic by name."""
        return await self._client.send(core.get_toxic_call(self.name, name))

    async def list_toxics(self) -> list[ToxicInfo]:
        """Every toxic, fetched now."""
        return await self._client.send(core.toxics_call(self.name))

    async def update_toxic(
        self,
        name: str,
        *,
        toxicity: float | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> ToxicInfo:
        """Change a toxic's toxicity or some of its attributes (the rest kept)."""
        call = core.update_toxic_call(self.name, name, toxicity=toxicity, attributes=attributes)
        return await self._client.send(call)

    async def remove_toxic(self, name: str) -> None:
        """Remove a toxic."""
        await self._client.send(core.remove_toxic_call(self.name, name))

    async def stats(self) -> dict[str, Any]:
        """Connections and bytes each way (chaoslab servers only)."""
        return await self._client.send(core.stats_call(self.name))

    @asynccontextmanager
    async def toxic(self, spec: ToxicSpec) -> AsyncIterator[ToxicInfo]:
        """Add a toxic for the duration of an `async with` block."""
        added = await self.add_toxic(spec.type, **spec.kwargs())
        try:
            yield added
        finally:
            await self.remove_toxic(added.name)

    @asynccontextmanager
    async def down(self) -> AsyncIterator[AsyncRemoteProxy]:
        """The proxy disabled for the duration of an `async with` block."""
        await self.disable()
        try:
            yield self
        finally:
            await self.enable()


class ProxyClient:
    """A synchronous client for a proxy server's HTTP API.

    Example:
        >>> with ProxyClient() as client:  # doctest: +SKIP
        ...     proxy = client.create("redis", upstream="127.0.0.1:6379")
        ...     with proxy.latency(100, jitter=10):
        ...         ...  # talk to 127.0.0.1:{proxy.port}
    """

    def __init__(self, url: str | None = None, *, timeout: float = 10.0) -> None:
        self.url = (url or default_url()).rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout, trust_env=False)

    def send(self, call: Call[T]) -> T:
        """Send one call and read its reply."""
        return call.parse(self._http.request(call.method, call.path, **call.request_kwargs()))

    def _wrap(self, info: ProxyInfo) -> RemoteProxy:
        return RemoteProxy(self, info)

    def proxies(self) -> dict[str, RemoteProxy]:
        """Every proxy, by name."""
        return {n: self._wrap(p) for n, p in self.send(core.list_call()).items()}

    def create(
        self, name: str, *, upstream: str, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> RemoteProxy:
        """Create a proxy (listening on an ephemeral loopback port by default)."""
        call = core.create_call(name, upstream=upstream, listen=listen, enabled=enabled)
        return self._wrap(self.send(call))

    def get(self, name: str) -> RemoteProxy:
        """One proxy by name (`ProxyNotFound` if absent)."""
        return self._wrap(self.send(core.get_call(name)))

    def update(
        self,
        name: str,
        *,
        listen: str | None = None,
        upstream: str | None = None,
        enabled: bool | None = None,
    ) -> RemoteProxy:
        """Change a proxy's listen, upstream or enabled flag."""
        call = core.update_call(name, listen=listen, upstream=upstream, enabled=enabled)
        return self._wrap(self.send(call))

    def delete(self, name: str) -> None:
        """Delete a proxy."""
        self.send(core.delete_call(name))

    def populate(self, configs: Sequence[Mapping[str, Any]]) -> list[RemoteProxy]:
        """Create or replace proxies from `{name, upstream, listen?, enabled?}` items."""
        return [self._wrap(p) for p in self.send(core.populate_call(list(configs)))]

    def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        self.send(core.reset_call())

    def version(self) -> str:
        """The server's version string."""
        return self.send(core.version_call())

    def events(self, kind: str = "") -> list[dict[str, Any]]:
        """Recorded events whose kind starts with `kind` (chaoslab servers only)."""
        return self.send(core.events_call(kind))

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> ProxyClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncProxyClient:
    """An asyncio client for a proxy server's HTTP API (methods of `ProxyClient`, awaited).

    Example:
        >>> async def main() -> None:  # doctest: +SKIP
        ...     async with AsyncProxyClient() as client:
        ...         proxy = await client.create("redis", upstream="127.0.0.1:6379")
        ...         async with proxy.latency(100):
        ...             ...
    """

    def __init__(self, url: str | None = None, *, timeout: float = 10.0) -> None:
        self.url = (url or default_url()).rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout, trust_env=False)

    async def send(self, call: Call[T]) -> T:
        """Send one call and read its reply."""
        response = await self._http.request(call.method, call.path, **call.request_kwargs())
        return call.parse(response)

    def _wrap(self, info: ProxyInfo) -> AsyncRemoteProxy:
        return AsyncRemoteProxy(self, info)

    async def proxies(self) -> dict[str, AsyncRemoteProxy]:
        """Every proxy, by name."""
        return {n: self._wrap(p) for n, p in (await self.send(core.list_call())).items()}

    async def create(
        self, name: str, *, upstream: str, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> AsyncRemoteProxy:
        """Create a proxy (listening on an ephemeral loopback port by default)."""
        call = core.create_call(name, upstream=upstream, listen=listen, enabled=enabled)
        return self._wrap(await self.send(call))

    async def get(self, name: str) -> AsyncRemoteProxy:
        """One proxy by name (`ProxyNotFound` if absent)."""
        return self._wrap(await self.send(core.get_call(name)))

    async def update(
        self,
        name: str,
        *,
        listen: str | None = None,
        upstream: str | None = None,
        enabled: bool | None = None,
    ) -> AsyncRemoteProxy:
        """Change a proxy's listen, upstream or enabled flag."""
        call = core.update_call(name, listen=listen, upstream=upstream, enabled=enabled)
        return self._wrap(await self.send(call))

    async def delete(self, name: str) -> None:
        """Delete a proxy."""
        await self.send(core.delete_call(name))

    async def populate(self, configs: Sequence[Mapping[str, Any]]) -> list[AsyncRemoteProxy]:
        """Create or replace proxies from `{name, upstream, listen?, enabled?}` items."""
        return [self._wrap(p) for p in await self.send(core.populate_call(list(configs)))]

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        await self.send(core.reset_call())

    async def version(self) -> str:
        """The server's version string."""
        return await self.send(core.version_call())

    async def events(self, kind: str = "") -> list[dict[str, Any]]:
        """Recorded events whose kind starts with `kind` (chaoslab servers only)."""
        return await self.send(core.events_call(kind))

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncProxyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
