"""Faults: validation that names the field, sampling, building, describing."""

from __future__ import annotations

import dataclasses
import random
import statistics
from typing import Any

import pytest

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


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Latency(seconds=-0.1), "seconds"),
        (lambda: Latency(seconds=float("nan")), "seconds"),
        (lambda: Latency(seconds=float("inf")), "seconds"),
        (lambda: Latency(1, jitter=-1), "jitter"),
        (lambda: Latency(1, distribution="pareto"), "distribution"),  # type: ignore[arg-type]
        (lambda: Error(42), "exception"),
        (lambda: Error("ValueError"), "exception"),
        (lambda: HTTPStatus(status=99), "status"),
        (lambda: HTTPStatus(status=600), "status"),
        (lambda: HTTPStatus(429, retry_after=-1), "retry_after"),
        (lambda: HTTPStatus(500, body=["not", "bytes"]), "body"),  # type: ignore[arg-type]
        (lambda: Timeout(after=-1), "after"),
        (lambda: Hang(limit=0), "limit"),
        (lambda: Malformed(payload=3.5), "payload"),  # type: ignore[arg-type]
        (lambda: DropMidStream(after_bytes=-1), "after_bytes"),
        (lambda: DropMidStream(after_events=-2), "after_events"),
    ],
)
def test_bad_values_name_the_field(build: Any, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        build()


def test_positional_bad_values_are_refused_too() -> None:
    # Positional arguments are validated as well (pydantic reports their index).
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Latency(-0.1)
    with pytest.raises(ValueError, match="less than or equal to 599"):
        HTTPStatus(600)


def test_drop_mid_stream_needs_exactly_one_limit() -> None:
    with pytest.raises(ValueError, match="exactly one of after_bytes and after_events"):
        DropMidStream()
    with pytest.raises(ValueError, match="exactly one of after_bytes and after_events"):
        DropMidStream(after_bytes=1, after_events=1)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="delay"):
        Latency(seconds=1, delay=2)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "fault",
    [
        Latency(0.1),
        Error(ValueError),
        HTTPStatus(429, retry_after=1),
        Timeout(),
        Hang(),
        ConnectionRefused(),
        ConnectionReset(),
        Malformed(),
        DropMidStream(after_events=1),
    ],
)
def test_faults_are_frozen_and_know_their_kind(fault: Fault) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        fault.kind = "other"  # type: ignore[misc]
    assert fault.kind != Fault.kind
    assert isinstance(fault.describe(), str)


def test_latency_without_jitter_is_exact() -> None:
    assert Latency(0.25).sample(random.Random(0)) == 0.25


def test_uniform_jitter_stays_in_range() -> None:
    rng = random.Random(3)
    draws = [Latency(1.0, jitter=0.2).sample(rng) for _ in range(1000)]
    assert min(draws) >= 0.8
    assert max(draws) <= 1.2
    assert len(set(draws)) > 900


def test_normal_jitter_never_goes_negative() -> None:
    rng = random.Random(4)
    draws = [Latency(0.1, jitter=1.0, distribution="normal").sample(rng) for _ in range(1000)]
    assert min(draws) == 0.0
    assert max(draws) > 0.1


def test_exponential_draws_have_the_mean() -> None:
    rng = random.Random(5)
    draws = [Latency(2.0, distribution="exponential").sample(rng) for _ in range(5000)]
    assert 1.8 < statistics.fmean(draws) < 2.2
    assert Latency(0.0, distribution="exponential").sample(rng) == 0.0


def test_error_builds_fresh_exceptions() -> None:
    original = ConnectionError("down")
    built = Error(original).build()
    assert type(built) is ConnectionError
    assert built is not original
    assert str(built) == "down"
    assert str(Error(TimeoutError, message="slow").build()) == "slow"
    assert isinstance(Error(lambda: KeyError("k")).build(), KeyError)


def test_error_factory_must_return_an_exception() -> None:
    with pytest.raises(TypeError, match="returned 'nope'"):
        Error(lambda: "nope").build()


@pytest.mark.parametrize(
    ("fault", "text"),
    [
        (Latency(0.1, jitter=0.01), "latency 100ms ±10ms"),
        (Latency(0.5), "latency 500ms"),
        (Error(ValueError), "error ValueError"),
        (Error(ValueError("x")), "error ValueError"),
        (HTTPStatus(503), "http 503"),
        (HTTPStatus(429, retry_after=2), "http 429 (Retry-After 2)"),
        (Timeout(5), "timeout after 5s"),
        (Hang(), "hang"),
        (ConnectionRefused(), "connection_refused"),
        (DropMidStream(after_bytes=10), "drop after 10 bytes"),
        (DropMidStream(after_events=3), "drop after 3 events"),
    ],
)
def test_descriptions(fault: Fault, text: str) -> None:
    assert fault.describe() == text


def test_error_description_of_a_factory_uses_its_name() -> None:
    def make_refusal() -> BaseException:
        return ConnectionRefusedError()

    assert Error(make_refusal).describe() == "error make_refusal"


def test_defaults() -> None:
    assert HTTPStatus().status == 503
    assert Timeout().after == 30.0
    assert Malformed().payload == b'{"truncated": '
    assert Malformed().content_type == "application/json"
