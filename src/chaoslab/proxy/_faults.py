"""chaoslab.faults objects as toxics: `proxy.apply(Latency(0.1))`.

| fault | toxic |
|---|---|
| Latency(seconds, jitter) (uniform) | latency (ms) |
| ConnectionReset() | reset_peer (timeout 0) |
| Timeout(after) | timeout (after in ms) |
| Hang() | timeout 0 (data stops, never closes) |
| HTTPStatus(status, retry_after, body, headers) | http_status |
| Malformed(payload, content_type) | http_status 200 with that body |
| DropMidStream(after_bytes) / (after_events) | drop / sse_cut |
| ConnectionRefused() | the proxy disabled (`down`) |
"""

from __future__ import annotations

import math
from typing import Any

from chaoslab.errors import UnsupportedFaultError
from chaoslab.faults import (
    ConnectionRefused,
    ConnectionReset,
    DropMidStream,
    Fault,
    Hang,
    HTTPStatus,
    Latency,
    Malformed,
    Timeout,
)

__all__ = ["DOWN", "toxic_for_fault"]

DOWN = "down"


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _text(data: bytes, field: str) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise UnsupportedFaultError(
            [(field, "the proxy sends text bodies; this one is not UTF-8")]
        ) from None


def toxic_for_fault(fault: Fault) -> tuple[str, dict[str, Any]]:  # noqa: PLR0911 - one per fault
    """The toxic type and attributes that apply `fault` on the wire.

    Returns (`DOWN`, {}) for ConnectionRefused. Raises UnsupportedFaultError
    for faults a TCP proxy cannot apply (e.g. an arbitrary exception).
    """
    if isinstance(fault, Latency):
        if fault.distribution != "uniform" and fault.jitter:
            raise UnsupportedFaultError(
                [("distribution", "the latency toxic draws jitter uniformly; use 'uniform'")]
            )
        return "latency", {"latency": _ms(fault.seconds), "jitter": _ms(fault.jitter)}
    if isinstance(fault, ConnectionReset):
        return "reset_peer", {"timeout": 0}
    if isinstance(fault, Timeout):
        return "timeout", {"timeout": _ms(fault.after)}
    if isinstance(fault, Hang):
        return "timeout", {"timeout": 0}
    if isinstance(fault, HTTPStatus):
        retry = None if fault.retry_after is None else math.ceil(fault.retry_after)
        return "http_status", {
            "status": fault.status,
            "retry_after": retry,
            "body": _text(fault.body, "body"),
            "headers": dict(fault.headers),
        }
    if isinstance(fault, Malformed):
        return "http_status", {
            "status": 200,
            "body": _text(fault.payload, "payload"),
            "headers": {"Content-Type": fault.content_type},
        }
    if isinstance(fault, DropMidStream):
        if fault.after_events is not None:
            return "sse_cut", {"events": fault.after_events}
        return "drop", {"bytes": fault.after_bytes or 0}
    if isinstance(fault, ConnectionRefused):
        return DOWN, {}
    raise UnsupportedFaultError([("fault", f"the TCP proxy cannot apply a {fault.kind!r} fault")])
