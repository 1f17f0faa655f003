"""chaoslab.proxy: a Toxiproxy-compatible TCP fault proxy, embeddable in tests.

Example:
    >>> import asyncio
    >>> from chaoslab.proxy import ProxyServer
    >>> async def demo() -> list[str]:
    ...     async with ProxyServer(seed=1) as server:
    ...         proxy = await server.create("redis", upstream="127.0.0.1:6379")
    ...         with proxy.latency(100, jitter=10):
    ...             return [t.type for t in proxy.toxics]
    >>> asyncio.run(demo())
    ['latency']

The client for a running server (`ProxyClient`, `AsyncProxyClient`) is
imported on first use, so that the data path does not load httpx.
"""

from typing import TYPE_CHECKING, Any

from chaoslab.proxy._errors import ProxyExists, ProxyNotFound, ToxicExists, ToxicNotFound
from chaoslab.proxy._events import (
    ConnectionClosed,
    ConnectionOpened,
    ProxyCreated,
    ProxyDeleted,
    ProxyUpdated,
    ToxicAdded,
    ToxicApplied,
    ToxicRemoved,
    ToxicUpdated,
)
from chaoslab.proxy._faults import toxic_for_fault
from chaoslab.proxy._proxy import Proxy, ProxyStats
from chaoslab.proxy._server import ProxyServer
from chaoslab.proxy._sugar import DownHandle, ToxicHandle
from chaoslab.proxy._sync import SyncProxyServer
from chaoslab.proxy._toxics import TOXIC_TYPES, Toxic, ToxicType

if TYPE_CHECKING:
    from chaoslab.proxy._client import (
        AsyncProxyClient,
        AsyncRemoteProxy,
        ProxyClient,
        RemoteProxy,
    )

_CLIENT = ("AsyncProxyClient", "AsyncRemoteProxy", "ProxyClient", "RemoteProxy")


def __getattr__(name: str) -> Any:
    if name in _CLIENT:
        from chaoslab.proxy import _client

        return getattr(_client, name)
    raise AttributeError(f"module 'chaoslab.proxy' has no attribute {name!r}")


__all__ = [
    "TOXIC_TYPES",
    "AsyncProxyClient",
    "AsyncRemoteProxy",
    "ConnectionClosed",
    "ConnectionOpened",
    "DownHandle",
    "Proxy",
    "ProxyClient",
    "ProxyCreated",
    "ProxyDeleted",
    "ProxyExists",
    "ProxyNotFound",
    "ProxyServer",
    "ProxyStats",
    "ProxyUpdated",
    "RemoteProxy",
    "SyncProxyServer",
    "Toxic",
    "ToxicAdded",
    "ToxicApplied",
    "ToxicExists",
    "ToxicHandle",
    "ToxicNotFound",
    "ToxicRemoved",
    "ToxicType",
    "ToxicUpdated",
    "toxic_for_fault",
]
