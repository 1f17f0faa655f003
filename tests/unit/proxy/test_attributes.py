"""Toxic attributes: Toxiproxy's names, defaults and JSON shape; validated at creation."""

from __future__ import annotations

from typing import Any

import pytest

from chaoslab.errors import ConfigError
from chaoslab.proxy import TOXIC_TYPES, Toxic

TOXIPROXY_DEFAULTS = {
    "latency": {"latency": 0, "jitter": 0},
    "bandwidth": {"rate": 0},
    "slow_close": {"delay": 0},
    "timeout": {"timeout": 0},
    "reset_peer": {"timeout": 0},
    "slicer": {"average_size": 1, "size_variation": 0, "delay": 0},
    "limit_data": {"bytes": 0},
    "noop": {},
}


@pytest.mark.parametrize(("type_", "defaults"), TOXIPROXY_DEFAULTS.items())
def test_defaults_and_shape(type_: str, defaults: dict[str, int]) -> None:
    toxic = Toxic.build(type_)
    assert toxic.to_dict() == {
        "attributes": defaults,
        "name": f"{type_}_downstream",
        "type": type_,
        "stream": "downstream",
        "toxicity": 1.0,
    }
    assert list(toxic.to_dict()) == ["attributes", "name", "type", "stream", "toxicity"]


def test_stream_is_case_insensitive_and_names_follow_it() -> None:
    toxic = Toxic.build("latency", stream="UPSTREAM", attributes={"latency": 5})
    assert (toxic.stream, toxic.name) == ("upstream", "latency_upstream")


@pytest.mark.parametrize(
    ("type_", "attributes", "path"),
    [
        ("latency", {"latency": -1}, "attributes.latency"),
        ("latency", {"jitter": -5}, "attributes.jitter"),
        ("latency", {"latency": 1.5}, "attributes.latency"),
        ("latency", {"latency": "100"}, "attributes.latency"),
        ("latency", {"latency": True}, "attributes.latency"),
        ("latency", {"latncy": 100}, "attributes.latncy"),
        ("bandwidth", {"rate": -1}, "attributes.rate"),
        ("slicer", {"average_size": 0}, "attributes.average_size"),
        ("slicer", {"average_size": 4, "size_variation": 4}, "attributes"),
        ("limit_data", {"bytes": -1}, "attributes.bytes"),
        ("timeout", {"timeout": -1}, "attributes.timeout"),
        ("corrupt", {"probability": 1.5}, "attributes.probability"),
        ("drop", {}, "attributes"),
        ("http_status", {"status": 99}, "attributes.status"),
        ("sse_cut", {"events": -1}, "attributes.events"),
    ],
)
def test_bad_attributes_name_the_attribute(
    type_: str, attributes: dict[str, Any], path: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Toxic.build(type_, attributes=attributes)
    assert info.value.problems[0][0] == path


@pytest.mark.parametrize(
    ("kwargs", "path", "text"),
    [
        ({"type": "nope"}, "type", "invalid toxic type"),
        ({"type": "down"}, "type", "disable the proxy"),
        ({"type": "latency", "stream": "sideways"}, "stream", "upstream or downstream"),
        ({"type": "latency", "stream": ""}, "stream", "upstream or downstream"),
        ({"type": "latency", "toxicity": 1.5}, "toxicity", "[0, 1]"),
        ({"type": "latency", "toxicity": -0.1}, "toxicity", "[0, 1]"),
        ({"type": "latency", "toxicity": "1"}, "toxicity", "number"),
        ({"type": "http_status", "stream": "upstream"}, "stream", "downstream"),
        ({"type": "latency", "attributes": [1]}, "attributes", "object"),
    ],
)
def test_bad_fields(kwargs: dict[str, Any], path: str, text: str) -> None:
    type_ = kwargs.pop("type")
    with pytest.raises(ConfigError) as info:
        Toxic.build(type_, **kwargs)
    assert info.value.problems[0][0] == path
    assert text in info.value.problems[0][1]


def test_null_attributes_mean_defaults() -> None:
    assert Toxic.build("latency", attributes=None).attributes == {"latency": 0, "jitter": 0}


def test_update_merges_and_validates_without_changing_the_original() -> None:
    toxic = Toxic.build("latency", attributes={"latency": 100, "jitter": 5})
    new = toxic.updated(attributes={"jitter": 7})
    assert new.attributes == {"latency": 100, "jitter": 7}
    assert toxic.attributes == {"latency": 100, "jitter": 5}
    with pytest.raises(ConfigError):
        toxic.updated(attributes={"latency": -1})
    with pytest.raises(ConfigError):
        toxic.updated(toxicity=2)
    assert toxic.updated(toxicity=0.5).toxicity == 0.5


def test_every_type_is_creatable_with_its_documented_attributes() -> None:
    from chaoslab.proxy.testing import CONFORMANCE

    for name in TOXIC_TYPES:
        assert Toxic.build(name, attributes=CONFORMANCE[name]["attributes"]).type == name
