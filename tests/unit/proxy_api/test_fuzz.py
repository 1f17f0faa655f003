"""Property: no request, however malformed, makes the API answer 5xx or break its shape.

Hypothesis builds requests from the API's own vocabulary (paths, field names,
toxic types and attributes) mixed with arbitrary JSON and bytes; every reply
must be < 500, be one of the statuses the OpenAPI document declares for its
route, and validate against the declared reply model (errors: Toxiproxy's
`{"error", "status"}` body).
Examples are derandomised so that CI runs the same ones every time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaoslab.proxy._api import ROUTES
from tests.integration.proxy_api._support import api_in_thread

ROUTE = {(r.method, r.path): r for r in ROUTES}

NAMES = st.sampled_from(["a", "b", "zz", "latency_downstream", "x y", "%41", "ü"])
TYPES = st.sampled_from(
    ["latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data", "noop",
     "blackhole", "corrupt", "drop", "http_status", "http_delay", "sse_cut", "down", "bogus"]
)  # fmt: skip
ATTRIBUTE_KEYS = st.sampled_from(
    ["latency", "jitter", "rate", "delay", "timeout", "average_size", "size_variation", "bytes",
     "probability", "after", "status", "retry_after", "body", "headers", "events", "bogus"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False),
    st.text(max_size=12),
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
# Listen addresses never name a fixed port, so no example can collide with a real listener.
LISTEN = st.sampled_from(["127.0.0.1:0", "localhost:0", "", "nonsense", "127.0.0.1:x", ":0"])
UPSTREAM = st.sampled_from(["127.0.0.1:9", "localhost:9", "10.0.0.1:80", "nohost", "[::1]:9", ""])

PROXY_BODY = st.fixed_dictionaries(
    {},
    optional={
        "name": NAMES | JSON,
        "upstream": UPSTREAM | JSON,
        "listen": LISTEN,
        "enabled": st.booleans() | JSON,
    },
)
TOXIC_BODY = st.fixed_dictionaries(
    {},
    optional={
        "type": TYPES | JSON,
        "name": NAMES | JSON,
        "stream": st.sampled_from(["upstream", "downstream", "UP", ""]) | JSON,
        "toxicity": st.floats(-1, 2, allow_nan=False) | JSON,
        "attributes": st.dictionaries(ATTRIBUTE_KEYS, SCALARS, max_size=4) | JSON,
    },
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, str, bytes | None]:
    """(method, route template, path, body)."""
    proxy, toxic = draw(NAMES), draw(NAMES)
    template, body = draw(
        st.sampled_from(
            [
                ("/proxies", PROXY_BODY),
                ("/populate", st.lists(PROXY_BODY, max_size=3)),
                ("/proxies/{proxy}", PROXY_BODY),
                ("/proxies/{proxy}/toxics", TOXIC_BODY),
                ("/proxies/{proxy}/toxics/{toxic}", TOXIC_BODY),
                ("/proxies/{proxy}/stats", JSON),
                ("/reset", JSON),
                ("/events", JSON),
                ("/version", JSON),
            ]
        )
    )
    path = template.replace("{proxy}", proxy).replace("{toxic}", toxic)
    method = draw(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]))
    raw = draw(
        st.one_of(
            body.map(lambda data: json.dumps(data).encode()),
            JSON.map(lambda data: json.dumps(data).encode()),
            st.binary(max_size=24),
            st.none(),
        )
    )
    return method, template, path, raw


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with api_in_thread(seed=11) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield http


@settings(
    max_examples=400,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_no_request_gets_a_5xx_or_an_undocumented_reply(
    client: httpx.Client, request: tuple[str, str, str, bytes | None]
) -> None:
    method, template, path, body = request
    response = client.request(method, path, content=body)
    assert response.status_code < 500, (request, response.text)
    route = ROUTE.get((method, template))
    if route is None or response.text.startswith("404 page"):
        # No such route, or a name with a slash that no route matches: Toxiproxy's text.
        assert response.status_code in (404, 405), request
        return
    # The reply is one the OpenAPI document declares, in the declared shape.
    assert response.status_code in route.replies, (request, response.status_code)
    model = route.replies[response.status_code]
    if model is not None:
        model.model_validate(response.json())
    if response.status_code >= 400:
        error: Any = response.json()
        assert isinstance(error["error"], str)
        assert error["error"]
        assert error["status"] == response.status_code


def test_the_server_still_answers_after_the_fuzzing(client: httpx.Client) -> None:
    assert client.post("/reset").status_code == 204
    listed = client.get("/proxies")
    assert listed.status_code == 200
    assert isinstance(listed.json(), dict)
