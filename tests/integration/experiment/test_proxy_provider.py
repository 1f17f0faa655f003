"""The proxy provider against a real chaoslab proxy, over its Toxiproxy HTTP API."""

from __future__ import annotations

from typing import Any

import httpx

from chaoslab.experiment import Runner, load_experiment
from tests.integration.experiment.conftest import ProxyApi


def toxic(func: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "chaoslab", "module": "proxy", "func": func, "arguments": arguments}


def test_toxic_held_for_a_duration_with_a_ramp(proxy_api: ProxyApi) -> None:
    doc = {
        "title": "redis slows down",
        "description": "a latency ramp, then removal",
        "extensions": [
            {
                "name": "chaoslab",
                "proxy-url": proxy_api.url,
                "blast-radius": {"proxies": ["redis"], "max-fault-duration": 5},
            }
        ],
        "method": [
            {
                "type": "action",
                "name": "ramp",
                "provider": toxic(
                    "add_toxic",
                    proxy="redis",
                    type="latency",
                    name="slow",
                    attributes={"jitter": 5},
                    duration=0.6,
                    ramp={"attribute": "latency", "from": 100, "to": 300, "over": 0.4, "steps": 2},
                ),
            }
        ],
    }
    journal = Runner(load_experiment(doc)).run()
    assert journal["status"] == "completed"
    assert journal["run"][0]["status"] == "succeeded", journal["run"][0].get("exception")
    kinds = [
        (e.kind, getattr(e, "attributes", {}).get("latency"))
        for e in proxy_api.server.recorder.of_kind("proxy.toxic")
    ]
    assert kinds == [
        ("proxy.toxic_added", 100),
        ("proxy.toxic_updated", 200),
        ("proxy.toxic_updated", 300),
        ("proxy.toxic_removed", None),
    ]
    (window,) = journal["chaoslab"]["fault_windows"]
    assert window["kind"] == "proxy.toxic"
    assert window["target"] == "redis"
    assert window["end"] is not None
    assert 0.5 <= window["end"] - window["start"] < 2.0
    assert httpx.get(f"{proxy_api.url}/proxies/redis/toxics").json() == []


def test_open_ended_toxic_is_removed_by_action_or_cleanup(proxy_api: ProxyApi) -> None:
    base = {
        "title": "t",
        "description": "d",
        "extensions": [{"name": "chaoslab", "proxy-url": proxy_api.url}],
    }
    add = {
        "type": "action",
        "name": "add",
        "provider": toxic("add_toxic", proxy="redis", type="timeout", attributes={"timeout": 0}),
    }
    remove = {
        "type": "action",
        "name": "remove",
        "provider": toxic("remove_toxic", proxy="redis", name="timeout_downstream"),
    }
    journal = Runner(load_experiment(base | {"method": [add, remove]})).run()
    assert [r["status"] for r in journal["run"]] == ["succeeded", "succeeded"]
    # Left active by the method: the end-of-run cleanup removes it anyway.
    journal = Runner(load_experiment(base | {"method": [add]})).run()
    assert journal["chaoslab"]["fault_windows"][0]["end"] is not None
    assert httpx.get(f"{proxy_api.url}/proxies/redis/toxics").json() == []


def test_proxy_api_error_fails_the_activity(proxy_api: ProxyApi) -> None:
    doc = {
        "title": "t",
        "description": "d",
        "extensions": [{"name": "chaoslab", "proxy-url": proxy_api.url}],
        "method": [
            {
                "type": "action",
                "name": "ghost",
                "provider": toxic(
                    "add_toxic", proxy="nope", type="latency", attributes={"latency": 1}
                ),
            }
        ],
    }
    journal = Runner(load_experiment(doc)).run()
    record = journal["run"][0]
    assert record["status"] == "failed"
    assert "proxy not found" in record["exception"][0]
    assert journal["chaoslab"]["fault_windows"] == []
