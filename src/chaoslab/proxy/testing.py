"""Testing helpers for toxics: an in-memory link harness and a conformance check.

`LinkHarness` runs one `Link` (one direction of a connection) without
sockets: a memory source, a memory sink, a chain of toxics, and a clock
(a `VirtualClock` with autojump makes a 100 ms latency cost no wall time).

`check_toxic` is the conformance check every toxic type must pass: at
toxicity 0 the bytes go through unchanged; the end of stream propagates (or
closes the connection, or is swallowed, as the type says); and removing the
toxic mid-stream loses, duplicates and reorders no byte it does not mean to
change.

Example:
    >>> import asyncio
    >>> from chaoslab.proxy.testing import check_toxic
    >>> asyncio.run(check_toxic("latency", {"latency": 100, "jitter": 10}))
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from typing import Any

from chaoslab.clock import Clock, VirtualClock
from chaoslab.proxy._link import ChainRef, Link
from chaoslab.proxy._toxics import TOXIC_TYPES, Toxic

__all__ = ["CONFORMANCE", "LinkHarness", "MemorySink", "MemorySource", "check_toxic"]


class MemorySource:
    """A source that records pause/resume calls."""

    def __init__(self) -> None:
        self.paused = False
        self.pauses = 0

    def pause_reading(self) -> None:
        """Pause."""
        self.paused = True
        self.pauses += 1

    def resume_reading(self) -> None:
        """Resume."""
        self.paused = False


class MemorySink:
    """A sink collecting bytes; `capacity` models a slow reader's full buffer."""

    def __init__(self, capacity: int | None = None) -> None:
        self.data = bytearray()
        self.eof = False
        self.capacity = capacity
        self.unread = 0
        self.link: Link | None = None
        self.full = False

    def write(self, data: bytes) -> None:
        """Append (an error after end of stream: that would be a link bug)."""
        if self.eof:
            raise AssertionError("write after write_eof")
        self.data += data
        self.unread += len(data)
        if self.capacity is not None and self.unread > self.capacity and not self.full:
            self.full = True
            if self.link is not None:
                self.link.sink_paused(True)

    def write_eof(self) -> None:
        """Half-close."""
        self.eof = True

    def get_write_buffer_size(self) -> int:
        """What a slow reader has not read yet."""
        return self.unread

    def read(self, n: int | None = None) -> None:
        """The reader catches up by `n` bytes (all by default)."""
        self.unread = 0 if n is None else max(0, self.unread - n)
        if self.full and (self.capacity is None or self.unread <= self.capacity // 2):
            self.full = False
            if self.link is not None:
                self.link.sink_paused(False)


class LinkHarness:
    """One link between a `MemorySource` and a `MemorySink`, with its own chain.

    Build it inside a running loop. `closed`/`reset` tell whether a toxic
    closed the connection.
    """

    id = 1

    def __init__(
        self, *, clock: Clock | None = None, seed: int = 0, capacity: int | None = None
    ) -> None:
        self.clock = clock if clock is not None else VirtualClock(autojump=True)
        self.chain = ChainRef()
        self.source = MemorySource()
        self.sink = MemorySink(capacity)
        self.closed = False
        self.reset = False
        self.finished = False
        self.applied: list[str] = []
        self.link = Link(
            self, "downstream", self.chain, self.source, self.sink,
            seed=seed, clock=self.clock, loop=asyncio.get_running_loop(),
        )  # fmt: skip
        self.sink.link = self.link

    # LinkOwner
    def close(self, *, reset: bool = False) -> None:
        """A toxic closed the connection."""
        if not self.closed:
            self.closed = True
            self.reset = reset
            self.link.shutdown()

    def link_finished(self, link: Link) -> None:
        """The end of stream went through."""
        self.finished = True

    def toxic_applied(self, link: Link, toxic: Toxic) -> None:
        """Record which toxics rolled active."""
        self.applied.append(toxic.name)

    # chain edits, as a Proxy makes them
    def add(self, type_: str, attributes: Mapping[str, Any] | None = None, **kw: Any) -> Toxic:
        """Append a toxic (stream is taken from the harness: downstream)."""
        toxic = Toxic.build(type_, attributes=attributes, **kw)
        self.chain.toxics = (*self.chain.toxics, toxic)
        self.link.chain_changed()
        return toxic

    def update(self, name: str, **kw: Any) -> Toxic:
        """Update a toxic in place."""
        old = next(t for t in self.chain.toxics if t.name == name)
        new = old.updated(**kw)
        self.chain.toxics = tuple(new if t is old else t for t in self.chain.toxics)
        self.link.chain_changed()
        return new

    def remove(self, name: str) -> None:
        """Remove a toxic."""
        self.chain.toxics = tuple(t for t in self.chain.toxics if t.name != name)
        self.link.chain_changed()

    async def until(self, predicate: Callable[[], bool], limit: float = 120.0) -> bool:
        """Wait (in clock time, at most `limit` s) until `predicate()` holds."""
        start = self.clock.now()
        while not predicate():
            if self.clock.now() - start > limit:
                return False
            await self.clock.sleep_async(0.005)
        return True

    async def settle(self, limit: float = 120.0) -> bool:
        """Wait until the end of stream went through or the connection closed."""
        return await self.until(lambda: self.finished or self.closed, limit)


#: What each toxic type does to bytes and to the end of stream, for `check_toxic`.
#: keeps: bytes pass unchanged when it is active; eof: "passes", "closes" or "swallowed".
CONFORMANCE: dict[str, dict[str, Any]] = {
    "noop": {"keeps": True, "eof": "passes", "attributes": {}},
    "latency": {"keeps": True, "eof": "passes", "attributes": {"latency": 100, "jitter": 10}},
    "bandwidth": {"keeps": True, "eof": "passes", "attributes": {"rate": 100}},
    "slow_close": {"keeps": True, "eof": "passes", "attributes": {"delay": 50}},
    "slicer": {"keeps": True, "eof": "passes",
               "attributes": {"average_size": 64, "size_variation": 16, "delay": 100}},
    "http_delay": {"keeps": True, "eof": "passes", "attributes": {"delay": 50}},
    "timeout": {"keeps": False, "eof": "closes", "attributes": {"timeout": 0}},
    "reset_peer": {"keeps": False, "eof": "closes", "attributes": {"timeout": 10}},
    "limit_data": {"keeps": False, "eof": "passes", "attributes": {"bytes": 1 << 30}},
    "blackhole": {"keeps": False, "eof": "swallowed", "attributes": {}},
    "corrupt": {"keeps": False, "eof": "passes", "attributes": {"probability": 0.01}},
    "drop": {"keeps": False, "eof": "passes", "attributes": {"bytes": 1 << 30}},
    "sse_cut": {"keeps": False, "eof": "passes", "attributes": {"events": 1 << 30}},
    "http_status": {"keeps": False, "eof": "passes", "attributes": {"status": 503}},
}  # fmt: skip


def _chunks(rng: random.Random, total: int) -> list[bytes]:
    out = []
    while total > 0:
        n = min(total, rng.randint(1, 4096))
        out.append(rng.randbytes(n))
        total -= n
    return out


async def _feed(h: LinkHarness, chunks: list[bytes]) -> None:
    for chunk in chunks:
        h.link.feed(chunk)
        await h.clock.sleep_async(0.001)


async def check_toxic(
    type_: str, attributes: Mapping[str, Any] | None = None, *, seed: int = 0
) -> None:
    """Raise AssertionError unless toxic `type_` passes the conformance checks."""
    spec = CONFORMANCE.get(type_, {"keeps": False, "eof": "passes", "attributes": {}})
    attrs = dict(spec["attributes"] if attributes is None else attributes)
    assert type_ in TOXIC_TYPES, f"unknown toxic type {type_!r}"
    rng = random.Random(seed)
    chunks = _chunks(rng, 64 * 1024)
    expected = b"".join(chunks)

    # 1. toxicity 0: every byte unchanged, end of stream passed on.
    h = LinkHarness(seed=seed)
    h.add(type_, attrs, toxicity=0.0)
    await _feed(h, chunks)
    h.link.feed_eof()
    assert await h.settle(), f"{type_} at toxicity 0: end of stream did not pass"
    assert h.finished, f"{type_} at toxicity 0 closed the connection"
    assert bytes(h.sink.data) == expected, f"{type_} at toxicity 0 changed the bytes"
    assert h.sink.eof, f"{type_} at toxicity 0 lost the end of stream"

    # 2. end of stream with the toxic active.
    h = LinkHarness(seed=seed)
    h.add(type_, attrs)
    await _feed(h, chunks[:4])
    h.link.feed_eof()
    settled = await h.settle(limit=30.0)
    if spec["eof"] == "passes":
        assert settled, f"{type_}: end of stream did not propagate"
        assert h.sink.eof or h.closed, f"{type_}: end of stream lost"
    elif spec["eof"] == "closes":
        assert h.closed, f"{type_}: end of stream did not close the connection"
    else:
        assert not h.sink.eof, f"{type_}: end of stream should have been swallowed"

    # 3. removal mid-stream: no byte lost, duplicated or reordered.
    if spec["keeps"]:
        h = LinkHarness(seed=seed)
        half = len(chunks) // 2
        toxic = h.add(type_, attrs)
        await _feed(h, chunks[:half])
        h.remove(toxic.name)
        await _feed(h, chunks[half:])
        h.link.feed_eof()
        assert await h.settle(), f"{type_}: end of stream lost after removal"
        assert bytes(h.sink.data) == expected, f"{type_}: removal lost or reordered bytes"
