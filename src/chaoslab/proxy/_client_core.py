"""What the sync and async clients share: the calls, replies and errors, without I/O.

Each API operation is a `Call`: method, path, JSON body and a function that
turns the reply into a value. `ProxyClient` and `AsyncProxyClient` only send
calls; everything else is written once here.

Example:
    >>> call = create_call("redis", upstream="127.0.0.1:6379", listen="127.0.0.1:0", enabled=True)
    >>> call.method, call.path, call.body["name"]
    ('POST', '/proxies', 'redis')
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from chaoslab.errors import ChaoslabError, ConfigError, ProxyError
from chaoslab.proxy._errors import ProxyExists, ProxyNotFound, ToxicExists, ToxicNotFound

__all__ = [
    "Call",
    "ProxyInfo",
    "ToxicInfo",
    "check_reply",
    "create_call",
]

T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8474"


@dataclass(frozen=True, slots=True)
class ToxicInfo:
    """A toxic as the server reported it.

    Example:
        >>> ToxicInfo.from_dict({"name": "latency_downstream", "type": "latency",
        ...     "stream": "downstream", "toxicity": 1, "attributes": {"latency": 5}}).toxicity
        1.0
    """

    name: str
    type: str
    stream: str
    toxicity: float
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToxicInfo:
        """Build from the API's JSON."""
        return cls(
            name=str(data["name"]),
            type=str(data["type"]),
            stream=str(data.get("stream", "downstream")),
            toxicity=float(data.get("toxicity", 1.0)),
            attributes=dict(data.get("attributes") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        """The API's JSON shape."""
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }


@dataclass(frozen=True, slots=True)
class ProxyInfo:
    """A proxy as the server reported it (a snapshot; `refresh()` gets a new one).

    Example:
        >>> info = ProxyInfo.from_dict({"name": "redis", "listen": "127.0.0.1:26379",
        ...     "upstream": "127.0.0.1:6379", "enabled": True, "toxics": []})
        >>> info.host, info.port
        ('127.0.0.1', 26379)
    """

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[ToxicInfo, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProxyInfo:
        """Build from the API's JSON."""
        return cls(
            name=str(data["name"]),
            listen=str(data["listen"]),
            upstream=str(data["upstream"]),
            enabled=bool(data["enabled"]),
            toxics=tuple(ToxicInfo.from_dict(t) for t in data.get("toxics") or []),
        )

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        return int(self.listen.rpartition(":")[2])

    @property
    def host(self) -> str:
        """The host the proxy listens on (brackets of IPv6 literals removed)."""
        return self.listen.rpartition(":")[0].strip("[]")


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One API request and how to read its reply."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    body: Any = None

    def read(self, response: httpx.Response) -> T:
        """The reply's value; a reply that is not the API's JSON is a `ProxyError`.

        (Say `--url` points at some other web server that answers 200 with HTML.)
        """
        try:
            return self.parse(response)
        except ChaoslabError:
            raise
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            body = response.text.strip()[:200]
            raise ProxyError(
                f"not a proxy API reply from {response.request.url} "
                f"(HTTP {response.status_code}, {type(exc).__name__}): {body}"
            ) from exc

    def request_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `httpx.Client.request`."""
        kwargs: dict[str, Any] = {}
        if self.body is not None:
            kwargs["content"] = json.dumps(self.body).encode()
            kwargs["headers"] = {"Content-Type": "application/json"}
        return kwargs


def _api_error(response: httpx.Response) -> str | None:
    """The `error` of Toxiproxy's JSON error body, or None for any other body."""
    try:
        data = response.json()
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, str) else None


def check_reply(response: httpx.Response) -> httpx.Response:
    """Raise the embedded form's exception for an error reply; return a 2xx one.

    Only an API error body (`{"error": ...}`) maps to `ProxyNotFound`,
    `ToxicExists`, `ConfigError`...; anything else (a 404 page from a server
    that is not a proxy API, a 405, a 5xx) is a `ProxyError` with the status.
    """
    if response.is_success:
        return response
    status = response.status_code
    text = _api_error(response)
    if text is None:
        body = response.text.strip()[:200] or response.reason_phrase
        raise ProxyError(f"HTTP {status} from {response.request.url}: {body}")
    if status == 404:
        raise ToxicNotFound(text) if "toxic" in text else ProxyNotFound(text)
    if status == 409:
        raise ToxicExists(text) if "toxic" in text else ProxyExists(text)
    if status == 400:
        raise ConfigError([("", text)])
    raise ProxyError(f"HTTP {status}: {text}")


def _proxy(response: httpx.Response) -> ProxyInfo:
    return ProxyInfo.from_dict(check_reply(response).json())


def _toxic(response: httpx.Response) -> ToxicInfo:
    return ToxicInfo.from_dict(check_reply(response).json())


def _nothing(response: httpx.Response) -> None:
    check_reply(response)


def _json(response: httpx.Response) -> Any:
    return check_reply(response).json()


def _proxies(response: httpx.Response) -> dict[str, ProxyInfo]:
    data = check_reply(response).json()
    return {name: ProxyInfo.from_dict(data[name]) for name in sorted(data)}


def _populated(response: httpx.Response) -> list[ProxyInfo]:
    data = check_reply(response).json()
    return [ProxyInfo.from_dict(p) for p in data.get("proxies") or []]


def _toxics(response: httpx.Response) -> list[ToxicInfo]:
    return [ToxicInfo.from_dict(t) for t in check_reply(response).json()]


def _version(response: httpx.Response) -> str:
    text = check_reply(response).text.strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return str(data.get("version", text)) if isinstance(data, dict) else text


def _p(name: str) -> str:
    return "/proxies/" + quote(name, safe="")


def _t(proxy: str, toxic: str) -> str:
    return f"{_p(proxy)}/toxics/{quote(toxic, safe='')}"


def list_call() -> Call[dict[str, ProxyInfo]]:
    """GET /proxies."""
    return Call("GET", "/proxies", _proxies)


def create_call(name: str, *, upstream: str, listen: str, enabled: bool) -> Call[ProxyInfo]:
    """POST /proxies."""
    body = {"name": name, "upstream": upstream, "listen": listen, "enabled": enabled}
    return Call("POST", "/proxies", _proxy, body)


def get_call(name: str) -> Call[ProxyInfo]:
    """GET /proxies/{name}."""
    return Call("GET", _p(name), _proxy)


def update_call(
    name: str, *, listen: str | None, upstream: str | None, enabled: bool | None
) -> Call[ProxyInfo]:
    """PATCH /proxies/{name} with only the given fields."""
    changes = {"listen": listen, "upstream": upstream, "enabled": enabled}
    body = {k: v for k, v in changes.items() if v is not None}
    return Call("PATCH", _p(name), _proxy, body)


def delete_call(name: str) -> Call[None]:
    """DELETE /proxies/{name}."""
    return Call("DELETE", _p(name), _nothing)


def populate_call(configs: list[Mapping[str, Any]]) -> Call[list[ProxyInfo]]:
    """POST /populate."""
    return Call("POST", "/populate", _populated, [dict(c) for c in configs])


def reset_call() -> Call[None]:
    """POST /reset."""
    return Call("POST", "/reset", _nothing)


def version_call() -> Call[str]:
    """GET /version."""
    return Call("GET", "/version", _version)


def events_call(kind: str = "") -> Call[list[dict[str, Any]]]:
    """GET /events (chaoslab only)."""
    path = "/events" + (f"?kind={quote(kind, safe='')}" if kind else "")
    return Call("GET", path, lambda r: list(_json(r)["events"]))


def stats_call(name: str) -> Call[dict[str, Any]]:
    """GET /proxies/{name}/stats (chaoslab only)."""
    return Call("GET", f"{_p(name)}/stats", lambda r: dict(_json(r)))


def toxics_call(proxy: str) -> Call[list[ToxicInfo]]:
    """GET /proxies/{name}/toxics."""
    return Call("GET", f"{_p(proxy)}/toxics", _toxics)


def add_toxic_call(
    proxy: str,
    type: str,  # noqa: A002 - Toxiproxy's field name
    *,
    name: str | None,
    stream: str,
    toxicity: float,
    attributes: Mapping[str, Any] | None,
) -> Call[ToxicInfo]:
    """POST /proxies/{name}/toxics."""
    body: dict[str, Any] = {
        "type": type,
        "stream": stream,
        "toxicity": toxicity,
        "attributes": dict(attributes or {}),
    }
    if name is not None:
        body["name"] = name
    return Call("POST", f"{_p(proxy)}/toxics", _toxic, body)


def get_toxic_call(proxy: str, toxic: str) -> Call[ToxicInfo]:
    """GET /proxies/{name}/toxics/{toxic}."""
    return Call("GET", _t(proxy, toxic), _toxic)


def update_toxic_call(
    proxy: str, toxic: str, *, toxicity: float | None, attributes: Mapping[str, Any] | None
) -> Call[ToxicInfo]:
    """PATCH /proxies/{name}/toxics/{toxic} with only the given fields."""
    body: dict[str, Any] = {}
    if toxicity is not None:
        body["toxicity"] = toxicity
    if attributes is not None:
        body["attributes"] = dict(attributes)
    return Call("PATCH", _t(proxy, toxic), _toxic, body)


def remove_toxic_call(proxy: str, toxic: str) -> Call[None]:
    """DELETE /proxies/{name}/toxics/{toxic}."""
    return Call("DELETE", _t(proxy, toxic), _nothing)
