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

Every name loads on first use: the pytest plugin imports this package in
every session, and the client (`ProxyClient`, ...) must not load httpx into
the data path.
"""

from typing import TYPE_CHECKING

from chaoslab._lazy import lazy_exports as _lazy_exports

if TYPE_CHECKING:
    from chaoslab.proxy._client import (
        AsyncProxyClient,
        AsyncRemoteProxy,
        ProxyClient,
        RemoteProxy,
    )
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

_LAZY: dict[str, str] = {
    "AsyncProxyClient": "chaoslab.proxy._client",
    "AsyncRemoteProxy": "chaoslab.proxy._client",
    "ConnectionClosed": "chaoslab.proxy._events",
    "ConnectionOpened": "chaoslab.proxy._events",
    "DownHandle": "chaoslab.proxy._sugar",
    "Proxy": "chaoslab.proxy._proxy",
    "ProxyClient": "chaoslab.proxy._client",
    "ProxyCreated": "chaoslab.proxy._events",
    "ProxyDeleted": "chaoslab.proxy._events",
    "ProxyExists": "chaoslab.proxy._errors",
    "ProxyNotFound": "chaoslab.proxy._errors",
    "ProxyServer": "chaoslab.proxy._server",
    "ProxyStats": "chaoslab.proxy._proxy",
    "ProxyUpdated": "chaoslab.proxy._events",
    "RemoteProxy": "chaoslab.proxy._client",
    "SyncProxyServer": "chaoslab.proxy._sync",
    "TOXIC_TYPES": "chaoslab.proxy._toxics",
    "Toxic": "chaoslab.proxy._toxics",
    "ToxicAdded": "chaoslab.proxy._events",
    "ToxicApplied": "chaoslab.proxy._events",
    "ToxicExists": "chaoslab.proxy._errors",
    "ToxicHandle": "chaoslab.proxy._sugar",
    "ToxicNotFound": "chaoslab.proxy._errors",
    "ToxicRemoved": "chaoslab.proxy._events",
    "ToxicType": "chaoslab.proxy._toxics",
    "ToxicUpdated": "chaoslab.proxy._events",
    "toxic_for_fault": "chaoslab.proxy._faults",
}

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

__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())
