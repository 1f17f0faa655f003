"""A proxy: a listener, an upstream, toxics per stream, its live connections."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from chaoslab.errors import ConfigError, ProxyError
from chaoslab.proxy import _events as ev
from chaoslab.proxy._addr import bind_listener, format_address, parse_address
from chaoslab.proxy._conn import Connection
from chaoslab.proxy._errors import ToxicExists, ToxicNotFound
from chaoslab.proxy._link import ChainRef, Link
from chaoslab.proxy._sugar import ToxicShortcuts
from chaoslab.proxy._toxics import STREAMS, Toxic, parse_stream

if TYPE_CHECKING:
    from chaoslab.proxy._server import ProxyServer

__all__ = ["Proxy", "ProxyStats"]

_ACCEPT_BATCH = 64


@dataclass(frozen=True, slots=True)
class ProxyStats:
    """Counters of one proxy since it was created.

    `bytes_upstream` went client -> server, `bytes_downstream` server -> client.
    """

    connections_total: int
    connections_active: int
    bytes_upstream: int
    bytes_downstream: int
    toxics_applied: int

    def to_dict(self) -> dict[str, int]:
        """Plain data, for the API."""
        return asdict(self)


class Proxy(ToxicShortcuts):
    """One proxy of a `ProxyServer`: listens on `listen`, forwards to `upstream`.

    Create proxies with `ProxyServer.create`; toxic methods are synchronous,
    thread-safe, and validate everything before changing anything.

    Example:
        >>> import asyncio
        >>> from chaoslab.proxy import ProxyServer
        >>> async def demo() -> list[str]:
        ...     async with ProxyServer() as server:
        ...         proxy = await server.create("redis", upstream="127.0.0.1:6379")
        ...         with proxy.latency(100, jitter=10):
        ...             return [t.name for t in proxy.toxics]
        >>> asyncio.run(demo())
        ['latency_downstream']
    """

    def __init__(
        self, server: ProxyServer, name: str, *, listen: str, upstream: str, enabled: bool
    ) -> None:
        self.server = server
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self._upstream_addr = server.check_upstream(upstream)
        self._chains = {stream: ChainRef() for stream in STREAMS}
        self._conns: dict[int, Connection] = {}
        self._sock: socket.socket | None = None
        self._closed_totals = [0, 0]
        self._connections_total = 0
        self._applied = 0
        self._wanted = enabled

    # -- toxics ---------------------------------------------------------------

    @property
    def toxics(self) -> list[Toxic]:
        """Every toxic: the upstream chain, then the downstream chain (Toxiproxy's order)."""
        return [t for stream in STREAMS for t in self._chains[stream].toxics]

    def chain(self, stream: str) -> ChainRef:
        """The live chain of one stream (links read it at chunk boundaries)."""
        return self._chains[stream]

    def get_toxic(self, name: str) -> Toxic:
        """The toxic of that name, or ToxicNotFound."""
        for toxic in self.toxics:
            if toxic.name == name:
                return toxic
        raise ToxicNotFound("toxic not found")

    def add_toxic(
        self,
        type: str,  # noqa: A002 - Toxiproxy's field name
        *,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
        attributes: Mapping[str, Any] | None = None,
    ) -> Toxic:
        """Add a toxic at the end of its stream's chain; live connections get it too."""
        toxic = Toxic.build(
            type, name=name, stream=stream, toxicity=toxicity, attributes=attributes
        )
        with self.server.lock:
            if any(t.name == toxic.name for t in self.toxics):
                raise ToxicExists("toxic already exists")
            chain = self._chains[toxic.stream]
            chain.toxics = (*chain.toxics, toxic)
        self._emit_toxic(ev.ToxicAdded, toxic)
        self._changed()
        return toxic

    def update_toxic(
        self,
        name: str,
        *,
        toxicity: float | None = None,
        attributes: Mapping[str, Any] | None = None,
        stream: str | None = None,
    ) -> Toxic:
        """Merge new toxicity/attributes into a toxic (absent attributes keep values).

        Passing another `stream` moves the toxic to the end of that chain.
        """
        with self.server.lock:
            old = self.get_toxic(name)
            new = old.updated(toxicity=toxicity, attributes=attributes)
            if stream is not None and parse_stream(stream) != old.stream:
                new = Toxic.build(
                    new.type, name=new.name, stream=stream, toxicity=new.toxicity,
                    attributes=new.attributes,
                )  # fmt: skip
                self._drop(old)
                chain = self._chains[new.stream]
                chain.toxics = (*chain.toxics, new)
            else:
                chain = self._chains[old.stream]
                chain.toxics = tuple(new if t is old else t for t in chain.toxics)
        self._emit_toxic(ev.ToxicUpdated, new)
        self._changed()
        return new

    def remove_toxic(self, name: str) -> None:
        """Remove a toxic; data it holds goes on, later data passes untouched."""
        with self.server.lock:
            toxic = self.get_toxic(name)
            self._drop(toxic)
        self.server.emit(
            ev.ToxicRemoved(
                at=self.server.clock.now(), source=f"proxy:{self.name}", proxy=self.name,
                toxic=toxic.name, type=toxic.type, stream=toxic.stream,
            )
        )  # fmt: skip
        self._changed()

    def remove_all_toxics(self) -> None:
        """Remove every toxic of this proxy."""
        for toxic in reversed(self.toxics):
            with contextlib.suppress(ToxicNotFound):
                self.remove_toxic(toxic.name)

    def _drop(self, toxic: Toxic) -> None:
        chain = self._chains[toxic.stream]
        chain.toxics = tuple(t for t in chain.toxics if t is not toxic)

    def _emit_toxic(self, kind: type[ev._ToxicConfig], toxic: Toxic) -> None:
        self.server.emit(
            kind(
                at=self.server.clock.now(), source=f"proxy:{self.name}", proxy=self.name,
                toxic=toxic.name, type=toxic.type, stream=toxic.stream,
                toxicity=toxic.toxicity, attributes=toxic.attributes,
            )
        )  # fmt: skip

    def _changed(self) -> None:
        self.server.run_sync(self._notify_links)

    def _notify_links(self) -> None:
        for conn in list(self._conns.values()):
            conn.chain_changed()

    # -- listening (loop thread) ---------------------------------------------

    def set_enabled(self, enabled: bool) -> None:
        """Enable (listen) or disable (refuse, close live connections); synchronous."""
        self.server.set_enabled(self.name, enabled)

    def upstream_address(self) -> tuple[str, int]:
        """The upstream's (host, port)."""
        return self._upstream_addr

    def _start(self) -> None:
        if self._sock is not None:
            return
        host, port = parse_address(self.listen, "listen", allow_port_zero=True)
        host = host or self.server.host
        try:
            sock = bind_listener(host, port)
        except OSError as exc:
            raise ProxyError(f"listen tcp {self.listen}: {exc.strerror or exc}") from exc
        bound = sock.getsockname()
        self.listen = format_address(bound[0], bound[1])
        self._sock = sock
        self.server.loop.add_reader(sock.fileno(), self._accept)
        self.enabled = True

    def _stop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            self.server.loop.remove_reader(sock.fileno())
            sock.close()
        self.enabled = False
        for conn in list(self._conns.values()):
            conn.close(reason="proxy disabled")

    def _accept(self) -> None:
        sock = self._sock
        if sock is None:
            return
        for _ in range(_ACCEPT_BATCH):
            try:
                client, _addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # Out of file descriptors (EMFILE) or similar: the listener stays
                # readable, so stop watching it for a moment instead of spinning.
                loop = self.server.loop
                loop.remove_reader(sock.fileno())
                loop.call_later(0.1, self._resume_accept, sock)
                return
            conn = Connection(self, self.server.next_connection_id())
            self._conns[conn.id] = conn
            self._connections_total += 1
            conn.start(client, self.server.loop)

    def _resume_accept(self, sock: socket.socket) -> None:
        if self._sock is sock:
            self.server.loop.add_reader(sock.fileno(), self._accept)

    # -- connection callbacks (LinkOwner side) --------------------------------

    def connection_opened(self, conn: Connection) -> None:
        """Both sides are up."""
        self.server.emit(
            ev.ConnectionOpened(
                at=self.server.clock.now(), source=f"proxy:{self.name}",
                proxy=self.name, connection=conn.id, client=conn.client_address(),
            )
        )  # fmt: skip

    def connection_closed(self, conn: Connection, reason: str) -> None:
        """The connection ended."""
        if self._conns.pop(conn.id, None) is None:
            return
        up = conn.upstream.bytes if conn.upstream is not None else 0
        down = conn.downstream.bytes if conn.downstream is not None else 0
        self._closed_totals[0] += up
        self._closed_totals[1] += down
        self.server.emit(
            ev.ConnectionClosed(
                at=self.server.clock.now(), source=f"proxy:{self.name}",
                proxy=self.name, connection=conn.id, bytes_upstream=up,
                bytes_downstream=down, reason=reason,
            )
        )  # fmt: skip

    def toxic_applied(self, conn: Connection, link: Link, toxic: Toxic) -> None:
        """A toxicity roll made `toxic` act on one direction of `conn`."""
        self._applied += 1
        self.server.emit(
            ev.ToxicApplied(
                at=self.server.clock.now(), source=f"proxy:{self.name}", proxy=self.name,
                toxic=toxic.name, type=toxic.type, stream=toxic.stream, connection=conn.id,
            )
        )  # fmt: skip

    # -- views ----------------------------------------------------------------

    @property
    def connections(self) -> int:
        """Connections open right now."""
        return len(self._conns)

    @property
    def stats(self) -> ProxyStats:
        """Connections and bytes so far (live connections included)."""
        up, down = self._closed_totals
        for conn in list(self._conns.values()):
            up += conn.upstream.bytes if conn.upstream is not None else 0
            down += conn.downstream.bytes if conn.downstream is not None else 0
        return ProxyStats(self._connections_total, len(self._conns), up, down, self._applied)

    def to_dict(self) -> dict[str, Any]:
        """Toxiproxy's JSON shape: name, listen, upstream, enabled, toxics."""
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [t.to_dict() for t in self.toxics],
        }

    def __repr__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"<Proxy {self.name} {self.listen} -> {self.upstream} {state}>"


def check_name(name: object) -> str:
    """A proxy name: a non-empty string."""
    if not isinstance(name, str) or not name:
        raise ConfigError([("name", "missing required field: name")])
    return name
