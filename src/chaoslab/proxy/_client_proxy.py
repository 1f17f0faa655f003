"""Proxies on a running server, as the clients return them (sync and async).

They mirror the embedded `Proxy`: `add_toxic`, `update_toxic`, `remove_toxic`,
`set_enabled`, and one context manager per toxic type (from `ToxicHelpers`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
    suppress,
)
from typing import TYPE_CHECKING, Any

from chaoslab.proxy import _client_core as core
from chaoslab.proxy._client_core import ProxyInfo, ToxicInfo
from chaoslab.proxy._client_toxics import ToxicHelpers, ToxicSpec
from chaoslab.proxy._errors import ToxicNotFound

if TYPE_CHECKING:
    from chaoslab.proxy._client import AsyncProxyClient, ProxyClient

__all__ = ["AsyncRemoteProxy", "RemoteProxy"]


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
    """A proxy on a running server, driven synchronously.

    Example:
        >>> proxy = ProxyClient().get("redis")  # doctest: +SKIP
        >>> with proxy.latency(100, jitter=10), proxy.bandwidth(50, stream="upstream"):
        ...     ...  # doctest: +SKIP
        >>> proxy.add_toxic("timeout", attributes={"timeout": 500}).name  # doctest: +SKIP
        'timeout_downstream'
    """

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
        """Add a toxic for the duration of a `with` block, removed even on error.

        No error if it is already gone (e.g. after `reset()`), as the embedded handle.
        """
        added = self.add_toxic(spec.type, **spec.kwargs())
        try:
            yield added
        finally:
            with suppress(ToxicNotFound):
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
    """A proxy on a running server, driven from asyncio (same methods, awaited).

    Example:
        >>> async def slow_redis(client):
        ...     proxy = await client.get("redis")
        ...     async with proxy.latency(100, jitter=10):
        ...         ...
    """

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
        """Add a toxic for the duration of an `async with` block (as the sync `toxic`)."""
        added = await self.add_toxic(spec.type, **spec.kwargs())
        try:
            yield added
        finally:
            with suppress(ToxicNotFound):
                await self.remove_toxic(added.name)

    @asynccontextmanager
    async def down(self) -> AsyncIterator[AsyncRemoteProxy]:
        """The proxy disabled for the duration of an `async with` block."""
        await self.disable()
        try:
            yield self
        finally:
            await self.enable()
