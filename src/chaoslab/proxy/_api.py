"""The Toxiproxy-compatible HTTP API of a `ProxyServer`, on aiohttp.

Same paths, JSON field names, status codes and error body
(`{"error": "...", "status": N}`) as Toxiproxy 2.12, so that existing clients
work unchanged; the deliberate differences are listed in docs/proxy.md.
Beyond Toxiproxy: `GET /events`, `GET /proxies/{name}/stats` and
`GET /openapi.json`.

Every change holds one lock and is validated in full before the server is
touched, so a bad request changes nothing.

Example:
    >>> from chaoslab.proxy._api import ROUTES
    >>> [(r.method, r.path) for r in ROUTES][:2]
    [('GET', '/proxies'), ('POST', '/proxies')]
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel

from chaoslab._version import __version__
from chaoslab.proxy._api_http import error_response as _error
from chaoslab.proxy._api_http import json_response as _json
from chaoslab.proxy._api_http import middleware, status_of
from chaoslab.proxy._api_models import (
    ApiError,
    ErrorOut,
    EventsOut,
    PopulateOut,
    ProxyCreateBody,
    ProxyMapOut,
    ProxyOut,
    ProxyUpdateBody,
    StatsOut,
    ToxicCreateBody,
    ToxicListOut,
    ToxicOut,
    ToxicUpdateBody,
    VersionOut,
    parse_body,
    parse_populate,
)
from chaoslab.proxy._api_state import event_dicts, stats_dict, toxic_names, toxic_types

if TYPE_CHECKING:
    from chaoslab.proxy._proxy import Proxy
    from chaoslab.proxy._server import ProxyServer

__all__ = ["ROUTES", "TOXIPROXY_API_VERSION", "Route", "build_app", "openapi_document"]

# The Toxiproxy release whose API this one reproduces; `GET /version` reports it
# with chaoslab's own version as semver build metadata.
TOXIPROXY_API_VERSION = "2.12.0"

Handler = Callable[["_Api", web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    """One API route: what it does, its body model and its replies (for OpenAPI)."""

    method: str
    path: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None = None
    replies: Mapping[int, type[BaseModel] | None] = field(default_factory=dict)


class _Api:
    """State shared by the handlers: the server and the lock that serialises changes."""

    def __init__(self, server: ProxyServer) -> None:
        self.server = server
        self.lock = asyncio.Lock()

    def proxy(self, request: web.Request) -> Proxy:
        """The proxy the path names (`ProxyNotFound`, answered 404, if none)."""
        return self.server.get(request.match_info["proxy"])


# --- proxies ---------------------------------------------------------------


async def _list_proxies(api: _Api, request: web.Request) -> web.Response:
    proxies = api.server.proxies
    return _json({name: proxies[name].to_dict() for name in sorted(proxies)})


async def _create_proxy(api: _Api, request: web.Request) -> web.Response:
    body = parse_body(await request.read(), ProxyCreateBody)
    async with api.lock:
        proxy = await api.server.create(**body.config())
    return _json(proxy.to_dict(), 201)


async def _populate(api: _Api, request: web.Request) -> web.Response:
    try:
        configs = [item.config() for item in parse_populate(await request.read())]
        async with api.lock:
            proxies = await api.server.populate(configs)
    except Exception as exc:  # noqa: BLE001 - re-raised below unless it maps to a status
        status, message = status_of(exc)
        # Toxiproxy answers populate errors with the proxies done so far; ours is
        # atomic, so none were.
        return _error(status, message, proxies=None)
    return _json({"proxies": [p.to_dict() for p in proxies]}, 201)


async def _get_proxy(api: _Api, request: web.Request) -> web.Response:
    return _json(api.proxy(request).to_dict())


async def _update_proxy(api: _Api, request: web.Request) -> web.Response:
    name = api.proxy(request).name
    body = parse_body(await request.read(), ProxyUpdateBody)
    async with api.lock:
        proxy = await api.server.update(
            name, listen=body.listen, upstream=body.upstream, enabled=body.enabled
        )
    return _json(proxy.to_dict())


async def _delete_proxy(api: _Api, request: web.Request) -> web.Response:
    name = api.proxy(request).name
    async with api.lock:
        await api.server.delete(name)
    return web.Response(status=204)


async def _proxy_stats(api: _Api, request: web.Request) -> web.Response:
    return _json(stats_dict(api.proxy(request)))


# --- toxics ----------------------------------------------------------------


async def _list_toxics(api: _Api, request: web.Request) -> web.Response:
    return _json([t.to_dict() for t in api.proxy(request).toxics])


def _toxic_request(proxy: Proxy, body: ToxicCreateBody) -> tuple[str, dict[str, Any]]:
    """Check a toxic creation in Toxiproxy's order: stream, type, duplicate name.

    Returns the type and the keyword arguments of `Proxy.add_toxic`, which
    validates the attributes and toxicity itself.
    """
    stream = (body.stream if body.stream is not None else "downstream").lower()
    if stream not in ("upstream", "downstream"):
        raise ApiError(400, "stream was invalid, can be either upstream or downstream")
    types = toxic_types()
    if body.type is None or body.type not in types:
        known = ", ".join(sorted(types))
        raise ApiError(400, f"invalid toxic type: {body.type!r} (known types: {known})")
    name = body.name or f"{body.type}_{stream}"
    if name in toxic_names(proxy):
        raise ApiError(409, "toxic already exists")
    return body.type, {
        "name": name,
        "stream": stream,
        "toxicity": body.toxicity if body.toxicity is not None else 1.0,
        "attributes": dict(body.attributes or {}),
    }


async def _create_toxic(api: _Api, request: web.Request) -> web.Response:
    proxy = api.proxy(request)
    body = parse_body(await request.read(), ToxicCreateBody)
    async with api.lock:
        kind, kwargs = _toxic_request(proxy, body)
        toxic = proxy.add_toxic(kind, **kwargs)
    return _json(toxic.to_dict())


def _find_toxic(proxy: Proxy, request: web.Request) -> str:
    """The toxic the path names (`ToxicNotFound`, answered 404, if none)."""
    return proxy.get_toxic(request.match_info["toxic"]).name


async def _get_toxic(api: _Api, request: web.Request) -> web.Response:
    proxy = api.proxy(request)
    return _json(proxy.get_toxic(request.match_info["toxic"]).to_dict())


async def _update_toxic(api: _Api, request: web.Request) -> web.Response:
    proxy = api.proxy(request)
    name = _find_toxic(proxy, request)
    body = parse_body(await request.read(), ToxicUpdateBody)
    async with api.lock:
        toxic = proxy.update_toxic(name, toxicity=body.toxicity, attributes=body.attributes)
    return _json(toxic.to_dict())


async def _delete_toxic(api: _Api, request: web.Request) -> web.Response:
    proxy = api.proxy(request)
    name = _find_toxic(proxy, request)
    async with api.lock:
        proxy.remove_toxic(name)
    return web.Response(status=204)


# --- server-wide ------------------------------------------------------------


async def _reset(api: _Api, request: web.Request) -> web.Response:
    async with api.lock:
        await api.server.reset()
    return web.Response(status=204)


async def _version(api: _Api, request: web.Request) -> web.Response:
    version = f"v{TOXIPROXY_API_VERSION}+chaoslab.{__version__}"
    return web.Response(
        text=json.dumps({"version": version}) + "\n",
        content_type="application/json",
        charset="utf-8",
    )


async def _events(api: _Api, request: web.Request) -> web.Response:
    kind = request.query.get("kind", "")
    try:
        since = float(request.query.get("since", "-inf"))
    except ValueError:
        raise ApiError(400, "query parameter since: must be a number (clock seconds)") from None
    events = event_dicts(api.server, kind=kind, since=since)
    return _json({"now": api.server.clock.now(), "events": events})


async def _openapi(api: _Api, request: web.Request) -> web.Response:
    return _json(openapi_document())


_PROXY = "/proxies/{proxy}"
_TOXIC = "/proxies/{proxy}/toxics/{toxic}"
_ERR = ErrorOut

ROUTES: tuple[Route, ...] = (
    Route("GET", "/proxies", _list_proxies, "List proxies by name", None, {200: ProxyMapOut}),
    Route(
        "POST",
        "/proxies",
        _create_proxy,
        "Create a proxy",
        ProxyCreateBody,
        {201: ProxyOut, 400: _ERR, 409: _ERR, 500: _ERR},
    ),
    Route(
        "POST",
        "/populate",
        _populate,
        "Create or replace proxies (atomic)",
        None,
        {201: PopulateOut, 400: _ERR, 500: _ERR},
    ),
    Route("GET", _PROXY, _get_proxy, "Get a proxy", None, {200: ProxyOut, 404: _ERR}),
    *(
        Route(
            method,
            _PROXY,
            _update_proxy,
            "Update a proxy (absent keys kept)",
            ProxyUpdateBody,
            {200: ProxyOut, 400: _ERR, 404: _ERR, 500: _ERR},
        )
        for method in ("POST", "PATCH")
    ),
    Route("DELETE", _PROXY, _delete_proxy, "Delete a proxy", None, {204: None, 404: _ERR}),
    Route(
        "GET",
        f"{_PROXY}/stats",
        _proxy_stats,
        "A proxy's statistics",
        None,
        {200: StatsOut, 404: _ERR},
    ),
    Route(
        "GET",
        f"{_PROXY}/toxics",
        _list_toxics,
        "List a proxy's toxics",
        None,
        {200: ToxicListOut, 404: _ERR},
    ),
    Route(
        "POST",
        f"{_PROXY}/toxics",
        _create_toxic,
        "Add a toxic",
        ToxicCreateBody,
        {200: ToxicOut, 400: _ERR, 404: _ERR, 409: _ERR},
    ),
    Route("GET", _TOXIC, _get_toxic, "Get a toxic", None, {200: ToxicOut, 404: _ERR}),
    *(
        Route(
            method,
            _TOXIC,
            _update_toxic,
            "Update a toxic (absent keys kept)",
            ToxicUpdateBody,
            {200: ToxicOut, 400: _ERR, 404: _ERR},
        )
        for method in ("POST", "PATCH")
    ),
    Route("DELETE", _TOXIC, _delete_toxic, "Remove a toxic", None, {204: None, 404: _ERR}),
    Route("POST", "/reset", _reset, "Enable every proxy, remove every toxic", None, {204: None}),
    Route("GET", "/version", _version, "Server version", None, {200: VersionOut}),
    Route("GET", "/events", _events, "Recorded proxy events", None, {200: EventsOut, 400: _ERR}),
    Route("GET", "/openapi.json", _openapi, "This OpenAPI document", None, {200: None}),
)


def build_app(server: ProxyServer) -> web.Application:
    """The aiohttp application serving `server`'s API.

    Example:
        >>> from chaoslab.proxy import ProxyServer
        >>> app = build_app(ProxyServer())
        >>> "/proxies/{proxy}/toxics" in {r.resource.canonical for r in app.router.routes()}
        True
    """
    api = _Api(server)
    app = web.Application(middlewares=[middleware], client_max_size=4 * 1024 * 1024)
    for route in ROUTES:

        async def handle(request: web.Request, route: Route = route) -> web.StreamResponse:
            return await route.handler(api, request)

        app.router.add_route(route.method, route.path, handle)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, generated from the pydantic models."""
    from chaoslab.proxy._api_openapi import build_openapi

    return build_openapi(ROUTES, title="chaoslab proxy API", version=__version__)
