"""One context manager per toxic type, written once for the sync and async clients.

`proxy.latency(100, jitter=10)` builds a `ToxicSpec` and hands it to the
proxy's own `toxic(spec)`, which is a sync context manager on `RemoteProxy`
and an async one on `AsyncRemoteProxy`. Units are Toxiproxy's: milliseconds,
KB/s, bytes, microseconds for the slicer's delay.

Example:
    >>> spec = ToxicSpec("latency", {"latency": 100, "jitter": 10})
    >>> spec.kwargs()["attributes"]
    {'latency': 100, 'jitter': 10}
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from chaoslab.faults import Fault

__all__ = ["ToxicHelpers", "ToxicSpec"]

CM_co = TypeVar("CM_co", covariant=True)
DM_co = TypeVar("DM_co", covariant=True)


@dataclass(frozen=True, slots=True)
class ToxicSpec:
    """What to add: type, attributes, and where (stream, toxicity, name)."""

    type: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    stream: str = "downstream"
    toxicity: float = 1.0
    name: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of `add_toxic` (after the type)."""
        return {
            "name": self.name,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": dict(self.attributes),
        }


class ToxicHelpers(Generic[CM_co, DM_co]):
    """Named shortcuts for `toxic(ToxicSpec(...))`, one per toxic type."""

    @abstractmethod
    def toxic(self, spec: ToxicSpec) -> CM_co:
        """A context manager that adds the toxic on entry and removes it on exit."""

    def latency(
        self,
        latency: int,
        jitter: int = 0,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co:
        """Delay each chunk by `latency` ms ± `jitter` ms."""
        return self.toxic(
            ToxicSpec("latency", {"latency": latency, "jitter": jitter}, stream, toxicity, name)
        )

    def bandwidth(
        self,
        rate: int,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co:
        """Limit throughput to `rate` KB/s."""
        return self.toxic(ToxicSpec("bandwidth", {"rate": rate}, stream, toxicity, name))

    def slow_close(
        self,
        delay: int,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co:
        """Hold the end of stream for `delay` ms."""
        return self.toxic(ToxicSpec("slow_close", {"delay": delay}, stream, toxicity, name))

    def timeout(
        self,
        timeout: int = 0,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co:
        """Drop all data; close after `timeout` ms (0: never)."""
        return self.toxic(ToxicSpec("timeout", {"timeout": timeout}, stream, toxicity, name))

    def reset_peer(
        self,
        timeout: int = 0,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co:
        """Reset the connection (RST) `timeout` ms after the first data."""
        return self.toxic(ToxicSpec("reset_peer", {"timeout": timeout}, stream, toxicity, name))

    def slicer(
        self,
        average_size: int,
        size_variation: int = 0,
        delay: int = 0,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co:
        """Cut data into pieces of about `average_size` bytes, `delay` µs apart."""
        return self.toxic(
            ToxicSpec(
                "slicer",
                {"average_size": average_size, "size_variation": size_variation, "delay": delay},
                stream,
                toxicity,
                name,
            )
        )

    def limit_data(
        self,
        nbytes: int,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co:
        """Close each connection after `nbytes` bytes in this direction."""
        return self.toxic(ToxicSpec("limit_data", {"bytes": nbytes}, stream, toxicity, name))

    def blackhole(
        self, *, stream: str = "downstream", toxicity: float = 1.0, name: str | None = None
    ) -> CM_co:
        """Accept and drop everything, never close (chaoslab only)."""
        return self.toxic(ToxicSpec("blackhole", {}, stream, toxicity, name))

    def corrupt(
        self,
        probability: float = 0.01,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co:
        """Flip bits in bytes with `probability` each (chaoslab only)."""
        return self.toxic(
            ToxicSpec("corrupt", {"probability": probability}, stream, toxicity, name)
        )

    def drop(
        self,
        nbytes: int | None = None,
        after: int | None = None,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co:
        """Reset mid-stream after `nbytes` bytes or `after` ms (chaoslab only)."""
        return self.toxic(
            ToxicSpec("drop", {"bytes": nbytes, "after": after}, stream, toxicity, name)
        )

    def http_status(
        self,
        status: int = 503,
        retry_after: int | None = None,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        *,
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co:
        """Answer HTTP requests with `status` instead of forwarding (chaoslab only)."""
        attrs = {
            "status": status,
            "retry_after": retry_after,
            "body": body,
            "headers": dict(headers or {}),
        }
        return self.toxic(ToxicSpec("http_status", attrs, "downstream", toxicity, name))

    def http_delay(self, delay: int, *, toxicity: float = 1.0, name: str | None = None) -> CM_co:
        """Hold the first byte of each HTTP response `delay` ms (chaoslab only)."""
        return self.toxic(ToxicSpec("http_delay", {"delay": delay}, "downstream", toxicity, name))

    def sse_cut(self, events: int = 1, *, toxicity: float = 1.0, name: str | None = None) -> CM_co:
        """Pass `events` server-sent events, then reset the connection (chaoslab only)."""
        return self.toxic(ToxicSpec("sse_cut", {"events": events}, "downstream", toxicity, name))

    @abstractmethod
    def down(self) -> DM_co:
        """A context manager during which the proxy is disabled."""

    def apply(
        self,
        fault: Fault,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> CM_co | DM_co:
        """A `chaoslab.faults` fault as the matching toxic (or `down()`), as the embedded form."""
        from chaoslab.proxy._faults import DOWN, toxic_for_fault

        type_, attributes = toxic_for_fault(fault)
        if type_ == DOWN:
            return self.down()
        if type_.startswith(("http_", "sse_")):
            stream = "downstream"
        return self.toxic(ToxicSpec(type_, attributes, stream, toxicity, name))
