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

from chaoslab.proxy._client_toxics import ToxicHelpers, ToxicSpec
from chaoslab.proxy._errors import ToxicNotFound

if TYPE_CHECKING:
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


class ToxicShortcuts(ToxicHelpers[ToxicHandle, DownHandle]):
    """Mixin of `Proxy`: the shortcuts of `ToxicHelpers` (shared with the remote
    proxies), each adding its toxic at once through add_toxic/remove_toxic.

    Example: `with proxy.latency(100, jitter=10): ...`
    """

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

    def toxic(self, spec: ToxicSpec) -> ToxicHandle:
        """Add the toxic now; the handle removes it (`remove()` or leaving `with`)."""
        return ToxicHandle(self, self.add_toxic(spec.type, **spec.kwargs()))

    def down(self) -> DownHandle:
        """Disable the proxy (connections refused, live ones closed) until removed.

        Example: `with proxy.down(): ...`
        """
        return DownHandle(self)
