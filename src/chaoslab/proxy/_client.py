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
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from chaoslab._tls import shared_ssl_context
from chaoslab.proxy import _client_core as core
from chaoslab.proxy._client_core import DEFAULT_URL, Call, ProxyInfo
from chaoslab.proxy._client_proxy import AsyncRemoteProxy, RemoteProxy

__all__ = ["AsyncProxyClient", "AsyncRemoteProxy", "ProxyClient", "RemoteProxy", "default_url"]

T = TypeVar("T")


def default_url() -> str:
    """`$TOXIPROXY_URL`, else http://127.0.0.1:8474 (as toxiproxy-cli)."""
    return os.environ.get("TOXIPROXY_URL") or DEFAULT_URL


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
        self._http = httpx.Client(
            base_url=self.url, timeout=timeout, trust_env=False, verify=shared_ssl_context()
        )

    def send(self, call: Call[T]) -> T:
        """Send one call and read its reply."""
        return call.read(self._http.request(call.method, call.path, **call.request_kwargs()))

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
        self._http = httpx.AsyncClient(
            base_url=self.url, timeout=timeout, trust_env=False, verify=shared_ssl_context()
        )

    async def send(self, call: Call[T]) -> T:
        """Send one call and read its reply."""
        response = await self._http.request(call.method, call.path, **call.request_kwargs())
        return call.read(response)

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
