"""Bad API input: the right status, an error naming the problem, and no change at all.

Before each request the server holds proxy `a` (with a latency toxic) and the
disabled proxy `b`; after it, the proxies, their toxics and the recorded events
must be exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.integration.proxy_api._support import api_in_thread

UP = "127.0.0.1:9"
API = "{API}"  # replaced by the API's own host:port: an address already in use


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with api_in_thread(seed=5) as base:
        yield base


@pytest.fixture
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as http:
        for name in http.get("/proxies").json():
            http.delete(f"/proxies/{name}")
        body: dict[str, Any] = {"name": "a", "upstream": UP, "listen": "127.0.0.1:0"}
        assert http.post("/proxies", json=body).status_code == 201
        toxic = {"type": "latency", "attributes": {"latency": 10}}
        assert http.post("/proxies/a/toxics", json=toxic).status_code == 200
        body = {"name": "b", "upstream": UP, "listen": "127.0.0.1:0", "enabled": False}
        assert http.post("/proxies", json=body).status_code == 201
        yield http


def state(http: httpx.Client) -> tuple[Any, int]:
    return http.get("/proxies").json(), len(http.get("/events").json()["events"])


def j(data: Any) -> bytes:
    return json.dumps(data).encode()


CASES: list[tuple[str, str, str, bytes, int, str]] = [
    # id, method, path, body, status, a fragment the error must contain
    ("create-empty", "POST", "/proxies", b"", 400, "EOF"),
    ("create-garbage", "POST", "/proxies", b"{bad", 400, "bad request body"),
    ("create-array", "POST", "/proxies", b"[]", 400, "expected a JSON object"),
    ("create-string", "POST", "/proxies", b'"x"', 400, "expected a JSON object"),
    (
        "create-nan",
        "POST",
        "/proxies",
        b'{"name": "n", "upstream": "x:1", "enabled": NaN}',
        400,
        "NaN",
    ),
    ("create-deep", "POST", "/proxies", b"[" * 100_000 + b"]" * 100_000, 400, "bad request body"),
    (
        "create-no-name",
        "POST",
        "/proxies",
        j({"upstream": UP}),
        400,
        "missing required field: name",
    ),
    (
        "create-no-upstream",
        "POST",
        "/proxies",
        j({"name": "n"}),
        400,
        "missing required field: upstream",
    ),
    (
        "create-name-type",
        "POST",
        "/proxies",
        j({"name": 5, "upstream": UP}),
        400,
        "name: Input should be a valid string",
    ),
    (
        "create-enabled-type",
        "POST",
        "/proxies",
        j({"name": "n", "upstream": UP, "enabled": "yes"}),
        400,
        "enabled",
    ),
    (
        "create-upstream-type",
        "POST",
        "/proxies",
        j({"name": "n", "upstream": 6379}),
        400,
        "upstream",
    ),
    (
        "create-upstream-no-port",
        "POST",
        "/proxies",
        j({"name": "n", "upstream": "127.0.0.1"}),
        400,
        "missing port",
    ),
    (
        "create-upstream-remote",
        "POST",
        "/proxies",
        j({"name": "n", "upstream": "10.0.0.1:80"}),
        400,
        "--allow-remote-upstreams",
    ),
    (
        "create-listen-bad",
        "POST",
        "/proxies",
        j({"name": "n", "upstream": UP, "listen": "nonsense"}),
        400,
        "listen",
    ),
    (
        "create-listen-port",
        "POST",
        "/proxies",
        j({"name": "n", "upstream": UP, "listen": "127.0.0.1:70000"}),
        400,
        "port",
    ),
    (
        "create-listen-in-use",
        "POST",
        "/proxies",
        j({"name": "n", "upstream": UP, "listen": API}),
        400,
        "listen tcp",
    ),
    (
        "create-duplicate",
        "POST",
        "/proxies",
        j({"name": "a", "upstream": UP}),
        409,
        "proxy already exists",
    ),
    ("populate-object", "POST", "/populate", j({}), 400, "expected a JSON array"),
    ("populate-empty", "POST", "/populate", b"", 400, "EOF"),
    ("populate-item-type", "POST", "/populate", b"[1]", 400, "at proxy 1"),
    (
        "populate-second-bad",
        "POST",
        "/populate",
        j([{"name": "p1", "upstream": UP}, {"name": "p2"}]),
        400,
        "missing required field: upstream at proxy 2",
    ),
    (
        "populate-duplicate",
        "POST",
        "/populate",
        j([{"name": "p", "upstream": UP}, {"name": "p", "upstream": UP}]),
        400,
        "duplicate",
    ),
    (
        "populate-remote",
        "POST",
        "/populate",
        j([{"name": "p", "upstream": UP}, {"name": "r", "upstream": "10.0.0.1:1"}]),
        400,
        "loopback",
    ),
    (
        "populate-replace-bad-listen",
        "POST",
        "/populate",
        j([{"name": "a", "upstream": "127.0.0.1:10", "listen": API}]),
        400,
        "listen tcp",
    ),
    ("update-empty", "PATCH", "/proxies/a", b"", 400, "EOF"),
    ("update-garbage", "POST", "/proxies/a", b"garbage", 400, "bad request body"),
    ("update-enabled-type", "PATCH", "/proxies/a", j({"enabled": "x"}), 400, "enabled"),
    ("update-listen-bad", "PATCH", "/proxies/a", j({"listen": "nonsense"}), 400, "listen"),
    ("update-listen-in-use", "PATCH", "/proxies/a", j({"listen": API}), 400, "listen tcp"),
    (
        "update-upstream-remote",
        "PATCH",
        "/proxies/a",
        j({"upstream": "10.0.0.1:80"}),
        400,
        "--allow-remote-upstreams",
    ),
    ("update-missing", "PATCH", "/proxies/zz", j({"enabled": False}), 404, "proxy not found"),
    ("delete-missing", "DELETE", "/proxies/zz", b"", 404, "proxy not found"),
    ("get-missing", "GET", "/proxies/zz", b"", 404, "proxy not found"),
    ("stats-missing", "GET", "/proxies/zz/stats", b"", 404, "proxy not found"),
    ("toxic-empty", "POST", "/proxies/a/toxics", b"", 400, "EOF"),
    ("toxic-garbage", "POST", "/proxies/a/toxics", b"{nope", 400, "bad request body"),
    ("toxic-array", "POST", "/proxies/a/toxics", b"[]", 400, "expected a JSON object"),
    ("toxic-no-type", "POST", "/proxies/a/toxics", j({}), 400, "invalid toxic type"),
    (
        "toxic-unknown-type",
        "POST",
        "/proxies/a/toxics",
        j({"type": "bogus"}),
        400,
        "invalid toxic type: 'bogus'",
    ),
    ("toxic-down", "POST", "/proxies/a/toxics", j({"type": "down"}), 400, "invalid toxic type"),
    ("toxic-type-number", "POST", "/proxies/a/toxics", j({"type": 5}), 400, "type"),
    (
        "toxic-stream",
        "POST",
        "/proxies/a/toxics",
        j({"type": "latency", "stream": "sideways"}),
        400,
        "stream was invalid",
    ),
    (
        "toxic-negative",
        "POST",
        "/proxies/a/toxics",
        j({"type": "latency", "name": "n", "attributes": {"latency": -1}}),
        400,
        "attributes.latency",
    ),
    (
        "toxic-attribute-type",
        "POST",
        "/proxies/a/toxics",
        j({"type": "latency", "name": "n", "attributes": {"latency": "x"}}),
        400,
        "attributes.latency",
    ),
    (
        "toxic-attribute-float",
        "POST",
        "/proxies/a/toxics",
        j({"type": "timeout", "attributes": {"timeout": 1.5}}),
        400,
        "attributes.timeout",
    ),
    (
        "toxic-unknown-attribute",
        "POST",
        "/proxies/a/toxics",
        j({"type": "bandwidth", "attributes": {"rat": 5}}),
        400,
        "attributes.rat: unknown attribute",
    ),
    (
        "toxic-attributes-array",
        "POST",
        "/proxies/a/toxics",
        j({"type": "latency", "name": "n", "attributes": [1]}),
        400,
        "attributes",
    ),
    (
        "toxic-toxicity-range",
        "POST",
        "/proxies/a/toxics",
        j({"type": "latency", "name": "n", "toxicity": 2}),
        400,
        "toxicity",
    ),
    (
        "toxic-toxicity-type",
        "POST",
        "/proxies/a/toxics",
        j({"type": "latency", "name": "n", "toxicity": "x"}),
        400,
        "toxicity",
    ),
    (
        "toxic-slicer-variation",
        "POST",
        "/proxies/a/toxics",
        j({"type": "slicer", "attributes": {"average_size": 5, "size_variation": 5}}),
        400,
        "size_variation",
    ),
    (
        "toxic-http-upstream",
        "POST",
        "/proxies/a/toxics",
        j({"type": "http_status", "stream": "upstream"}),
        400,
        "downstream",
    ),
    (
        "toxic-drop-no-limit",
        "POST",
        "/proxies/a/toxics",
        j({"type": "drop"}),
        400,
        "bytes or after",
    ),
    (
        "toxic-duplicate",
        "POST",
        "/proxies/a/toxics",
        j({"type": "latency"}),
        409,
        "toxic already exists",
    ),
    (
        "toxic-duplicate-stream",
        "POST",
        "/proxies/a/toxics",
        j({"type": "slicer", "stream": "upstream", "name": "latency_downstream"}),
        409,
        "toxic already exists",
    ),
    (
        "toxic-proxy-missing",
        "POST",
        "/proxies/zz/toxics",
        j({"type": "latency"}),
        404,
        "proxy not found",
    ),
    ("toxics-proxy-missing", "GET", "/proxies/zz/toxics", b"", 404, "proxy not found"),
    ("toxic-update-empty", "PATCH", "/proxies/a/toxics/latency_downstream", b"", 400, "EOF"),
    (
        "toxic-update-garbage",
        "PATCH",
        "/proxies/a/toxics/latency_downstream",
        b"garb",
        400,
        "bad request body",
    ),
    (
        "toxic-update-toxicity",
        "POST",
        "/proxies/a/toxics/latency_downstream",
        j({"toxicity": 5}),
        400,
        "toxicity",
    ),
    (
        "toxic-update-negative",
        "PATCH",
        "/proxies/a/toxics/latency_downstream",
        j({"attributes": {"jitter": -5}}),
        400,
        "attributes.jitter",
    ),
    (
        "toxic-update-unknown",
        "PATCH",
        "/proxies/a/toxics/latency_downstream",
        j({"attributes": {"bogus": 1}}),
        400,
        "unknown attribute",
    ),
    (
        "toxic-update-array",
        "PATCH",
        "/proxies/a/toxics/latency_downstream",
        j({"attributes": [1]}),
        400,
        "attributes",
    ),
    ("toxic-update-missing", "PATCH", "/proxies/a/toxics/nope", j({}), 404, "toxic not found"),
    (
        "toxic-update-proxy-missing",
        "PATCH",
        "/proxies/zz/toxics/nope",
        j({}),
        404,
        "proxy not found",
    ),
    ("toxic-get-missing", "GET", "/proxies/a/toxics/nope", b"", 404, "toxic not found"),
    ("toxic-delete-missing", "DELETE", "/proxies/a/toxics/nope", b"", 404, "toxic not found"),
    ("toxic-delete-proxy-missing", "DELETE", "/proxies/zz/toxics/x", b"", 404, "proxy not found"),
    ("events-since", "GET", "/events?since=soon", b"", 400, "since"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_request_answers_clearly_and_changes_nothing(
    client: httpx.Client,
    url: str,
    *,
    method: str,
    path: str,
    body: bytes,
    status: int,
    fragment: str,
) -> None:
    before = state(client)
    body = body.replace(API.encode(), urlsplit(url).netloc.encode())
    response = client.request(method, path, content=body or None)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["status"] == status
    assert fragment in error["error"]
    assert state(client) == before


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", "/nothing", 404, "404 page not found"),
        ("GET", "/proxies/", 404, "404 page not found"),
        ("PUT", "/proxies/a", 405, ""),
        ("DELETE", "/proxies", 405, ""),
        ("GET", "/reset", 405, ""),
    ],
)
def test_unknown_routes_answer_as_toxiproxy(
    client: httpx.Client, method: str, path: str, status: int, text: str
) -> None:
    before = state(client)
    response = client.request(method, path)
    assert (response.status_code, response.text.strip()) == (status, text)
    assert state(client) == before


def test_browsers_are_refused(client: httpx.Client) -> None:
    before = state(client)
    response = client.post("/reset", headers={"User-Agent": "Mozilla/5.0 (X11)"})
    assert (response.status_code, response.text) == (403, "User agent not allowed\n")
    assert state(client) == before
