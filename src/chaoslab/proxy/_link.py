"""A link: one direction of one connection, with its chain of toxic stages.

While no toxic is active on the link, `feed` writes each chunk straight to the
destination (the fast path: one read, one write). Once a toxic is active,
chunks queue (bounded: the source is paused past `HIGH_WATER` bytes) and a
pump task passes them through the stages in order. Chain changes take effect
at chunk boundaries; the link goes back to the fast path once no toxic is
active and nothing is queued, so bytes are never reordered.

Links need no sockets: a `Source` (pause/resume reading) and a `Sink` (write,
write_eof, backpressure) are enough, which is how the unit tests drive them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from chaoslab.clock import Clock, SystemClock
from chaoslab.proxy._link_types import ChainRef, LinkOwner, Sink, Source
from chaoslab.proxy._toxics import Chunk, Stage, Toxic

if TYPE_CHECKING:
    from chaoslab.proxy._toxics._base import TimerHandle

__all__ = ["HIGH_WATER", "ChainRef", "Link", "LinkOwner", "Sink", "Source"]

_log = logging.getLogger("chaoslab.proxy")

HIGH_WATER = 1 << 20  # queued bytes that pause the source while toxics hold data
LOW_WATER = 1 << 18

_PAUSE_SINK = 1
_PAUSE_QUEUE = 2


@dataclass(slots=True)
class _Slot:
    toxic: Toxic
    stage: Stage | None  # None: the toxicity roll left this toxic inactive here


class Link:
    """One direction of a proxied connection. See the module docstring."""

    __slots__ = (
        "_clock",
        "_ended",
        "_eof",
        "_intercept",
        "_loop",
        "_paused",
        "_pump",
        "_queue",
        "_queued",
        "_rng",
        "_seed",
        "_sleeping",
        "_slots",
        "_stages",
        "_synced",
        "_wakeup",
        "bytes",
        "chain",
        "closed",
        "connection_id",
        "fast",
        "owner",
        "peer",
        "sink",
        "source",
        "stream",
    )

    def __init__(
        self,
        owner: LinkOwner,
        stream: str,
        chain: ChainRef,
        source: Source,
        sink: Sink,
        *,
        seed: int = 0,
        clock: Clock | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        defer: bool = False,
    ) -> None:
        self.owner = owner
        self.connection_id = owner.id
        self.stream = stream
        self.chain = chain
        self.source = source
        self.sink = sink
        self.peer: Link | None = None
        self.bytes = 0  # bytes written to the sink
        self.fast = True
        self.closed = False
        self._clock = clock or SystemClock()
        self._loop = loop or asyncio.get_running_loop()
        self._seed = seed
        self._rng: random.Random | None = None  # built on first use: 5 KB each
        self._queue: deque[Chunk] | None = None
        self._queued = 0
        self._paused = 0
        self._eof = False
        self._ended = False
        self._pump: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._sleeping: tuple[Stage, asyncio.Future[bool]] | None = None
        self._slots: dict[str, _Slot] = {}
        self._stages: tuple[Stage, ...] = ()
        self._synced: tuple[Toxic, ...] = ()
        self._intercept: Callable[[bytes], bytes | None] | None = None
        if not defer:  # deferred: the connection links the peers first
            self.chain_changed()

    # -- the data path -----------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Bytes read from the source."""
        if self._intercept is not None:
            out = self._intercept(data)
            if out is not None:
                data = out
            if not data:
                return
        if self.fast:
            self.bytes += len(data)
            self.sink.write(data)
            return
        if self.closed or self._ended:
            return
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        queue.append(Chunk(data, self._clock.now()))
        self._queued += len(data)
        if self._queued > HIGH_WATER:
            self._set_pause(_PAUSE_QUEUE, on=True)
        self._wake()

    def feed_eof(self) -> None:
        """The source sent its end of stream (FIN)."""
        if self._eof or self.closed:
            return
        self._eof = True
        if self.fast:
            self._finish()
        else:
            self._wake()

    def sink_paused(self, paused: bool) -> None:
        """The sink's buffer went over (True) or back under (False) its limit."""
        self._set_pause(_PAUSE_SINK, on=paused)
        if not paused:
            self._wake()

    def _set_pause(self, bit: int, *, on: bool) -> None:
        before = self._paused
        self._paused = before | bit if on else before & ~bit
        if self.closed:
            return
        if before and not self._paused:
            self.source.resume_reading()
        elif self._paused and not before:
            self.source.pause_reading()

    @property
    def source_paused(self) -> bool:
        """True while the link holds its source paused (backpressure)."""
        return bool(self._paused)

    def _finish(self) -> None:
        if not self.closed and not self._ended:
            self._ended = True
            with contextlib.suppress(OSError, RuntimeError):
                self.sink.write_eof()
            self.owner.link_finished(self)

    # -- chain changes -----------------------------------------------------

    def chain_changed(self) -> None:
        """Pick up the current chain (call on the loop thread after each change)."""
        if self.closed or self._ended:
            return
        toxics = self.chain.toxics
        if toxics is not self._synced:
            self._sync(toxics)
        active = bool(self._stages) or self._intercept is not None
        if active or self._pump is not None:
            self.fast = False
            if self._pump is None:
                self._pump = self._loop.create_task(self._run(), name="chaoslab-link")
            self._wake()

    def _sync(self, toxics: tuple[Toxic, ...]) -> None:
        old = self._slots
        new: dict[str, _Slot] = {}
        for toxic in toxics:
            slot = old.pop(toxic.name, None)
            if slot is None:
                slot = _Slot(toxic, self._roll(toxic, None))
            elif slot.toxic is not toxic:
                self._interrupt(slot.stage)
                slot.stage = self._roll(toxic, slot.stage)
                slot.toxic = toxic
            new[toxic.name] = slot
        for slot in old.values():
            if slot.stage is not None:
                slot.stage.live = False
                self._interrupt(slot.stage)
                slot.stage.stop(removed=True)
        self._slots = new
        self._synced = toxics
        self._stages = tuple(s.stage for s in new.values() if s.stage is not None)

    def _roll(self, toxic: Toxic, stage: Stage | None) -> Stage | None:
        # Toxiproxy draws toxicity whenever a stage (re)starts: on add and update.
        p = toxic.toxicity
        active = p >= 1.0 or (p > 0.0 and self.rng.random() < p)
        if not active:
            if stage is not None:
                stage.live = False
                stage.stop(removed=False)
            return None
        if stage is not None:
            stage.reconfigure(toxic.config)
            return stage
        stage = toxic.kind.stage(toxic.config, self)
        stage.start()
        self.owner.toxic_applied(self, toxic)
        return stage

    def _interrupt(self, stage: Stage | None) -> None:
        sleeping = self._sleeping
        if (
            stage is not None
            and sleeping is not None
            and sleeping[0] is stage
            and not sleeping[1].done()
        ):
            sleeping[1].set_result(False)

    # -- the pump ----------------------------------------------------------

    def _wake(self) -> None:
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    async def _run(self) -> None:
        try:
            await self._pump_chunks()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a toxic's bug must close its connection, not the server
            _log.exception("link %s/%s failed; closing", self.connection_id, self.stream)
            self.owner.close()

    async def _pump_chunks(self) -> None:
        while not self.closed:
            if self._ended:  # a toxic ended this direction: nothing more to do
                self._queue = None
                self._pump = None
                return
            queue = self._queue
            if queue:
                chunk = queue.popleft()
                self._queued -= len(chunk.data)
                if self._paused & _PAUSE_QUEUE and self._queued <= LOW_WATER:
                    self._set_pause(_PAUSE_QUEUE, on=False)
                await self._through(self._stages, 0, chunk)
                continue
            if self._eof:
                await self._eof_through(self._stages)
                return
            if not self._stages and self._intercept is None:
                # Nothing active and nothing queued: back to the fast path.
                self._pump = None
                self.fast = True
                return
            self._wakeup = self._loop.create_future()
            await self._wakeup
            self._wakeup = None

    async def _through(self, stages: tuple[Stage, ...], index: int, chunk: Chunk) -> None:
        while index < len(stages) and not stages[index].live:
            index += 1  # removed meanwhile: its chunk in hand goes on untouched
        if index == len(stages):
            await self._emit(chunk)
            return
        await stages[index].process(chunk, partial(self._through, stages, index + 1))

    async def _emit(self, chunk: Chunk) -> None:
        if self.closed or self._ended or not chunk.data:
            return
        self.bytes += len(chunk.data)
        self.sink.write(chunk.data)
        while self._paused & _PAUSE_SINK and not self.closed:
            self._wakeup = self._loop.create_future()
            await self._wakeup
            self._wakeup = None

    async def _eof_through(self, stages: tuple[Stage, ...]) -> None:
        for stage in stages:
            if stage.live and not await stage.eof():
                return
        self._finish()

    # -- what stages may ask (LinkContext) -----------------------------------

    @property
    def rng(self) -> random.Random:
        """This link's generator, seeded from the server's."""
        if self._rng is None:
            self._rng = random.Random(self._seed)
        return self._rng

    def now(self) -> float:
        """Clock time in seconds."""
        return self._clock.now()

    async def sleep(self, seconds: float, stage: Stage) -> bool:
        """Sleep unless `stage` is updated or removed meanwhile (then False)."""
        if not stage.live or self.closed:
            return False
        future: asyncio.Future[bool] = self._loop.create_future()
        timer = self._timer(seconds, partial(_resolve, future, True))
        self._sleeping = (stage, future)
        try:
            return await future
        finally:
            timer.cancel()
            self._sleeping = None

    def call_later(self, seconds: float, callback: Callable[[], None]) -> TimerHandle:
        """Run `callback` after `seconds` of the link's clock."""
        return self._timer(seconds, callback)

    def _timer(self, seconds: float, callback: Callable[[], None]) -> TimerHandle:
        if type(self._clock) is SystemClock:
            return self._loop.call_later(seconds, callback)
        task = self._loop.create_task(self._clock.sleep_async(seconds))
        task.add_done_callback(lambda t: None if t.cancelled() else callback())
        return task

    def close(self, *, reset: bool = False) -> None:
        """Close the whole connection."""
        self.owner.close(reset=reset)

    def end(self) -> None:
        """End this direction now (FIN to the destination); later data is dropped."""
        self._finish()

    def peer_bytes(self) -> int:
        """Bytes the opposite direction has passed so far."""
        return self.peer.bytes if self.peer is not None else 0

    def intercept_peer(
        self, interceptor: Callable[[bytes], bytes | None] | None, *, release: bytes = b""
    ) -> None:
        """Route the opposite direction's reads through `interceptor`."""
        peer = self.peer
        if peer is None:
            return
        peer._intercept = interceptor
        if interceptor is not None:
            peer.fast = False
            if peer._pump is None and not peer.closed:
                peer._pump = peer._loop.create_task(peer._run(), name="chaoslab-link")
        elif release:
            peer.feed(release)
        if interceptor is None:
            peer._wake()

    def write_back(self, data: bytes) -> None:
        """Write straight to this direction's sink, outside the chain."""
        if not self.closed:
            self.bytes += len(data)
            self.sink.write(data)

    def shutdown(self) -> None:
        """The connection is closing: stop the stages and the pump."""
        if self.closed:
            return
        self.closed = True
        self.fast = False
        for stage in self._stages:
            stage.live = False
            self._interrupt(stage)
            stage.stop(removed=False)
        self._stages = ()
        self._slots = {}
        self._wake()
        pump = self._pump
        if pump is not None and pump is not asyncio.current_task():
            pump.cancel()
        self._pump = None


def _resolve(future: asyncio.Future[bool], value: bool) -> None:
    if not future.done():
        future.set_result(value)
