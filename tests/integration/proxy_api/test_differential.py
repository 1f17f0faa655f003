"""Differential: the same API calls to toxiproxy-server and to `chaoslab proxy serve`.

Same status codes and the same JSON shapes (keys and value types) at every
step, except the deliberate differences, which are asserted as such and listed
in docs/proxy.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from chaoslab.proxy._client import ProxyClient
from tests.integration.proxy_api._support import (
    REPO,
    chaoslab_serve,
    echo_server,
    refuses,
    round_trip,
    toxiproxy_binary,
    toxiproxy_serve,
)
from tests.integration.proxy_api.differential_steps import DELIBERATE, DELIBERATE_SHAPE, STEPS

BINARY = toxiproxy_binary()
pytestmark = pytest.mark.skipif(
    BINARY is None,
    reason="toxiproxy-server not found at <repo>/../shared/bin/ nor $TOXIPROXY_SERVER",
)

Result = tuple[int, Any, str | None]  # status, JSON shape, the `error` text if any

ERROR = {"error": "str", "status": "number"}
# /populate errors also carry the proxies done so far: none, since chaoslab's is atomic.
POPULATE_ERROR = {**ERROR, "proxies": "null"}


def shape(value: Any) -> Any:
    """Keys and value types, recursively; ints and floats are both numbers."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if value is None:
        return "null"
    if isinstance(value, list):
        return ["list", sorted({json.dumps(shape(v), sort_keys=True) for v in value})]
    # Toxiproxy 2.12 leaks its internal logger as `"Logger": {}` in every proxy.
    return {k: shape(v) for k, v in sorted(value.items()) if k != "Logger"}


def body_shape(response: httpx.Response) -> Any:
    text = response.text
    if not text.strip():
        return "empty"
    try:
        return shape(response.json())
    except ValueError:
        return "text: " + text.strip()


def error_text(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return str(data["error"]) if isinstance(data, dict) and "error" in data else None


def replay(url: str) -> dict[str, Result]:
    api = urlsplit(url).netloc
    results: dict[str, Result] = {}
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
        for step in STEPS:
            headers = {"User-Agent": "chaoslab-differential", **dict(step.headers)}
            body = step.body.replace(b"{API}", api.encode()) if step.body is not None else None
            response = client.request(step.method, step.path, content=body, headers=headers)
            results[step.id] = (response.status_code, body_shape(response), error_text(response))
    return results


@pytest.fixture(scope="module")
def both() -> Iterator[tuple[dict[str, Result], dict[str, Result]]]:
    assert BINARY is not None
    with toxiproxy_serve(BINARY) as toxiproxy, chaoslab_serve("--seed", "1") as chaoslab:
        yield replay(toxiproxy.url), replay(chaoslab.url)


def test_every_step_has_the_same_status_and_shape(
    both: tuple[dict[str, Result], dict[str, Result]],
) -> None:
    toxiproxy, chaoslab = both
    mismatches = []
    for step in STEPS:
        if step.id in DELIBERATE:
            continue
        (t_status, t_shape, _), (c_status, c_shape, _) = toxiproxy[step.id], chaoslab[step.id]
        if t_status != c_status:
            mismatches.append(f"{step.id}: status {t_status} (toxiproxy) != {c_status}")
        elif t_shape != c_shape and step.id not in DELIBERATE_SHAPE:
            mismatches.append(f"{step.id}: shape {t_shape} (toxiproxy) != {c_shape}")
    assert not mismatches, "\n".join(mismatches)


def test_the_deliberate_differences_are_what_the_docs_say(
    both: tuple[dict[str, Result], dict[str, Result]],
) -> None:
    toxiproxy, chaoslab = both
    for step_id, (t_expected, c_expected) in DELIBERATE.items():
        assert toxiproxy[step_id][0] == t_expected, step_id
        assert chaoslab[step_id][0] == c_expected, step_id
        if c_expected >= 400:
            assert chaoslab[step_id][1] in (ERROR, POPULATE_ERROR), step_id
    t_populate, c_populate = toxiproxy["populate-empty"][1], chaoslab["populate-empty"][1]
    assert t_populate == {"proxies": "null"}
    assert c_populate == {"proxies": ["list", []]}


def test_the_docs_list_every_deliberate_difference() -> None:
    page = (REPO / "docs" / "proxy.md").read_text(encoding="utf-8")
    missing = [step for step in [*DELIBERATE, *DELIBERATE_SHAPE] if f"`{step}`" not in page]
    assert not missing, f"docs/proxy.md does not list: {missing}"


def test_the_error_body_is_toxiproxys(
    both: tuple[dict[str, Result], dict[str, Result]],
) -> None:
    _, chaoslab = both
    errors = [r for r in chaoslab.values() if r[0] in (400, 404, 409)]
    assert errors
    for status, body, _ in errors:
        assert body in (ERROR, POPULATE_ERROR, "text: 404 page not found"), status


def test_the_chaoslab_client_drives_toxiproxy_server_too() -> None:
    assert BINARY is not None
    with (
        echo_server() as echo,
        toxiproxy_serve(BINARY) as toxiproxy,
        ProxyClient(toxiproxy.url) as client,
    ):
        proxy = client.create("go_echo", upstream=f"127.0.0.1:{echo}")
        assert round_trip(proxy.port)[0] == b"ping"
        with proxy.latency(150):
            assert round_trip(proxy.port)[1] >= 0.15
        with proxy.down():
            assert refuses(proxy.port)
        proxy.add_toxic("limit_data", attributes={"bytes": 2})
        assert client.get("go_echo").toxics[0].attributes == {"bytes": 2}
        client.reset()
        assert client.get("go_echo").toxics == ()
        assert client.version() == "v2.12.0"
        client.delete("go_echo")
        assert refuses(proxy.port)


def test_error_texts_are_toxiproxys_where_clients_may_match_them(
    both: tuple[dict[str, Result], dict[str, Result]],
) -> None:
    """Toxiproxy's fixed messages come back verbatim, at most with details appended.

    Syntax errors keep the `bad request body: ` prefix (what follows is Python's
    decoder text); type errors (Go's `cannot unmarshal ...`) are reported as
    `<field>: <problem>` instead, as every other validation error is.
    """
    toxiproxy, chaoslab = both
    checked = 0
    for step in STEPS:
        t_status, _, t_text = toxiproxy[step.id]
        c_status, _, c_text = chaoslab[step.id]
        if t_text is None or t_status != c_status or step.id in DELIBERATE:
            continue
        if t_text.startswith("bad request body: json: cannot unmarshal"):
            assert ":" in (c_text or ""), step.id  # names the field
            continue
        assert c_text is not None, step.id
        prefix = "bad request body: " if t_text.startswith("bad request body: ") else t_text
        if t_text == "bad request body: EOF":
            prefix = t_text
        assert c_text.startswith(prefix), (step.id, t_text, c_text)
        checked += 1
    assert checked >= 30
