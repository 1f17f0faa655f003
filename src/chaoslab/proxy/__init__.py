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
"""

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

__all__ = [
    "TOXIC_TYPES",
    "ConnectionClosed",
    "ConnectionOpened",
    "DownHandle",
    "Proxy",
    "ProxyCreated",
    "ProxyDeleted",
    "ProxyExists",
    "ProxyNotFound",
    "ProxyServer",
    "ProxyStats",
    "ProxyUpdated",
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
