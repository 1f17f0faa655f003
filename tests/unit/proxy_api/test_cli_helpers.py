"""Small pieces of `chaoslab proxy`: attribute parsing and the loopback warning rule."""

from __future__ import annotations

import pytest
import typer

from chaoslab._net import is_loopback_host
from chaoslab.cli._proxy import _attribute


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("latency=100", ("latency", 100)),
        ("probability=0.5", ("probability", 0.5)),
        ("retry_after=null", ("retry_after", None)),
        ("body=busy", ("body", "busy")),
        ("body=", ("body", "")),
        ('headers={"X-A": "1"}', ("headers", {"X-A": "1"})),
    ],
)
def test_attributes_are_json_when_they_parse(text: str, pair: tuple[str, object]) -> None:
    assert _attribute(text) == pair


@pytest.mark.parametrize("text", ["latency", "=5"])
def test_an_attribute_without_key_or_value_is_refused(text: str) -> None:
    with pytest.raises(typer.Exit):
        _attribute(text)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("0.0.0.0", False), ("::", False), ("10.1.2.3", False), ("example.org", False)],
)  # fmt: skip
def test_the_api_warns_off_loopback(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
