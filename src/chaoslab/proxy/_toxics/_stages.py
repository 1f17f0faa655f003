"""Runtime of the byte-level toxics: Toxiproxy's seven and blackhole, corrupt, drop.

Semantics follow Toxiproxy's toxics/*.go; where chaoslab differs on purpose the
class docstring says so.
"""

from __future__ import annotations

import math

from chaoslab.proxy._toxics._attrs import ToxicAttributes
from chaoslab.proxy._toxics._base import Chunk, Emit, LinkContext, Stage, TimerHandle

__all__ = [
    "BandwidthStage",
    "BlackholeStage",
    "CorruptStage",
    "DropStage",
    "LatencyStage",
    "LimitDataStage",
    "ResetPeerStage",
    "SlicerStage",
    "SlowCloseStage",
    "TimeoutStage",
]

_FOREVER = 10.0**9


class LatencyStage(Stage):
    """Each chunk leaves `latency ± jitter` ms after it was read; order is kept.

    The wait counts from the chunk's read time, so a bulk stream keeps its
    throughput. Jitter is drawn in whole ms from [-jitter, jitter), as Toxiproxy.
    """

    __slots__ = ()

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        delay = self.attrs.latency
        jitter = self.attrs.jitter
        if jitter > 0:
            delay += self.link.rng.randrange(2 * jitter) - jitter
        due = chunk.at + delay / 1000.0
        wait = due - self.link.now()
        if wait <= 0 or await self.link.sleep(wait, self):
            chunk.at = max(due, chunk.at)
        await emit(chunk)


class BandwidthStage(Stage):
    """At most `rate` KB/s per connection; big chunks leave in 100 ms slices.

    `rate` 0 lets nothing through until the toxic is updated or removed.
    """

    __slots__ = ("_free_at",)

    def start(self) -> None:
        self._free_at = 0.0

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        rate = self.attrs.rate * 1000  # bytes per second
        if rate <= 0:
            await self.link.sleep(_FOREVER, self)
            await emit(chunk)
            return
        data = chunk.data
        slice_size = max(rate // 10, 1)
        while data:
            piece, data = data[:slice_size], data[slice_size:]
            self._free_at = max(self._free_at, self.link.now()) + len(piece) / rate
            wait = self._free_at - self.link.now()
            if wait > 0 and not await self.link.sleep(wait, self):
                await emit(Chunk(piece + data, chunk.at))
                return
            await emit(Chunk(piece, chunk.at))


class SlowCloseStage(Stage):
    """Data untouched; the end of stream waits `delay` ms before going on."""

    __slots__ = ()

    async def eof(self) -> bool:
        await self.link.sleep(self.attrs.delay / 1000.0, self)
        return True


class TimeoutStage(Stage):
    """Drops all data; closes the connection after `timeout` ms (0: never).

    The timer starts when the stage starts and restarts on every dropped chunk
    (Toxiproxy). End of stream closes the connection. Removing the toxic closes
    the connections it was active on: their stream has a gap, so going on
    would hand the peer corrupt data (Toxiproxy closes them too).
    """

    __slots__ = ("_timer",)

    def start(self) -> None:
        self._timer: TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.attrs.timeout > 0:
            self._timer = self.link.call_later(self.attrs.timeout / 1000.0, self.link.close)

    def stop(self, *, removed: bool) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if removed:
            self.link.close()

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        self._arm()

    async def eof(self) -> bool:
        self.link.close()
        return False


class ResetPeerStage(Stage):
    """On the first chunk or end of stream: drop it, wait `timeout` ms, reset (RST).

    chaoslab sets SO_LINGER 0 when the toxic fires, so every connection it acts
    on is reset; Toxiproxy only resets connections opened while it existed.
    """

    __slots__ = ()

    async def _fire(self) -> None:
        await self.link.sleep(self.attrs.timeout / 1000.0, self)
        self.link.close(reset=True)

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        await self._fire()

    async def eof(self) -> bool:
        await self._fire()
        return False


class SlicerStage(Stage):
    """Cuts each chunk into pieces of about `average_size` bytes, `delay` µs apart.

    Toxiproxy's recursive halving: a span longer than average + variation is
    cut near its middle, the cut moved by up to ±variation (seeded).
    """

    __slots__ = ()

    def cuts(self, length: int) -> list[int]:
        """Offsets where pieces start, plus `length` (for tests: sizes are diffs)."""
        limit = self.attrs.average_size + self.attrs.size_variation
        variation = self.attrs.size_variation
        out = [0]
        spans = [(0, length)]  # a stack, right half pushed first: pieces come out in order
        while spans:
            start, end = spans.pop()
            if end - start <= limit:
                out.append(end)
                continue
            mid = start + (end - start) // 2
            if variation > 0:
                mid += self.link.rng.randrange(2 * variation) - variation
            spans.append((mid, end))
            spans.append((start, mid))
        return out

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        data = chunk.data
        cuts = self.cuts(len(data))
        delay = self.attrs.delay / 1_000_000.0
        for i in range(1, len(cuts)):
            await emit(Chunk(data[cuts[i - 1] : cuts[i]], chunk.at))
            if delay > 0 and not await self.link.sleep(delay, self):
                if cuts[i] < len(data):
                    await emit(Chunk(data[cuts[i] :], chunk.at))
                return


class LimitDataStage(Stage):
    """Passes `bytes` bytes on this connection and direction, then ends it (FIN).

    The count survives updates of the toxic; with nothing left to pass, the
    direction ends as soon as the stage starts (Toxiproxy). Toxiproxy then
    closes the whole connection; chaoslab ends only this direction, so a reply
    already on its way in the other direction still arrives (the peer closes
    once it sees the end of stream).
    """

    __slots__ = ("_sent",)

    def __init__(self, attrs: ToxicAttributes, link: LinkContext) -> None:
        super().__init__(attrs, link)
        self._sent = 0

    def start(self) -> None:
        if self.attrs.bytes - self._sent <= 0:
            self.link.end()

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        remaining = self.attrs.bytes - self._sent
        if remaining <= 0:
            self.link.end()
            return
        data = chunk.data[:remaining]
        self._sent += len(data)
        await emit(Chunk(data, chunk.at))
        if self._sent >= self.attrs.bytes:
            self.link.end()


class BlackholeStage(Stage):
    """Reads and drops everything, end of stream included: a half-open peer."""

    __slots__ = ()

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        return

    async def eof(self) -> bool:
        return False


class CorruptStage(Stage):
    """Flips one bit in each byte with `probability`, from the seeded generator.

    Gaps between flipped bytes are drawn geometrically, so the cost is per
    flip, not per byte.
    """

    __slots__ = ("_next",)

    def start(self) -> None:
        self._next = self._gap()

    def _gap(self) -> int:
        p = self.attrs.probability
        if p >= 1.0:
            return 0
        if p <= 0.0:
            return 1 << 62
        return int(math.log(1.0 - self.link.rng.random()) / math.log(1.0 - p))

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        data = chunk.data
        pos = self._next
        if pos >= len(data):
            self._next = pos - len(data)
            await emit(chunk)
            return
        buf = bytearray(data)
        rng = self.link.rng
        while pos < len(buf):
            buf[pos] ^= 1 << rng.randrange(8)
            pos += 1 + self._gap()
        self._next = pos - len(buf)
        await emit(Chunk(bytes(buf), chunk.at))


class DropStage(Stage):
    """Mid-stream loss: resets the connection after `bytes` bytes or `after` ms.

    The bytes before the cut are delivered first, then the peer sees a reset.
    """

    __slots__ = ("_sent", "_timer")

    def __init__(self, attrs: ToxicAttributes, link: LinkContext) -> None:
        super().__init__(attrs, link)
        self._sent = 0
        self._timer: TimerHandle | None = None

    def start(self) -> None:
        if self.attrs.after is not None:
            self._timer = self.link.call_later(self.attrs.after / 1000.0, self._cut)
        if self.attrs.bytes is not None and self._sent >= self.attrs.bytes:
            self._cut()

    def _cut(self) -> None:
        self.link.close(reset=True)

    def stop(self, *, removed: bool) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        limit = self.attrs.bytes
        if limit is None:
            await emit(chunk)
            return
        data = chunk.data[: max(limit - self._sent, 0)]
        self._sent += len(data)
        if data:
            await emit(Chunk(data, chunk.at))
        if self._sent >= limit:
            self._cut()
