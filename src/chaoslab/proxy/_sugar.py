"""Shortcuts on `Proxy`: one context manager per toxic, `down()`, `apply(fault)`.

Each shortcut adds its toxic at once and returns a handle; leaving a `with`
(or `async with`) block removes it again. Mutations are synchronous and
thread-safe, so the same handle works in sync and async tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from chaoslab.proxy._errors import ToxicNotFound

if TYPE_CHECKING:
    from chaoslab.faults import Fault
    from chaoslab.proxy._toxics import Toxic

__all__ = ["DownHandle", "ToxicHandle", "ToxicShortcuts"]


class _Handle:
    def remove(self) -> None:
        """Undo (idempotent)."""

    def __enter__(self) -> _Handle:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()

    async def __aenter__(self) -> _Handle:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()


class ToxicHandle(_Handle):
    """A toxic added by a shortcut; `remove()` or leaving `with` takes it off."""

    def __init__(self, proxy: ToxicShortcuts, toxic: Toxic) -> None:
        self.proxy = proxy
        self.toxic = toxic

    def remove(self) -> None:
        """Remove the toxic (no error if it is already gone, e.g. after reset)."""
        with contextlib.suppress(ToxicNotFound):
            self.proxy.remove_toxic(self.toxic.name)

    def __enter__(self) -> ToxicHandle:
        return self

    async def __aenter__(self) -> ToxicHandle:
        return self


class DownHandle(_Handle):
    """The proxy disabled (connections refused); `remove()` enables it again."""

    def __init__(self, proxy: ToxicShortcuts) -> None:
        self.proxy = proxy
        proxy.set_enabled(False)

    def remove(self) -> None:
        """Enable the proxy again."""
        self.proxy.set_enabled(True)

    def __enter__(self) -> DownHandle:
        return self

    async def __aenter__(self) -> DownHandle:
        return self


class ToxicShortcuts:
    """Mixin of `Proxy`: the shortcuts, built on add_toxic/remove_toxic."""

    def add_toxic(
        self,
        type: str,  # noqa: A002 - Toxiproxy's field name
        *,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
        attributes: Mapping[str, Any] | None = None,
    ) -> Toxic:
        raise NotImplementedError

    def remove_toxic(self, name: str) -> None:
        raise NotImplementedError

    def set_enabled(self, enabled: bool) -> None:
        raise NotImplementedError

    def _shortcut(self, type_: str, opts: dict[str, Any], **attributes: Any) -> ToxicHandle:
        toxic = self.add_toxic(type_, attributes=attributes, **opts)
        return ToxicHandle(self, toxic)

    def latency(
        self, latency: int, jitter: int = 0, *, stream: str = "downstream",
        toxicity: float = 1.0, name: str | None = None,
    ) -> ToxicHandle:  # fmt: skip
        """Delay each chunk `latency` ms ± `jitter` ms.

        Example: `with proxy.latency(100, jitter=10): ...`
        """
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut("latency", opts, latency=latency, jitter=jitter)

    def bandwidth(
        self, rate: int, *, stream: str = "downstream", toxicity: float = 1.0,
        name: str | None = None,
    ) -> ToxicHandle:  # fmt: skip
        """Limit to `rate` KB/s (1 KB = 1000 bytes)."""
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut("bandwidth", opts, rate=rate)

    def slow_close(
        self, delay: int, *, stream: str = "downstream", toxicity: float = 1.0,
        name: str | None = None,
    ) -> ToxicHandle:  # fmt: skip
        """Hold the end of stream `delay` ms."""
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut("slow_close", opts, delay=delay)

    def timeout(
        self, timeout: int = 0, *, stream: str = "downstream", toxicity: float = 1.0,
        name: str | None = None,
    ) -> ToxicHandle:  # fmt: skip
        """Stop all data; close after `timeout` ms (0: never)."""
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut("timeout", opts, timeout=timeout)

    def reset_peer(
        self, timeout: int = 0, *, stream: str = "downstream", toxicity: float = 1.0,
        name: str | None = None,
    ) -> ToxicHandle:  # fmt: skip
        """Reset (RST) `timeout` ms after the first data."""
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut("reset_peer", opts, timeout=timeout)

    def slicer(
        self, average_size: int, size_variation: int = 0, delay: int = 0, *,
        stream: str = "downstream", toxicity: float = 1.0, name: str | None = None,
    ) -> ToxicHandle:  # fmt: skip
        """Cut data in pieces of about `average_size` bytes, `delay` µs apart."""
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut(
            "slicer", opts, average_size=average_size, size_variation=size_variation, delay=delay
        )

    def limit_data(
        self, nbytes: int, *, stream: str = "downstream", toxicity: float = 1.0,
        name: str | None = None,
    ) -> ToxicHandle:  # fmt: skip
        """Close after `nbytes` bytes per connection and direction."""
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut("limit_data", opts, bytes=nbytes)

    def blackhole(
        self, *, stream: str = "downstream", toxicity: float = 1.0, name: str | None = None
    ) -> ToxicHandle:
        """Read and drop everything: a half-open peer."""
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut("blackhole", opts)

    def corrupt(
        self, probability: float = 0.01, *, stream: str = "downstream",
        toxicity: float = 1.0, name: str | None = None,
    ) -> ToxicHandle:  # fmt: skip
        """Flip a bit in each byte with `probability` (seeded)."""
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut("corrupt", opts, probability=probability)

    def drop(
        self, nbytes: int | None = None, after: int | None = None, *,
        stream: str = "downstream", toxicity: float = 1.0, name: str | None = None,
    ) -> ToxicHandle:  # fmt: skip
        """Reset the connection after `nbytes` bytes or `after` ms."""
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut("drop", opts, bytes=nbytes, after=after)

    def http_status(
        self, status: int = 503, retry_after: int | None = None, body: str = "",
        headers: Mapping[str, str] | None = None, *, toxicity: float = 1.0,
        name: str | None = None,
    ) -> ToxicHandle:  # fmt: skip
        """Answer each HTTP request with `status` (e.g. 429 and Retry-After)."""
        opts = {"stream": "downstream", "toxicity": toxicity, "name": name}
        return self._shortcut(
            "http_status", opts, status=status, retry_after=retry_after, body=body,
            headers=dict(headers or {}),
        )  # fmt: skip

    def http_delay(
        self, delay: int, *, toxicity: float = 1.0, name: str | None = None
    ) -> ToxicHandle:
        """Hold the first byte of each response `delay` ms."""
        opts = {"stream": "downstream", "toxicity": toxicity, "name": name}
        return self._shortcut("http_delay", opts, delay=delay)

    def sse_cut(
        self, events: int = 1, *, toxicity: float = 1.0, name: str | None = None
    ) -> ToxicHandle:
        """Pass `events` server-sent events, then reset the connection."""
        opts = {"stream": "downstream", "toxicity": toxicity, "name": name}
        return self._shortcut("sse_cut", opts, events=events)

    def down(self) -> DownHandle:
        """Disable the proxy (connections refused, live ones closed) until removed.

        Example: `with proxy.down(): ...`
        """
        return DownHandle(self)

    def apply(
        self, fault: Fault, *, stream: str = "downstream", toxicity: float = 1.0,
        name: str | None = None,
    ) -> ToxicHandle | DownHandle:  # fmt: skip
        """Apply a `chaoslab.faults` fault as the matching toxic (see `_faults`)."""
        from chaoslab.proxy._faults import DOWN, toxic_for_fault

        type_, attributes = toxic_for_fault(fault)
        if type_ == DOWN:
            return self.down()
        if type_.startswith(("http_", "sse_")):
            stream = "downstream"
        opts = {"stream": stream, "toxicity": toxicity, "name": name}
        return self._shortcut(type_, opts, **attributes)
