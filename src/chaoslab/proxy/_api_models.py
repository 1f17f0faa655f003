"""Request and response models of the proxy's HTTP API, and their parsing.

The request bodies follow Toxiproxy's JSON field names and its leniency where
clients rely on it (unknown keys ignored, `null` meaning "absent"), and its
strictness where Go's decoder is strict (a string is never a number, a number
never a string). Every problem becomes an `ApiError` with Toxiproxy's status
and a message that names the field.

Example:
    >>> body = parse_body(b'{"name": "redis", "upstream": "127.0.0.1:6379"}', ProxyCreateBody)
    >>> body.name, body.listen, body.enabled
    ('redis', '127.0.0.1:0', True)
    >>> parse_body(b'{"name": 5}', ProxyCreateBody)
    Traceback (most recent call last):
    ...
    chaoslab.proxy._api_models.ApiError: bad request body: name: Input should be a valid string
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

__all__ = [
    "ApiError",
    "ErrorOut",
    "EventsOut",
    "PopulateOut",
    "ProxyCreateBody",
    "ProxyMapOut",
    "ProxyOut",
    "ProxyUpdateBody",
    "StatsOut",
    "ToxicCreateBody",
    "ToxicListOut",
    "ToxicOut",
    "ToxicUpdateBody",
    "VersionOut",
    "parse_body",
    "parse_populate",
]

M = TypeVar("M", bound=BaseModel)

# Proxies listen on loopback unless told otherwise (Toxiproxy binds every
# interface when `listen` is absent; chaoslab never does that by default).
DEFAULT_LISTEN = "127.0.0.1:0"


class ApiError(Exception):
    """An API failure with Toxiproxy's status code and error text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Body(BaseModel):
    # Go's decoder ignores unknown keys and never coerces between types.
    model_config = ConfigDict(extra="ignore", strict=True)


class ProxyCreateBody(_Body):
    """Body of `POST /proxies` and one item of `POST /populate`."""

    name: str = Field(min_length=1, description="Unique name of the proxy.")
    upstream: str = Field(min_length=1, description="host:port to forward to (loopback).")
    listen: str | None = Field(
        default=DEFAULT_LISTEN, description="host:port to listen on; port 0 picks one."
    )
    enabled: bool | None = Field(default=True, description="Listen at once (default true).")

    def config(self) -> dict[str, Any]:
        """`{name, upstream, listen, enabled}` with JSON nulls as the defaults (loopback, on)."""
        return {
            "name": self.name,
            "upstream": self.upstream,
            "listen": self.listen if self.listen is not None else DEFAULT_LISTEN,
            "enabled": self.enabled is not False,
        }


class ProxyUpdateBody(_Body):
    """Body of `POST|PATCH /proxies/{name}`: absent keys keep their values."""

    listen: str | None = None
    upstream: str | None = None
    enabled: bool | None = None


class ToxicCreateBody(_Body):
    """Body of `POST /proxies/{name}/toxics`."""

    type: str | None = Field(default=None, description="Toxic type, e.g. latency.")
    name: str | None = Field(default=None, description="Default: <type>_<stream>.")
    stream: str | None = Field(default="downstream", description="upstream or downstream.")
    toxicity: float | None = Field(default=1.0, description="Probability 0..1 per connection.")
    attributes: dict[str, Any] | None = Field(default=None, description="Type's attributes.")


class ToxicUpdateBody(_Body):
    """Body of `POST|PATCH /proxies/{name}/toxics/{toxic}`: absent keys keep values."""

    toxicity: float | None = None
    attributes: dict[str, Any] | None = None


class ToxicOut(BaseModel):
    """A toxic as the API returns it."""

    attributes: dict[str, Any]
    name: str
    type: str
    stream: str
    toxicity: float


class ProxyOut(BaseModel):
    """A proxy as the API returns it."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: list[ToxicOut]


class ProxyMapOut(RootModel[dict[str, ProxyOut]]):
    """Reply of `GET /proxies`: every proxy by name."""


class ToxicListOut(RootModel[list[ToxicOut]]):
    """Reply of `GET /proxies/{name}/toxics`: upstream toxics first, then downstream."""


class StatsOut(BaseModel):
    """Reply of `GET /proxies/{name}/stats` (chaoslab only)."""

    name: str
    connections_total: int
    connections_active: int
    bytes_upstream: int
    bytes_downstream: int
    toxics_applied: int


class PopulateOut(BaseModel):
    """Reply of `POST /populate` (on failure also `error` and `status`)."""

    proxies: list[ProxyOut]


class ErrorOut(BaseModel):
    """Every error reply: Toxiproxy's `{"error", "status"}` body."""

    error: str
    status: int


class VersionOut(BaseModel):
    """Reply of `GET /version`."""

    version: str


class EventOut(BaseModel):
    """One recorded event: its kind, clock time, source, and its own fields."""

    model_config = ConfigDict(extra="allow")
    kind: str
    at: float
    source: str


class EventsOut(BaseModel):
    """Reply of `GET /events`: the server clock's time now, and the events (oldest first)."""

    now: float
    events: list[EventOut]


def _reject_constant(token: str) -> Any:
    # Go's JSON decoder refuses NaN and Infinity; so do we.
    raise ValueError(f"invalid JSON constant {token}")


def load_json(raw: bytes) -> Any:
    """Decode a request body the way Toxiproxy's handlers do (empty body: `EOF`)."""
    if not raw.strip():
        raise ApiError(400, "bad request body: EOF")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"bad request body: {exc}") from None


def _describe(exc: ValidationError, where: str = "") -> ApiError:
    # Toxiproxy decodes first (wrong types), then checks name, then upstream.
    missing: set[str] = set()
    parts = []
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        if err["type"] in ("missing", "string_too_short") and len(loc) == 1:
            missing.add(str(loc[0]))
            continue
        path = ".".join(str(p) for p in loc) or "body"
        parts.append(f"{path}: {err['msg']}")
    if parts:
        return ApiError(400, "bad request body: " + "; ".join(parts) + where)
    first = next(f for f in ("name", "upstream", *sorted(missing)) if f in missing)
    return ApiError(400, f"missing required field: {first}{where}")


def _validate(model: type[M], data: Any, where: str = "") -> M:
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "null"
        raise ApiError(400, f"bad request body: expected a JSON object, got {kind}{where}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _describe(exc, where) from None


def parse_body(raw: bytes, model: type[M]) -> M:
    """Decode and validate one JSON object body into `model`, or raise `ApiError(400)`."""
    return _validate(model, load_json(raw))


def parse_populate(raw: bytes) -> list[ProxyCreateBody]:
    """Decode a `/populate` body or `-config` file: a JSON array of proxies.

    Every item is checked before anything changes; the error names the item
    (1-based, as Toxiproxy counts).
    """
    data = load_json(raw)
    if not isinstance(data, list):
        kind = type(data).__name__ if data is not None else "null"
        raise ApiError(400, f"bad request body: expected a JSON array of proxies, got {kind}")
    items: Sequence[Any] = data
    return [_validate(ProxyCreateBody, item, f" at proxy {i}") for i, item in enumerate(items, 1)]
