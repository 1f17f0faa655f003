"""What a toxic's runtime needs: chunks, the link it runs in, and the stage contract.

A toxic is configuration (`Toxic`, with a frozen attribute model). A `Stage` is
that toxic's state on one link (one connection, one direction). The link calls
the stage once per chunk, in order, and once at end of stream; the stage passes
chunks on with `emit`, possibly later, split, changed or not at all.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chaoslab.proxy._toxics._attrs import ToxicAttributes

__all__ = ["Chunk", "Emit", "LinkContext", "Stage", "TimerHandle"]


@dataclass(slots=True)
class Chunk:
    """Bytes read from a socket, and the clock time they were read at.

    Latency toxics move `at` forward by the delay they applied, so stacked
    latencies add up as they do in Toxiproxy.
    """

    data: bytes
    at: float


Emit = Callable[[Chunk], Awaitable[None]]


class TimerHandle(Protocol):
    """A cancellable timer (asyncio.TimerHandle fits)."""

    def cancel(self) -> object:
        """Stop the timer."""


class LinkContext(Protocol):
    """What a stage may ask of the link it runs in."""

    connection_id: int

    @property
    def rng(self) -> random.Random:
        """The link's seeded generator."""
        ...

    def now(self) -> float:
        """Clock time in seconds."""
        ...

    async def sleep(self, seconds: float, stage: Stage) -> bool:
        """Wait; False if the stage's toxic was updated or removed meanwhile."""
        ...

    def call_later(self, seconds: float, callback: Callable[[], None]) -> TimerHandle:
        """Run `callback` after `seconds` on the link's loop."""
        ...

    def close(self, *, reset: bool = False) -> None:
        """Close the whole connection (both directions); `reset` sends RST."""
        ...

    def end(self) -> None:
        """End this direction (FIN to its destination); the other goes on."""
        ...

    def peer_bytes(self) -> int:
        """Bytes read so far by the opposite direction of the same connection."""
        ...

    def intercept_peer(
        self, interceptor: Callable[[bytes], bytes | None] | None, *, release: bytes = b""
    ) -> None:
        """Route the opposite direction's data through `interceptor` (None: stop).

        The interceptor returns the bytes to forward (possibly empty), or None to
        forward the data unchanged. `release` (with None) is data the
        interceptor held back, forwarded now.
        """
        ...

    def write_back(self, data: bytes) -> None:
        """Write bytes straight to this direction's destination (an answer)."""
        ...


class Stage:
    """One toxic's state on one link. Subclasses override what they change.

    The base class passes every chunk and the end of stream on unchanged.
    `attrs` is the toxic's attribute model; `reconfigure` swaps it when the
    toxic is updated (counters such as limit_data's survive the update).
    """

    __slots__ = ("attrs", "link", "live")

    def __init__(self, attrs: ToxicAttributes, link: LinkContext) -> None:
        self.attrs: Any = attrs
        self.link = link
        self.live = True

    def start(self) -> None:
        """The stage joined its link (active by the toxicity roll)."""

    def reconfigure(self, attrs: ToxicAttributes) -> None:
        """The toxic was updated: use the new attributes from the next chunk on."""
        self.stop(removed=False)
        self.attrs = attrs
        self.start()

    def stop(self, *, removed: bool) -> None:
        """The stage leaves its link (toxic removed, or connection closed)."""

    async def process(self, chunk: Chunk, emit: Emit) -> None:
        """Handle one chunk; call `emit` for what goes on."""
        await emit(chunk)

    async def eof(self) -> bool:
        """The source ended; return True to pass the end of stream on."""
        return True
