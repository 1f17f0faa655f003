"""Seams into real clients: httpx transports that inject faults.

See `docs/httpx.md` for the point naming scheme and how each fault is applied.
"""

from chaoslab.adapters._httpx import (
    HTTPX_FAULTS,
    AsyncChaosTransport,
    ChaosTransport,
    http_point_name,
)
from chaoslab.adapters._httpx_streams import StreamCutter

__all__ = [
    "HTTPX_FAULTS",
    "AsyncChaosTransport",
    "ChaosTransport",
    "StreamCutter",
    "http_point_name",
]
