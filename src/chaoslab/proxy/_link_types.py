"""What a link is connected to: its source, its sink, its owner, its chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chaoslab.proxy._toxics import Toxic

if TYPE_CHECKING:
    from chaoslab.proxy._link import Link

__all__ = ["ChainRef", "LinkOwner", "Sink", "Source"]


class Source(Protocol):
    """Where a link's bytes come from (an asyncio transport fits)."""

    def pause_reading(self) -> None:
        """Stop delivering data."""

    def resume_reading(self) -> None:
        """Deliver data again."""


class Sink(Protocol):
    """Where a link's bytes go."""

    def write(self, data: bytes) -> None:
        """Queue bytes for the destination."""

    def write_eof(self) -> None:
        """Half-close: no more bytes in this direction."""

    def get_write_buffer_size(self) -> int:
        """Bytes written but not yet sent."""
        ...


class LinkOwner(Protocol):
    """The connection a link belongs to."""

    id: int

    def close(self, *, reset: bool = False) -> None:
        """Close both directions."""

    def link_finished(self, link: Link) -> None:
        """The link passed its end of stream on."""

    def toxic_applied(self, link: Link, toxic: Toxic) -> None:
        """A toxic's toxicity roll made it active on `link`."""


@dataclass(slots=True)
class ChainRef:
    """The toxics of one stream of a proxy; replaced whole, read by every link."""

    toxics: tuple[Toxic, ...] = ()
