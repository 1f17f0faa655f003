"""HTTP plumbing of the proxy API: JSON replies, Toxiproxy's error mapping, middleware.

Example:
    >>> status_of(ProxyNotFound("proxy not found"))
    (404, 'proxy not found')
    >>> status_of(ConfigError([("attributes.rate", "must be >= 0")]))
    (400, 'attributes.rate: must be >= 0')
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from chaoslab.errors import ConfigError, ProxyError
from chaoslab.proxy._api_models import ApiError
from chaoslab.proxy._errors import ProxyExists, ProxyNotFound, ToxicExists, ToxicNotFound

__all__ = ["error_response", "json_response", "middleware", "status_of"]

_log = logging.getLogger("chaoslab.proxy.api")


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON reply."""
    return web.Response(text=json.dumps(data), status=status, content_type="application/json")


def error_response(status: int, message: str, **extra: Any) -> web.Response:
    """Toxiproxy's error body, `{"error": message, "status": status}`, plus `extra`."""
    return json_response({"error": message, "status": status, **extra}, status)


# Registry errors and the status and text Toxiproxy answers them with.
_STATUS: tuple[tuple[type[Exception], int, str | None], ...] = (
    (ProxyNotFound, 404, "proxy not found"),
    (ToxicNotFound, 404, "toxic not found"),
    (ProxyExists, 409, "proxy already exists"),
    (ToxicExists, 409, "toxic already exists"),
    (ConfigError, 400, None),
    (ProxyError, 500, None),
    (OSError, 500, None),
)


def status_of(exc: BaseException) -> tuple[int, str]:
    """Map an exception to Toxiproxy's status and error text; re-raise the unknown."""
    if isinstance(exc, ApiError):
        return exc.status, exc.message
    if isinstance(exc, ProxyError) and isinstance(exc.__cause__, OSError):
        # The listen address given cannot be bound (in use, not local): the
        # request's fault, so 400 where Toxiproxy answers 500 (docs/proxy.md).
        return 400, str(exc)
    for kind, status, text in _STATUS:
        if isinstance(exc, kind):
            if isinstance(exc, ConfigError):
                return status, "; ".join(f"{p}: {m}" if p else m for p, m in exc.problems)
            return status, text or str(exc)
    raise exc


@web.middleware
async def middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    request_id = request.headers.get("X-Toxiproxy-Request-Id") or secrets.token_hex(10)
    response = await _guarded(request, handler)
    response.headers["X-Toxiproxy-Request-Id"] = request_id
    return response


async def _guarded(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    # Toxiproxy's guard against browsers driving the API from a web page.
    if request.headers.get("User-Agent", "").startswith("Mozilla/"):
        return web.Response(status=403, text="User agent not allowed\n")
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return web.Response(status=404, text="404 page not found\n")
    except web.HTTPMethodNotAllowed:
        return web.Response(status=405)
    except web.HTTPException:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure must answer in Toxiproxy's shape
        try:
            status, message = status_of(exc)
        except Exception:  # noqa: BLE001 - an unexpected bug: logged with its traceback
            _log.exception("%s %s failed", request.method, request.path)
            return error_response(500, f"internal error: {type(exc).__name__}: {exc}")
        return error_response(status, message)
