"""A proxied connection: two sockets (asyncio transports), two links.

The client side is accepted by the proxy's listener; the upstream side is
dialed per connection. `upstream` link = client -> server, `downstream` link =
server -> client. End of stream in one direction is passed on as a half-close
(FIN); the connection is closed once both directions have ended, or at once
when either socket fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import TYPE_CHECKING, Any, cast

from chaoslab.proxy._link import Link

if TYPE_CHECKING:
    from chaoslab.proxy._proxy import Proxy
    from chaoslab.proxy._toxics import Toxic

__all__ = ["Connection", "Side"]

_LINGER_RESET = struct.pack("ii", 1, 0)


class Side(asyncio.Protocol):
    """One socket of a connection: feeds its outbound link, drains its inbound."""

    __slots__ = ("conn", "early", "inbound", "outbound", "transport")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.transport: asyncio.Transport | None = None
        self.outbound: Link | None = None  # data read here goes out through this link
        self.inbound: Link | None = None  # this link writes into our transport
        self.early: list[bytes | None] | None = None  # read before the links existed

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: no isinstance check.
        self.transport = cast(asyncio.Transport, transport)
        if self is self.conn.client:
            # Some loops (uvloop) start reading inside connection_made: stop at
            # once, nothing can be forwarded before the upstream answers.
            self.transport.pause_reading()

    def data_received(self, data: bytes) -> None:
        link = self.outbound
        if link is None:
            self._keep(data)
        elif link.fast:  # Link.feed's fast path, inlined: the hot path of the proxy
            link.bytes += len(data)
            link.sink.write(data)
        else:
            link.feed(data)

    def eof_received(self) -> bool:
        link = self.outbound
        if link is not None:
            link.feed_eof()
        else:
            self._keep(None)
        return True  # keep the socket open for the other direction (half-close)

    def _keep(self, data: bytes | None) -> None:
        if self.early is None:
            self.early = []
        self.early.append(data)

    def replay(self) -> None:
        """Hand what arrived before wiring to the outbound link, in order."""
        early, self.early = self.early, None
        link = self.outbound
        for data in early or ():
            if link is not None:
                if data is None:
                    link.feed_eof()
                else:
                    link.feed(data)

    def pause_writing(self) -> None:
        if self.inbound is not None:
            self.inbound.sink_paused(True)

    def resume_writing(self) -> None:
        if self.inbound is not None:
            self.inbound.sink_paused(False)

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.close(reason="error" if exc is not None else "closed")


class Connection:
    """Both sides and both links of one proxied connection."""

    __slots__ = (
        "_dial",
        "_finished",
        "client",
        "closed",
        "downstream",
        "id",
        "proxy",
        "upstream",
        "upstream_side",
    )

    def __init__(self, proxy: Proxy, conn_id: int) -> None:
        self.proxy = proxy
        self.id = conn_id
        self.client = Side(self)
        self.upstream_side = Side(self)
        self.upstream: Link | None = None
        self.downstream: Link | None = None
        self.closed = False
        self._finished = 0
        self._dial: asyncio.Task[None] | None = None

    def start(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        """Take over an accepted socket: wrap it, dial the upstream, then forward."""
        self._dial = loop.create_task(self._connect(sock, loop))

    async def _connect(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        host, port = self.proxy.upstream_address()
        try:
            await loop.connect_accepted_socket(lambda: self.client, sock)
            await loop.create_connection(lambda: self.upstream_side, host, port)
        except (OSError, asyncio.CancelledError):
            # Toxiproxy closes the client right after accept when the dial fails.
            self.close(reason="upstream unreachable")
            return
        finally:
            self._dial = None
        if self.closed:
            self._close_transports(reset=False)
            return
        self._wire(loop)

    def _wire(self, loop: asyncio.AbstractEventLoop) -> None:
        client, server = self.client.transport, self.upstream_side.transport
        assert client is not None
        assert server is not None
        proxy = self.proxy
        clock = proxy.server.clock
        up = Link(
            self, "upstream", proxy.chain("upstream"), client, server,
            seed=proxy.server.link_seed(), clock=clock, loop=loop, defer=True,
        )  # fmt: skip
        down = Link(
            self, "downstream", proxy.chain("downstream"), server, client,
            seed=proxy.server.link_seed(), clock=clock, loop=loop, defer=True,
        )  # fmt: skip
        up.peer, down.peer = down, up
        self.upstream, self.downstream = up, down
        self.client.outbound, self.client.inbound = up, down
        self.upstream_side.outbound, self.upstream_side.inbound = down, up
        # Toxics start only now that both links exist: interceptors (http_status)
        # attach to the peer link.
        up.chain_changed()
        down.chain_changed()
        proxy.connection_opened(self)
        self.upstream_side.replay()
        self.client.replay()
        if not self.closed and not up.source_paused:
            client.resume_reading()

    def chain_changed(self) -> None:
        """The proxy's toxics changed: let both links pick the change up."""
        for link in (self.upstream, self.downstream):
            if link is not None:
                link.chain_changed()

    # -- LinkOwner -----------------------------------------------------------

    def link_finished(self, link: Link) -> None:
        self._finished += 1
        if self._finished >= 2:
            self.close(reason="eof")

    def toxic_applied(self, link: Link, toxic: Toxic) -> None:
        self.proxy.toxic_applied(self, link, toxic)

    def close(self, *, reset: bool = False, reason: str = "closed") -> None:
        """Close both sockets (after flushing; `reset` sends RST instead of FIN)."""
        if self.closed:
            return
        self.closed = True
        for link in (self.upstream, self.downstream):
            if link is not None:
                link.shutdown()
        dial = self._dial
        if dial is not None and dial is not asyncio.current_task():
            dial.cancel()
        self._close_transports(reset=reset)
        self.proxy.connection_closed(self, "reset" if reset else reason)

    def _close_transports(self, *, reset: bool) -> None:
        for side in (self.client, self.upstream_side):
            transport = side.transport
            if transport is None:
                continue
            if reset:
                sock: Any = transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            transport.close()

    def client_address(self) -> str:
        """The client's host:port."""
        transport = self.client.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        return f"{peer[0]}:{peer[1]}" if peer else "?"
