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


# Private bases carry the fields kinds share; each kind stays its own frozen type
# (recorders match on the concrete class, and no kind derives from another).


@dataclass(frozen=True, slots=True, kw_only=True)
class _ProxyEvent(Event):
    proxy: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _ProxyState(_ProxyEvent):
    listen: str
    upstream: str
    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class _ToxicEvent(_ProxyEvent):
    toxic: str
    type: str
    stream: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _ToxicConfig(_ToxicEvent):
    toxicity: float
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class _ConnectionEvent(_ProxyEvent):
    connection: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyCreated(_ProxyState):
    """A proxy was created (and is listening on `listen` when enabled).

    Fields: `proxy`, `listen`, `upstream`, `enabled`.
    """

    kind: ClassVar[str] = "proxy.created"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyUpdated(_ProxyState):
    """A proxy's listen address, upstream or enabled flag changed.

    Fields: `proxy`, `listen`, `upstream`, `enabled` (the new values).
    """

    kind: ClassVar[str] = "proxy.updated"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyDeleted(_ProxyEvent):
    """A proxy was deleted; its connections were closed. Field: `proxy`."""

    kind: ClassVar[str] = "proxy.deleted"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicAdded(_ToxicConfig):
    """A toxic was added to a proxy.

    Fields: `proxy`, `toxic` (its name), `type`, `stream`, `toxicity`, `attributes`.
    """

    kind: ClassVar[str] = "proxy.toxic_added"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicUpdated(_ToxicConfig):
    """A toxic's toxicity or attributes changed.

    Fields: `proxy`, `toxic`, `type`, `stream`, `toxicity`, `attributes` (the new values).
    """

    kind: ClassVar[str] = "proxy.toxic_updated"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicRemoved(_ToxicEvent):
    """A toxic was removed from a proxy. Fields: `proxy`, `toxic`, `type`, `stream`."""

    kind: ClassVar[str] = "proxy.toxic_removed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToxicApplied(_ToxicEvent):
    """A toxic's toxicity roll made it act on one connection's direction.

    Fields: `proxy`, `toxic`, `type`, `stream`, `connection` (its id).
    """

    kind: ClassVar[str] = "proxy.toxic_applied"
    connection: int  # not from _ConnectionEvent: two slotted bases cannot be combined


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionOpened(_ConnectionEvent):
    """A client connected and the proxy reached the upstream.

    Fields: `proxy`, `connection` (its id), `client` (host:port).
    """

    kind: ClassVar[str] = "proxy.connection_opened"
    client: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionClosed(_ConnectionEvent):
    """A proxied connection ended; bytes counted each way.

    Fields: `proxy`, `connection`, `bytes_upstream`, `bytes_downstream`, `reason`.
    """

    kind: ClassVar[str] = "proxy.connection_closed"
    bytes_upstream: int
    bytes_downstream: int
    reason: str
