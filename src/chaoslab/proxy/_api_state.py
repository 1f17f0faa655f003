"""What the HTTP API reads from a `ProxyServer`: JSON views, names, checks.

Kept apart from the routes so that the API's view of the registry lives in
one place: the proxy and toxic JSON (Toxiproxy's shape), the toxic types the
server knows, statistics, events, and the loopback rule for upstreams.

Example:
    >>> toxic_dict({"name": "t", "type": "latency", "stream": "downstream",
    ...     "toxicity": 1.0, "attributes": {"latency": 5, "jitter": 0}})["attributes"]
    {'latency': 5, 'jitter': 0}
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaoslab.proxy._proxy import Proxy
    from chaoslab.proxy._server import ProxyServer

__all__ = [
    "event_dicts",
    "proxy_dict",
    "stats_dict",
    "toxic_dict",
    "toxic_names",
    "toxic_types",
]


def toxic_dict(toxic: Any) -> dict[str, Any]:
    """A toxic in Toxiproxy's JSON shape: attributes, name, type, stream, toxicity."""
    data: dict[str, Any] = dict(toxic.to_dict() if hasattr(toxic, "to_dict") else toxic)
    return {
        "attributes": dict(data.get("attributes") or {}),
        "name": data["name"],
        "type": data["type"],
        "stream": data["stream"],
        "toxicity": data["toxicity"],
    }


def proxy_dict(proxy: Proxy) -> dict[str, Any]:
    """A proxy in Toxiproxy's JSON shape; toxics upstream first, then downstream."""
    data: dict[str, Any] = dict(proxy.to_dict())
    toxics = [toxic_dict(t) for t in data.get("toxics") or []]
    toxics.sort(key=lambda t: 0 if t["stream"] == "upstream" else 1)
    return {
        "name": data["name"],
        "listen": data["listen"],
        "upstream": data["upstream"],
        "enabled": bool(data["enabled"]),
        "toxics": toxics,
    }


def toxic_names(proxy: Proxy) -> set[str]:
    """The names of a proxy's toxics, both streams."""
    return {t["name"] for t in proxy_dict(proxy)["toxics"]}


def toxic_types() -> frozenset[str]:
    """The toxic types the server can create (Toxiproxy's and chaoslab's own)."""
    from chaoslab.proxy._toxics import TOXIC_TYPES

    return frozenset(TOXIC_TYPES)


def stats_dict(proxy: Proxy) -> dict[str, Any]:
    """A proxy's statistics as plain JSON data, with its name."""
    return {"name": proxy.name, **proxy.stats.to_dict()}


def event_dicts(server: ProxyServer, *, kind: str = "", since: float = -math.inf) -> list[Any]:
    """Recorded events (oldest first) whose kind starts with `kind`, at or after `since`."""
    recorder = server.recorder
    return [
        event.to_dict()
        for event in recorder.events
        if event.kind.startswith(kind) and event.at >= since
    ]
