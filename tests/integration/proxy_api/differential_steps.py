"""The API call sequence replayed against toxiproxy-server and `chaoslab proxy serve`.

Every endpoint with good and bad requests. `DELIBERATE` lists where chaoslab
answers differently on purpose (each is in docs/proxy.md, "Deliberate
differences"), as (Toxiproxy's status, chaoslab's status); the steps that
Toxiproxy accepts and chaoslab refuses act on a scratch proxy `d`, deleted
afterwards, so that the two servers' states stay the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

UP = "127.0.0.1:9"  # a loopback upstream nobody dials in these steps


@dataclass(frozen=True)
class Step:
    """One request: an id, method, path, raw body (None: no body), extra headers."""

    id: str
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


def j(data: Any) -> bytes:
    return json.dumps(data).encode()


def proxy(name: str, **extra: Any) -> bytes:
    return j({"name": name, "upstream": UP, "listen": "127.0.0.1:0", **extra})


# Every Toxiproxy toxic type with each of its attributes set: the reply's
# attribute names must be Toxiproxy's.
TOXIPROXY_TYPES: tuple[tuple[str, dict[str, int]], ...] = (
    ("latency", {"latency": 10, "jitter": 2}),
    ("bandwidth", {"rate": 100}),
    ("slow_close", {"delay": 10}),
    ("timeout", {"timeout": 10}),
    ("reset_peer", {"timeout": 10}),
    ("slicer", {"average_size": 10, "size_variation": 2, "delay": 5}),
    ("limit_data", {"bytes": 10}),
    ("noop", {}),
)

STEPS: tuple[Step, ...] = (
    Step("version", "GET", "/version"),
    Step("list-empty", "GET", "/proxies"),
    Step("create", "POST", "/proxies", proxy("a")),
    Step("create-duplicate", "POST", "/proxies", proxy("a")),
    Step("create-no-name", "POST", "/proxies", j({"upstream": UP})),
    Step("create-empty-name", "POST", "/proxies", j({"name": "", "upstream": UP})),
    Step("create-no-upstream", "POST", "/proxies", j({"name": "x"})),
    Step("create-empty-body", "POST", "/proxies", b""),
    Step("create-garbage", "POST", "/proxies", b"{bad"),
    Step("create-name-number", "POST", "/proxies", j({"name": 5, "upstream": UP})),
    Step("create-enabled-string", "POST", "/proxies", proxy("x", enabled="yes")),
    Step("create-array", "POST", "/proxies", b"[]"),
    Step("create-disabled", "POST", "/proxies", proxy("b", enabled=False)),
    Step("create-unknown-keys", "POST", "/proxies", proxy("c", toxics=[], colour="red")),
    Step("list", "GET", "/proxies"),
    Step("get", "GET", "/proxies/a"),
    Step("get-missing", "GET", "/proxies/zz"),
    Step("disable-post", "POST", "/proxies/a", j({"enabled": False})),
    Step("enable-patch", "PATCH", "/proxies/a", j({"enabled": True, "name": "renamed"})),
    Step("update-bad-type", "PATCH", "/proxies/a", j({"enabled": "x"})),
    Step("update-empty-body", "PATCH", "/proxies/a", b""),
    Step("update-garbage", "POST", "/proxies/a", b"garbage"),
    Step("update-missing", "PATCH", "/proxies/zz", j({})),
    Step("update-missing-garbage", "PATCH", "/proxies/zz", b"garbage"),
    Step("proxy-put", "PUT", "/proxies/a", j({})),
    Step("proxies-delete", "DELETE", "/proxies"),
    Step(
        "toxic-create",
        "POST",
        "/proxies/a/toxics",
        j({"type": "latency", "attributes": {"latency": 100}}),
    ),
    Step("toxic-duplicate", "POST", "/proxies/a/toxics", j({"type": "latency"})),
    Step(
        "toxic-duplicate-other-stream",
        "POST",
        "/proxies/a/toxics",
        j({"type": "latency", "stream": "upstream", "name": "latency_downstream"}),
    ),
    Step(
        "toxic-upstream-any-case",
        "POST",
        "/proxies/a/toxics",
        j(
            {
                "type": "slicer",
                "name": "sl",
                "stream": "UpStream",
                "attributes": {"average_size": 10},
            }
        ),
    ),
    Step("toxic-unknown-type", "POST", "/proxies/a/toxics", j({"type": "bogus"})),
    Step("toxic-down-type", "POST", "/proxies/a/toxics", j({"type": "down"})),
    Step("toxic-no-type", "POST", "/proxies/a/toxics", j({})),
    Step("toxic-empty-stream", "POST", "/proxies/a/toxics", j({"type": "latency", "stream": ""})),
    Step("toxic-bad-stream", "POST", "/proxies/a/toxics", j({"type": "bogus", "stream": "x"})),
    Step("toxic-empty-body", "POST", "/proxies/a/toxics", b""),
    Step("toxic-garbage", "POST", "/proxies/a/toxics", b"{nope"),
    Step("toxic-array-body", "POST", "/proxies/a/toxics", b"[]"),
    Step("toxic-type-number", "POST", "/proxies/a/toxics", j({"type": 5})),
    Step(
        "toxic-toxicity-string",
        "POST",
        "/proxies/a/toxics",
        j({"type": "limit_data", "toxicity": "x"}),
    ),
    Step(
        "toxic-attribute-string",
        "POST",
        "/proxies/a/toxics",
        j({"type": "timeout", "name": "t", "attributes": {"timeout": "x"}}),
    ),
    Step(
        "toxic-attribute-float",
        "POST",
        "/proxies/a/toxics",
        j({"type": "timeout", "name": "t", "attributes": {"timeout": 1.5}}),
    ),
    Step(
        "toxic-attributes-array",
        "POST",
        "/proxies/a/toxics",
        j({"type": "latency", "name": "t", "attributes": [1]}),
    ),
    Step(
        "toxic-attributes-null",
        "POST",
        "/proxies/a/toxics",
        j({"type": "timeout", "attributes": None, "toxicity": 0.5}),
    ),
    Step(
        "toxic-default-name-empty",
        "POST",
        "/proxies/a/toxics",
        j({"type": "limit_data", "name": "", "stream": "upstream", "attributes": {"bytes": 10}}),
    ),
    Step("toxic-missing-proxy", "POST", "/proxies/zz/toxics", j({"type": "latency"})),
    Step("toxic-missing-proxy-garbage", "POST", "/proxies/zz/toxics", b"garbage"),
    Step("toxics-list", "GET", "/proxies/a/toxics"),
    Step("toxics-list-missing", "GET", "/proxies/zz/toxics"),
    Step("toxics-put", "PUT", "/proxies/a/toxics", j({})),
    Step("toxic-get", "GET", "/proxies/a/toxics/latency_downstream"),
    Step("toxic-get-missing", "GET", "/proxies/a/toxics/nope"),
    Step("toxic-get-missing-proxy", "GET", "/proxies/zz/toxics/nope"),
    Step(
        "toxic-update-patch",
        "PATCH",
        "/proxies/a/toxics/latency_downstream",
        j({"attributes": {"jitter": 5}, "stream": "upstream", "type": "slicer", "name": "x"}),
    ),
    Step("toxic-update-post", "POST", "/proxies/a/toxics/latency_downstream", j({"toxicity": 0.3})),
    Step(
        "toxic-update-attributes-null",
        "PATCH",
        "/proxies/a/toxics/latency_downstream",
        j({"attributes": None}),
    ),
    Step(
        "toxic-update-bad-type",
        "PATCH",
        "/proxies/a/toxics/latency_downstream",
        j({"attributes": {"latency": "x"}}),
    ),
    Step("toxic-update-empty-body", "PATCH", "/proxies/a/toxics/latency_downstream", b""),
    Step("toxic-update-garbage", "PATCH", "/proxies/a/toxics/latency_downstream", b"garb"),
    Step("toxic-update-missing", "PATCH", "/proxies/a/toxics/nope", j({})),
    Step("toxic-update-missing-garbage", "PATCH", "/proxies/a/toxics/nope", b"garb"),
    Step("toxic-put", "PUT", "/proxies/a/toxics/latency_downstream", j({})),
    *(
        Step(
            f"toxic-type-{kind}",
            "POST",
            "/proxies/a/toxics",
            j(
                {
                    "type": kind,
                    "name": f"tt-{kind}",
                    "stream": "upstream",
                    "toxicity": 0.25,
                    "attributes": attributes,
                }
            ),
        )
        for kind, attributes in TOXIPROXY_TYPES
    ),
    Step("proxy-with-toxics", "GET", "/proxies/a"),
    *(
        Step(f"toxic-type-{kind}-delete", "DELETE", f"/proxies/a/toxics/tt-{kind}")
        for kind, _ in TOXIPROXY_TYPES
    ),
    Step("toxic-delete", "DELETE", "/proxies/a/toxics/latency_downstream"),
    Step("toxic-delete-again", "DELETE", "/proxies/a/toxics/latency_downstream"),
    Step("toxic-delete-missing-proxy", "DELETE", "/proxies/zz/toxics/x"),
    # Deliberate differences, on the scratch proxy d.
    Step("scratch-create", "POST", "/proxies", proxy("d")),
    Step(
        "toxic-negative-attribute",
        "POST",
        "/proxies/d/toxics",
        j({"type": "bandwidth", "attributes": {"rate": -1}}),
    ),
    Step(
        "toxic-unknown-attribute",
        "POST",
        "/proxies/d/toxics",
        j({"type": "latency", "attributes": {"bogus": 1}}),
    ),
    Step(
        "toxic-toxicity-out-of-range",
        "POST",
        "/proxies/d/toxics",
        j({"type": "timeout", "toxicity": -1}),
    ),
    Step(
        "toxic-slicer-zero-size",
        "POST",
        "/proxies/d/toxics",
        j({"type": "slicer", "attributes": {"average_size": 0}}),
    ),
    Step(
        "toxic-update-unknown-attribute",
        "PATCH",
        "/proxies/a/toxics/sl",
        j({"attributes": {"bogus": 1}}),
    ),
    Step(
        "toxic-update-negative-attribute",
        "PATCH",
        "/proxies/a/toxics/sl",
        j({"attributes": {"delay": -5}}),
    ),
    Step(
        "proxy-remote-upstream",
        "POST",
        "/proxies",
        j({"name": "e", "upstream": "10.1.2.3:80", "listen": "127.0.0.1:0"}),
    ),
    Step(
        "proxy-bad-listen",
        "POST",
        "/proxies",
        j({"name": "f", "upstream": UP, "listen": "nonsense"}),
    ),
    Step("scratch-delete", "DELETE", "/proxies/d"),
    Step("scratch-delete-e", "DELETE", "/proxies/e"),
    # /populate
    Step("populate-empty", "POST", "/populate", b"[]"),
    Step("populate-object", "POST", "/populate", j({})),
    Step("populate-empty-body", "POST", "/populate", b""),
    Step("populate-item-number", "POST", "/populate", b"[1]"),
    Step(
        "populate-missing-upstream",
        "POST",
        "/populate",
        j([{"name": "p1", "upstream": UP}, {"name": "p2"}]),
    ),
    Step(
        "populate-missing-name",
        "POST",
        "/populate",
        j([{"name": "p1", "upstream": UP}, {"upstream": UP}]),
    ),
    Step(
        "populate-bad-enabled",
        "POST",
        "/populate",
        j([{"name": "q", "upstream": UP, "enabled": "no"}]),
    ),
    Step(
        "populate",
        "POST",
        "/populate",
        j(
            [
                {"name": "p1", "upstream": UP, "listen": "127.0.0.1:0"},
                {"name": "p2", "upstream": UP, "listen": "127.0.0.1:0", "enabled": False},
            ]
        ),
    ),
    Step("list-after-populate", "GET", "/proxies"),
    Step(
        "populate-duplicate-names",
        "POST",
        "/populate",
        j(
            [
                {"name": "pd", "upstream": UP, "listen": "127.0.0.1:0"},
                {"name": "pd", "upstream": UP, "listen": "127.0.0.1:0"},
            ]
        ),
    ),
    Step("scratch-delete-pd", "DELETE", "/proxies/pd"),
    Step(
        "create-listen-in-use",
        "POST",
        "/proxies",
        j({"name": "g", "upstream": UP, "listen": "{API}"}),
    ),
    # /reset and the rest
    Step("reset", "POST", "/reset"),
    Step("reset-garbage-body", "POST", "/reset", b"garbage"),
    Step("reset-get", "GET", "/reset"),
    Step("version-post", "POST", "/version"),
    Step("toxics-after-reset", "GET", "/proxies/a/toxics"),
    Step("delete", "DELETE", "/proxies/a"),
    Step("delete-again", "DELETE", "/proxies/a"),
    Step("unknown-path", "GET", "/nothing"),
    Step("trailing-slash", "GET", "/proxies/"),
    Step("browser", "GET", "/proxies", headers=(("User-Agent", "Mozilla/5.0"),)),
    Step("head", "HEAD", "/proxies"),
    Step("options", "OPTIONS", "/proxies"),
    Step("metrics", "GET", "/metrics"),
    Step("create-query-string", "POST", "/proxies?x=1", proxy("q")),
    Step("delete-query-string", "DELETE", "/proxies/q?x=1"),
    Step("list-final", "GET", "/proxies"),
)

# step id -> (Toxiproxy's status, chaoslab's status): documented in docs/proxy.md.
DELIBERATE: dict[str, tuple[int, int]] = {
    "toxic-negative-attribute": (200, 400),
    "toxic-unknown-attribute": (200, 400),
    "toxic-toxicity-out-of-range": (200, 400),
    "toxic-slicer-zero-size": (200, 400),
    "toxic-update-unknown-attribute": (200, 400),
    "toxic-update-negative-attribute": (200, 400),
    "proxy-remote-upstream": (201, 400),
    "proxy-bad-listen": (500, 400),
    "scratch-delete-e": (204, 404),  # e was only created by Toxiproxy
    "populate-duplicate-names": (201, 400),
    "scratch-delete-pd": (204, 404),  # pd was only created by Toxiproxy
    "create-listen-in-use": (500, 400),
}

# step id -> why the JSON shape differs on purpose (same status).
DELIBERATE_SHAPE: dict[str, str] = {
    "populate-empty": "proxies is [] (Toxiproxy: null), which clients iterate",
}
