"""The proxy's events: toxics added, updated, removed and applied; connections.

Every event's `source` is `proxy:<name>`. They go to the server's `EventBus`
(and its `recorder`), which also feeds the HTTP API's `GET /events`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from chaoslab.observe import Event

__all__ = [
    "ConnectionClosed",
    "ConnectionOpened",
    "ProxyCreated",
    "ProxyDeleted",
    "ProxyUpdated",
    "ToxicAdded",
    "ToxicApplied",
    "ToxicRemoved",
    "ToxicUpdated",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyCreated(Event):
    """A proxy was created (and is listening on `listen` when enabled)."""

    kind: ClassVar[str] = "proxy.created"
    proxy: str
    listen: str
    upstream: str
    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyUpdated(Event):
    """A proxy's listen address, upstream or enabled flag changed."""

    kind: ClassVar[str] = "proxy.updated"
    proxy: str
    listen: str
    upstream: str
    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyDeleted(Event):
    """A proxy was deleted; its connections were closed."""

    kind: ClassVar[str] = "proxy.deleted"
    proxy: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicAdded(Event):
    """A toxic was added to a proxy."""

    kind: ClassVar[str] = "proxy.toxic_added"
    proxy: str
    toxic: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicUpdated(Event):
    """A toxic's toxicity or attributes changed."""

    kind: ClassVar[str] = "proxy.toxic_updated"
    proxy: str
    toxic: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicRemoved(Event):
    """A toxic was removed from a proxy."""

    kind: ClassVar[str] = "proxy.toxic_removed"
    proxy: str
    toxic: str
    type: str
    stream: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicApplied(Event):
    """A toxic's toxicity roll made it act on one connection's direction."""

    kind: ClassVar[str] = "proxy.toxic_applied"
    proxy: str
    toxic: str
    type: str
    stream: str
    connection: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionOpened(Event):
    """A client connected and the proxy reached the upstream."""

    kind: ClassVar[str] = "proxy.connection_opened"
    proxy: str
    connection: int
    client: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionClosed(Event):
    """A proxied connection ended; bytes counted each way."""

    kind: ClassVar[str] = "proxy.connection_closed"
    proxy: str
    connection: int
    bytes_upstream: int
    bytes_downstream: int
    reason: str
