"""One verifying TLS context per process, shared by chaoslab's HTTP clients.

Building a context loads the CA bundle, which takes tens of milliseconds;
clients made per call (a proxy toxic added by an experiment, an http probe)
would block the event loop that long each time, and show up as latency
spikes in the very system under test.
"""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["shared_ssl_context"]


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once."""
    return httpx.create_ssl_context()
