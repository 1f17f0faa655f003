"""The pieces of the httpx seam that do not depend on sync or async.

- the injected httpx exceptions (each also an `InjectedFault`, so tests can
  tell them from real ones while code under test handles them as real);
- `StreamCutter`, the pure state machine that decides where a streamed body
  stops for a `DropMidStream` fault, shared by the sync and async streams;
- the byte streams that wrap an upstream body and cut it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from chaoslab.errors import InjectedFault
from chaoslab.faults import DropMidStream

__all__ = [
    "AsyncCutStream",
    "InjectedConnectError",
    "InjectedReadError",
    "InjectedReadTimeout",
    "InjectedRemoteProtocolError",
    "StreamCutter",
    "SyncCutStream",
]


class InjectedConnectError(InjectedFault, httpx.ConnectError):
    """An injected refused connection, as httpx reports one."""


class InjectedReadTimeout(InjectedFault, httpx.ReadTimeout):
    """An injected read timeout, as httpx reports one."""


class InjectedReadError(InjectedFault, httpx.ReadError):
    """An injected connection reset (httpx reports ECONNRESET as a ReadError)."""


class InjectedRemoteProtocolError(InjectedFault, httpx.RemoteProtocolError):
    """An injected cut mid-body (httpx reports an incomplete body this way)."""


_EVENT_END = b"\n\n"


class StreamCutter:
    """Decides how much of each chunk passes before a `DropMidStream` cut.

    `feed(chunk)` returns the part of the chunk that still passes and whether
    the cut has come; once it has, the stream must end with an error. Events are SSE events:
    each one ends with a blank line (`\\n\\n`), which may straddle chunks.

    Example:
        >>> cutter = StreamCutter(DropMidStream(after_events=1))
        >>> cutter.feed(b"data: a\\n\\ndata: b\\n\\n")
        (b'data: a\\n\\n', True)
    """

    __slots__ = ("_last", "cut", "events", "fault", "sent")

    def __init__(self, fault: DropMidStream) -> None:
        self.fault = fault
        self.sent = 0
        self.events = 0
        self.cut = self._limit_reached()
        self._last = b""

    def _limit_reached(self) -> bool:
        if self.fault.after_bytes is not None:
            return self.sent >= self.fault.after_bytes
        return self.events >= (self.fault.after_events or 0)

    def feed(self, chunk: bytes) -> tuple[bytes, bool]:
        """The prefix of `chunk` that passes before the cut, and whether it came."""
        passed = self._feed(chunk)
        return passed, self.cut

    def _feed(self, chunk: bytes) -> bytes:
        if self.cut:
            return b""
        if self.fault.after_bytes is not None:
            room = self.fault.after_bytes - self.sent
            passed = chunk[:room]
            self.sent += len(passed)
            self.cut = len(chunk) >= room
            return passed
        return self._feed_events(chunk)

    def _feed_events(self, chunk: bytes) -> bytes:
        wanted = self.fault.after_events or 0
        # Look one byte back so that a "\n" ending the previous chunk counts.
        joined = self._last + chunk
        offset = len(self._last)
        start = 0
        while True:
            found = joined.find(_EVENT_END, start)
            if found < 0:
                break
            self.events += 1
            start = found + len(_EVENT_END)
            if self.events >= wanted:
                self.cut = True
                passed = chunk[: start - offset]
                self.sent += len(passed)
                return passed
        # Keep the last byte only if no counted terminator used it.
        self._last = joined[-1:] if len(joined) > start else b""
        self.sent += len(chunk)
        return chunk


def _drop_error(fault: DropMidStream, request: httpx.Request) -> InjectedRemoteProtocolError:
    exc = InjectedRemoteProtocolError(
        f"peer closed connection without sending complete message body "
        f"({fault.describe()}, injected)",
        request=request,
    )
    exc.fault = fault
    return exc


class SyncCutStream(httpx.SyncByteStream):
    """An upstream body that stops, with an error, where the cutter says."""

    def __init__(
        self, inner: httpx.SyncByteStream, fault: DropMidStream, request: httpx.Request
    ) -> None:
        self._inner = inner
        self._fault = fault
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        cutter = StreamCutter(self._fault)
        cut = cutter.cut
        if not cut:
            for chunk in self._inner:
                passed, cut = cutter.feed(chunk)
                if passed:
                    yield passed
                if cut:
                    break
            else:
                return  # the body ended before the cut point: nothing to drop
        self._inner.close()  # a cut connection is gone
        raise _drop_error(self._fault, self._request)

    def close(self) -> None:
        self._inner.close()


class AsyncCutStream(httpx.AsyncByteStream):
    """The async twin of `SyncCutStream` (same cutter, same errors)."""

    def __init__(
        self, inner: httpx.AsyncByteStream, fault: DropMidStream, request: httpx.Request
    ) -> None:
        self._inner = inner
        self._fault = fault
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        cutter = StreamCutter(self._fault)
        cut = cutter.cut
        if not cut:
            async for chunk in self._inner:
                passed, cut = cutter.feed(chunk)
                if passed:
                    yield passed
                if cut:
                    break
            else:
                return
        await self._inner.aclose()
        raise _drop_error(self._fault, self._request)

    async def aclose(self) -> None:
        await self._inner.aclose()
