"""`ProxiedService`: a service reached through a chaoslab fault proxy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from chaoslab.services._process import ProcessService

if TYPE_CHECKING:
    from chaoslab.proxy import Proxy

__all__ = ["ProxiedService"]

S = TypeVar("S", bound=ProcessService)


@dataclass(frozen=True, slots=True)
class ProxiedService(Generic[S]):
    """A server, the proxy in front of it, and the URLs through and around the proxy.

    Clients connect to `url` (through the proxy); toxics added to `proxy` sit
    between them and the server. `direct_url` bypasses the proxy, e.g. to check
    what really reached the server.

    Example:
        >>> def test_slow_cache(redis_via_proxy):  # doctest: +SKIP
        ...     client = redis.Redis.from_url(redis_via_proxy.url)
        ...     with redis_via_proxy.proxy.latency(200):
        ...         client.get("k")      # answers 200 ms late
        ...     with redis_via_proxy.proxy.down():
        ...         client.get("k")      # ConnectionError
    """

    server: S
    proxy: Proxy
    url: str
    direct_url: str
