"""chaoslab.faults objects map to the right toxics."""

from __future__ import annotations

from typing import Any

import pytest

from chaoslab.errors import UnsupportedFaultError
from chaoslab.faults import (
    ConnectionRefused,
    ConnectionReset,
    DropMidStream,
    Error,
    Fault,
    Hang,
    HTTPStatus,
    Latency,
    Malformed,
    Timeout,
)
from chaoslab.proxy import Toxic, toxic_for_fault


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Latency(0.1, jitter=0.01), ("latency", {"latency": 100, "jitter": 10})),
        (ConnectionReset(), ("reset_peer", {"timeout": 0})),
        (Timeout(after=2.5), ("timeout", {"timeout": 2500})),
        (Hang(), ("timeout", {"timeout": 0})),
        (
            HTTPStatus(429, retry_after=1.5),
            ("http_status", {"status": 429, "retry_after": 2, "body": "", "headers": {}}),
        ),
        (DropMidStream(after_bytes=10), ("drop", {"bytes": 10})),
        (DropMidStream(after_events=3), ("sse_cut", {"events": 3})),
        (ConnectionRefused(), ("down", {})),
    ],
)
def test_mapping(fault: Fault, expected: tuple[str, dict[str, Any]]) -> None:
    assert toxic_for_fault(fault) == expected
    if expected[0] != "down":
        Toxic.build(expected[0], attributes=expected[1])  # a valid toxic


def test_malformed_becomes_a_200_with_the_payload() -> None:
    type_, attrs = toxic_for_fault(Malformed())
    assert type_ == "http_status"
    assert attrs["status"] == 200
    assert attrs["body"] == '{"truncated": '


@pytest.mark.parametrize(
    "fault", [Error(RuntimeError), Latency(0.1, jitter=0.05, distribution="normal")]
)
def test_unsupported_faults_say_so(fault: Fault) -> None:
    with pytest.raises(UnsupportedFaultError):
        toxic_for_fault(fault)
