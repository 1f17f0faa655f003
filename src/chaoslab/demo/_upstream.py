"""A small LLM-like upstream for the demo: `POST /v1/complete` answers after a short delay.

It is a real HTTP server on 127.0.0.1 so that the demo's faults (a proxy
answering 429 in its place, latency on the wire) act on real traffic.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from aiohttp import web

__all__ = ["UpstreamStats", "create_upstream_app", "upstream_stats"]


@dataclass(slots=True)
class UpstreamStats:
    """What the upstream did: completions served."""

    served: int = 0


_STATS = web.AppKey("chaoslab_upstream_stats", UpstreamStats)


def _answer(prompt: str) -> str:
    digest = hashlib.sha256(prompt.encode()).hexdigest()[:12]
    return f"answer to {prompt!r} ({digest})"


def create_upstream_app(latency: float = 0.005) -> web.Application:
    """The upstream: `POST /v1/complete {"prompt": ...}` -> `{"text": ...}`.

    Example:
        >>> app = create_upstream_app(latency=0.0)
        >>> sorted(r.method for r in app.router.routes())
        ['POST']
        >>> upstream_stats(app).served
        0
    """
    # A mutable record set once: aiohttp forbids changing app state once started.
    stats = UpstreamStats()

    async def complete(request: web.Request) -> web.Response:
        body = await request.json()
        prompt = str(body.get("prompt", ""))
        # Real time on purpose: this is the server's own work, seen through sockets.
        await asyncio.sleep(latency)
        stats.served += 1
        return web.json_response({"text": _answer(prompt)})

    app = web.Application()
    app[_STATS] = stats
    app.router.add_post("/v1/complete", complete)
    return app


def upstream_stats(app: web.Application) -> UpstreamStats:
    """The counters of an app made by `create_upstream_app`."""
    return app[_STATS]
