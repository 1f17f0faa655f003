"""What the HTTP API reads from a `ProxyServer` beyond each proxy's `to_dict()`.

The toxic names and types a request is checked against, statistics, events.

Example:
    >>> {"latency", "sse_cut"} <= toxic_types()
    True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaoslab.proxy._proxy import Proxy
    from chaoslab.proxy._server import ProxyServer

__all__ = [
    "event_dicts",
    "stats_dict",
    "toxic_names",
    "toxic_types",
]


def toxic_names(proxy: Proxy) -> set[str]:
    """The names of a proxy's toxics, both streams."""
    return {t.name for t in proxy.toxics}


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
