"""The API's own behaviour: merges, /populate, /reset, events, statistics, OpenAPI."""

from __future__ import annotations

import asyncio
import doctest
import importlib
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chaoslab.proxy._api import ROUTES, openapi_document
from tests.integration.proxy_api._support import api_in_thread, echo_server

UP = "127.0.0.1:9"


@pytest.fixture(scope="module")
def echo() -> Iterator[int]:
    with echo_server() as port:
        yield port


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with api_in_thread(seed=3) as base:
        yield base


@pytest.fixture
def http(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
        yield client
        for name in client.get("/proxies").json():
            client.delete(f"/proxies/{name}")


def create(http: httpx.Client, name: str, upstream: str = UP, **extra: Any) -> dict[str, Any]:
    response = http.post("/proxies", json={"name": name, "upstream": upstream, **extra})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def test_a_proxy_listens_on_loopback_by_default(http: httpx.Client) -> None:
    assert create(http, "a")["listen"].startswith("127.0.0.1:")


def test_proxy_update_merges_and_ignores_the_name(http: httpx.Client) -> None:
    before = create(http, "a")
    after = http.patch("/proxies/a", json={"enabled": False, "name": "b"}).json()
    assert after == {**before, "enabled": False}
    assert list(http.get("/proxies").json()) == ["a"]


def test_toxic_update_merges_attributes_and_keeps_stream(http: httpx.Client) -> None:
    create(http, "a")
    body = {"type": "latency", "stream": "upstream", "attributes": {"latency": 5}}
    http.post("/proxies/a/toxics", json=body)
    patch = {"attributes": {"jitter": 2}, "stream": "downstream", "type": "slicer"}
    toxic = http.patch("/proxies/a/toxics/latency_upstream", json=patch).json()
    assert toxic == {
        "attributes": {"latency": 5, "jitter": 2}, "name": "latency_upstream",
        "type": "latency", "stream": "upstream", "toxicity": 1.0,
    }  # fmt: skip


def test_toxics_are_listed_upstream_first(http: httpx.Client) -> None:
    create(http, "a")
    http.post("/proxies/a/toxics", json={"type": "latency"})
    http.post("/proxies/a/toxics", json={"type": "latency", "stream": "upstream"})
    names = [t["name"] for t in http.get("/proxies/a/toxics").json()]
    assert names == ["latency_upstream", "latency_downstream"]


def test_populate_keeps_an_identical_proxy_and_replaces_a_changed_one(http: httpx.Client) -> None:
    kept = create(http, "kept", listen="127.0.0.1:0")
    http.post("/proxies/kept/toxics", json={"type": "latency"})
    changed = create(http, "changed")
    items = [
        {"name": "kept", "upstream": UP, "listen": kept["listen"], "enabled": False},
        {"name": "changed", "upstream": "127.0.0.1:10", "listen": "127.0.0.1:0"},
        {"name": "new", "upstream": UP},
    ]
    response = http.post("/populate", json=items)
    assert response.status_code == 201
    proxies = {p["name"]: p for p in response.json()["proxies"]}
    assert list(proxies) == ["kept", "changed", "new"]
    # Toxiproxy leaves an identical proxy untouched: still enabled, toxics kept.
    assert proxies["kept"]["enabled"] is True
    assert [t["name"] for t in proxies["kept"]["toxics"]] == ["latency_downstream"]
    assert proxies["changed"]["upstream"] == "127.0.0.1:10"
    assert proxies["changed"]["listen"] != changed["listen"]


def test_reset_enables_every_proxy_and_removes_every_toxic(http: httpx.Client) -> None:
    create(http, "a", enabled=False)
    create(http, "b")
    http.post("/proxies/b/toxics", json={"type": "timeout"})
    assert http.post("/reset").status_code == 204
    proxies = http.get("/proxies").json()
    assert [(p["enabled"], p["toxics"]) for p in proxies.values()] == [(True, []), (True, [])]


def test_version_is_toxiproxys_with_chaoslab_as_build_metadata(http: httpx.Client) -> None:
    response = http.get("/version")
    assert response.headers["content-type"].startswith("application/json")
    assert response.text.endswith("\n")
    assert response.json()["version"].startswith("v2.12.0+chaoslab.")


def test_request_ids_are_echoed_or_made(http: httpx.Client) -> None:
    assert (
        http.get("/proxies", headers={"X-Toxiproxy-Request-Id": "r1"}).headers[
            "X-Toxiproxy-Request-Id"
        ]
        == "r1"
    )
    assert len(http.get("/proxies").headers["X-Toxiproxy-Request-Id"]) == 20


def test_stats_and_events_follow_real_traffic(http: httpx.Client, echo: int) -> None:
    port = int(create(http, "a", f"127.0.0.1:{echo}")["listen"].rsplit(":", 1)[1])
    http.post("/proxies/a/toxics", json={"type": "latency", "attributes": {"latency": 1}})
    start = http.get("/events").json()["now"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"x" * 1000)
        got = b""
        while len(got) < 1000:
            got += sock.recv(4096)
    stats: dict[str, Any] = {}
    for _ in range(200):  # the close is seen by the server asynchronously; bounded poll
        stats = http.get("/proxies/a/stats").json()
        if stats["connections_active"] == 0:
            break
        http.get("/version")
    assert stats == {
        "name": "a", "connections_total": 1, "connections_active": 0,
        "bytes_upstream": 1000, "bytes_downstream": 1000, "toxics_applied": 1,
    }  # fmt: skip
    events = http.get("/events", params={"since": start}).json()["events"]
    kinds = [e["kind"] for e in events]
    # The toxicity roll may be recorded just before the connection's opening.
    assert sorted(kinds) == [
        "proxy.connection_closed", "proxy.connection_opened", "proxy.toxic_applied",
    ]  # fmt: skip
    assert kinds[-1] == "proxy.connection_closed"
    closed = events[-1]
    assert (closed["bytes_upstream"], closed["bytes_downstream"]) == (1000, 1000)
    assert all(e["at"] >= start for e in events)
    only_toxics = http.get("/events", params={"kind": "proxy.toxic"}).json()["events"]
    toxic_kinds = {e["kind"] for e in only_toxics}
    assert {"proxy.toxic_added", "proxy.toxic_applied"} <= toxic_kinds
    assert all(kind.startswith("proxy.toxic") for kind in toxic_kinds)


def test_openapi_document_covers_every_route_from_the_models(http: httpx.Client) -> None:
    served = http.get("/openapi.json").json()
    assert served == openapi_document()
    assert served["openapi"] == "3.1.0"
    operations = {(m.upper(), p) for p, ops in served["paths"].items() for m in ops}
    assert operations == {(r.method, r.path) for r in ROUTES}
    create_body = served["paths"]["/proxies"]["post"]["requestBody"]["content"]
    assert create_body["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProxyCreateBody"
    }
    schema = served["components"]["schemas"]["ProxyCreateBody"]
    assert schema["required"] == ["name", "upstream"]
    refs = _refs(served)
    assert refs
    assert all(
        ref.removeprefix("#/components/schemas/") in served["components"]["schemas"] for ref in refs
    )


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in _refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


@pytest.mark.parametrize(
    "module",
    [
        "chaoslab.proxy._api",
        "chaoslab.proxy._api_http",
        "chaoslab.proxy._api_models",
        "chaoslab.proxy._api_openapi",
        "chaoslab.proxy._api_state",
        "chaoslab.proxy._client",
        "chaoslab.proxy._client_core",
        "chaoslab.proxy._client_proxy",
        "chaoslab.proxy._client_toxics",
        "chaoslab.proxy._serve",
        "chaoslab.cli._proxy",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


async def test_concurrent_changes_are_serialised(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        body = {"name": "race", "upstream": UP}
        creates = await asyncio.gather(*(client.post("/proxies", json=body) for _ in range(20)))
        assert sorted(r.status_code for r in creates) == [201] + [409] * 19
        toxic = {"type": "latency", "name": "t"}
        adds = await asyncio.gather(
            *(client.post("/proxies/race/toxics", json=toxic) for _ in range(20))
        )
        assert sorted(r.status_code for r in adds) == [200] + [409] * 19
        named = [{"type": "latency", "name": f"t{i}"} for i in range(20)]
        await asyncio.gather(*(client.post("/proxies/race/toxics", json=b) for b in named))
        toxics = (await client.get("/proxies/race/toxics")).json()
        assert sorted(t["name"] for t in toxics) == sorted(["t", *(b["name"] for b in named)])
        deletes = await asyncio.gather(*(client.delete("/proxies/race") for _ in range(10)))
        assert sorted(r.status_code for r in deletes) == [204] + [404] * 9
