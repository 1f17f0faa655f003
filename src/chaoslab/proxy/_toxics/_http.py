"""Runtime of the HTTP/1.1-aware toxics: http_status, http_delay, sse_cut.

They sit on the downstream stream (responses to the client). Request framing
is h11's (the sans-I/O HTTP/1.1 library httpx is built on); the proxy never
parses HTTP by hand.
"""

from __future__ import annotations

from http import HTTPStatus

import h11

from chaoslab.proxy._toxics._attrs import ToxicAttributes
from chaoslab.proxy._toxics._base import Chunk, Emit, Stage

__all__ = ["HttpDelayStage", "HttpStatusStage", "SseCutStage"]


class HttpStatusStage(Stage):
    """Answers each HTTP/1.x request from the client itself, with `status`.

    The request is read whole (h11 frames it) and never reaches the upstream,
    so removing the toxic hands the next request to the upstream on the same,
    still clean, connection. Data that does not start a request (the toxic was
    added mid-request) is forwarded untouched, and the toxic steps aside on
    that connection.
    """

    __slots__ = ("_conn", "_passing")

    def start(self) -> None:
        self._conn = h11.Connection(h11.SERVER)
        self._passing = False
        self.link.intercept_peer(self._on_request_bytes)

    def stop(self, *, removed: bool) -> None:
        pending = b"" if self._passing else bytes(self._conn.trailing_data[0])
        self.link.intercept_peer(None, release=pending)

    def reconfigure(self, attrs: ToxicAttributes) -> None:
        # Keep the request parser: a request half-read goes on being read.
        self.attrs = attrs

    def _on_request_bytes(self, data: bytes) -> bytes | None:
        if self._passing:
            return None
        fresh = self._conn.their_state is h11.IDLE and not self._conn.trailing_data[0]
        if fresh and data[:1] and not data[:1].isupper():
            return self._pass_through(data)
        self._conn.receive_data(data)
        try:
            while True:
                event = self._conn.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    return b""
                if isinstance(event, h11.EndOfMessage):
                    self._answer()
                    if self._conn.our_state is h11.MUST_CLOSE:
                        self.link.close()
                        return b""
                    self._conn.start_next_cycle()
                elif isinstance(event, h11.ConnectionClosed):
                    return b""
        except h11.RemoteProtocolError:
            return self._pass_through(data)

    def _pass_through(self, data: bytes) -> bytes:
        # Not the start of a request: the toxic cannot act on this connection.
        self._passing = True
        return data

    def _answer(self) -> None:
        attrs = self.attrs
        body = attrs.body.encode()
        try:
            reason = HTTPStatus(attrs.status).phrase.encode()
        except ValueError:
            reason = b""
        headers = [(k, v) for k, v in attrs.headers.items()]
        names = {k.lower() for k, _ in headers}
        if attrs.retry_after is not None and "retry-after" not in names:
            headers.append(("Retry-After", str(attrs.retry_after)))
        if "content-type" not in names:
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
        headers.append(("Content-Length", str(len(body))))
        out = self._conn.send(
            h11.Response(status_code=attrs.status, headers=headers, reason=reason)
        )
        out = (out or b"") + (self._conn.send(h11.Data(data=body)) or b"")
        out += self._conn.send(h11.EndOfMessage()) or b""
        self.link.write_back(out)


class HttpDelayStage(Stage):
    """Holds the first byte of each response `delay` ms (from when it was read).

    A response starts with the first byte from the upstream after the client
    sent something: that fits HTTP/1.1 and any request-response protocol.
    """

    __slots__ = ("_seen",)

    def start(self) -> None:
        self._seen = self.link.peer_bytes()

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        peer = self.link.peer_bytes()
        if peer > self._seen:
            self._seen = peer
            wait = chunk.at + self.attrs.delay / 1000.0 - self.link.now()
            if wait > 0:
                await self.link.sleep(wait, self)
        await emit(chunk)


class SseCutStage(Stage):
    """Passes `events` complete server-sent events, then resets the connection.

    An event ends at a blank line that follows some content; an HTTP response
    head (a stream starting with `HTTP/`) is passed on and not counted.
    """

    __slots__ = ("_content", "_count", "_first", "_head", "_tail")

    def start(self) -> None:
        self._count = 0
        self._head = False
        self._content = False
        self._tail = b""
        self._first = True
        if self.attrs.events == 0:
            self.link.close(reset=True)

    def reconfigure(self, attrs: ToxicAttributes) -> None:
        # The count goes on across updates (as limit_data's does).
        self.attrs = attrs
        if self._count >= self.attrs.events:
            self.link.close(reset=True)

    def _event_end(self, data: bytes) -> int | None:
        """Offset just past the event that reaches the limit, if in `data`."""
        if self._first:
            self._first = False
            self._head = data.startswith(b"HTTP/")
        window = self._tail + data
        base = len(self._tail)
        for i in range(base, len(window)):
            byte = window[i]
            if byte == 10:  # LF: a line ends; blank if the previous line was empty
                blank = (i >= 1 and window[i - 1] == 10) or (
                    i >= 2 and window[i - 1] == 13 and window[i - 2] == 10
                )
                if blank and self._head:
                    self._head = False
                    self._content = False
                elif blank and self._content:
                    self._content = False
                    self._count += 1
                    if self._count >= self.attrs.events:
                        return i + 1 - base
            elif byte != 13:
                self._content = True
        self._tail = window[-2:]
        return None

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        end = self._event_end(chunk.data)
        if end is None:
            await emit(chunk)
            return
        await emit(Chunk(chunk.data[:end], chunk.at))
        self.link.close(reset=True)
