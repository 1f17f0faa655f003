"""Faults, schedules and targets from plain data: good data, bad data, fuzzed data."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoslab.errors import ConfigError
from chaoslab.faults import (
    AfterN,
    AllOf,
    Always,
    AnyOf,
    ConnectionRefused,
    ConnectionReset,
    DropMidStream,
    Error,
    EveryNth,
    Fault,
    FirstN,
    Hang,
    HTTPStatus,
    Latency,
    Malformed,
    Not,
    Probability,
    Ramp,
    Schedule,
    Target,
    Timeout,
    Window,
    fault_from_data,
    schedule_from_data,
    target_from_data,
)


@pytest.mark.parametrize(
    ("data", "fault"),
    [
        ({"type": "latency", "seconds": 0.1}, Latency(0.1)),
        (
            {"type": "latency", "seconds": 1, "jitter": 0.5, "distribution": "normal"},
            Latency(1, jitter=0.5, distribution="normal"),
        ),
        ({"type": "http_status", "status": 429, "retry_after": 2}, HTTPStatus(429, retry_after=2)),
        ({"type": "http_status", "body": "oops"}, HTTPStatus(503, body=b"oops")),
        ({"type": "timeout", "after": 5}, Timeout(5)),
        ({"type": "hang"}, Hang()),
        ({"type": "connection_refused"}, ConnectionRefused()),
        ({"type": "connection_reset"}, ConnectionReset()),
        ({"type": "malformed", "payload": "{"}, Malformed(payload=b"{")),
        ({"type": "drop_mid_stream", "after_events": 3}, DropMidStream(after_events=3)),
    ],
)
def test_faults_from_data(data: dict[str, Any], fault: Fault) -> None:
    assert fault_from_data(data) == fault


def test_error_fault_from_a_dotted_path() -> None:
    fault = fault_from_data({"type": "error", "exception": "builtins.ConnectionError"})
    assert isinstance(fault, Error)
    assert isinstance(fault.build(), ConnectionError)
    short = fault_from_data({"type": "error", "exception": "TimeoutError", "message": "m"})
    assert isinstance(short, Error)
    assert str(short.build()) == "m"


def test_fault_from_yaml_and_json() -> None:
    doc = yaml.safe_load("type: http_status\nstatus: 503\nretry_after: 1.5\n")
    assert fault_from_data(doc) == HTTPStatus(503, retry_after=1.5)
    assert fault_from_data(json.loads('{"type": "latency", "seconds": 2}')) == Latency(2)


def test_a_fault_passes_through() -> None:
    fault = Latency(1)
    assert fault_from_data(fault) is fault


def problems(data: Any, parse: Any = fault_from_data) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        parse(data)
    return list(info.value.problems)


def test_unknown_type_names_the_field_and_the_allowed_values() -> None:
    [(path, msg)] = problems({"type": "latencyy", "seconds": 1})
    assert path == "fault.type"
    assert "unknown fault type 'latencyy'" in msg
    assert "allowed: connection_refused, connection_reset, drop_mid_stream, error" in msg


def test_missing_type() -> None:
    [(path, _)] = problems({"seconds": 1})
    assert path == "fault.type"


def test_bad_fields_are_all_reported_with_their_path() -> None:
    found = problems({"type": "latency", "seconds": -1, "jitter": "lots", "distribution": "x"})
    assert [p for p, _ in found] == ["fault.seconds", "fault.jitter", "fault.distribution"]
    assert "'uniform', 'normal' or 'exponential'" in found[2][1]


def test_unknown_field_is_refused() -> None:
    [(path, msg)] = problems({"type": "hang", "forever": True})
    assert (path, msg) == ("fault.forever", "Unexpected keyword argument")


def test_custom_path_prefix() -> None:
    [(path, _)] = problems_at({"type": "timeout", "after": -3}, "method[2].fault")
    assert path == "method[2].fault.after"


def problems_at(data: Any, path: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        fault_from_data(data, path=path)
    return list(info.value.problems)


@pytest.mark.parametrize(
    ("exception", "message"),
    [
        ("no.such.module.Error", "cannot import exception 'no.such.module.Error'"),
        ("builtins.NoSuchError", "cannot import exception"),
        ("builtins.len", "'builtins.len' is not an exception class"),
        ("", "cannot import exception"),
    ],
)
def test_bad_exception_paths(exception: str, message: str) -> None:
    [(path, msg)] = problems({"type": "error", "exception": exception})
    assert path == "fault.exception"
    assert message in msg


def test_non_mapping_fault() -> None:
    [(path, msg)] = problems(["latency"])
    assert (path, msg) == ("fault", "must be a mapping with a 'type', got list")


@pytest.mark.parametrize(
    ("data", "schedule"),
    [
        (None, Always()),
        ("always", Always()),
        ({"always": True}, Always()),
        ({"probability": 0.3}, Probability(0.3)),
        ({"first": 3}, FirstN(3)),
        ({"after": 5}, AfterN(5)),
        ({"every": 2}, EveryNth(2)),
        ({"window": {"start": 5, "end": 10}}, Window(5, 10)),
        ({"ramp": {"start": 0, "end": 1, "over": 60}}, Ramp(0, 1, over=60)),
        ({"all": [{"first": 5}, {"every": 2}]}, AllOf((FirstN(5), EveryNth(2)))),
        ({"any": [{"first": 1}]}, AnyOf((FirstN(1),))),
        ({"not": {"first": 2}}, Not(FirstN(2))),
        ({"first": 10, "probability": 0.5}, AllOf((FirstN(10), Probability(0.5)))),
    ],
)
def test_schedules_from_data(data: Any, schedule: Schedule) -> None:
    assert schedule_from_data(data) == schedule


def test_a_schedule_passes_through() -> None:
    schedule = FirstN(1)
    assert schedule_from_data(schedule) is schedule


def test_unknown_schedule_names_the_allowed_ones() -> None:
    [(path, msg)] = problems({"sometimes": 1}, schedule_from_data)
    assert path == "schedule.sometimes"
    assert "allowed: always, probability, first, after, every, window, ramp, all, any, not" in msg


def test_schedule_problems_are_all_reported() -> None:
    found = problems(
        {"first": -1, "probability": 2, "all": [{"every": 0}, {"first": 1}]}, schedule_from_data
    )
    assert [p for p, _ in found] == [
        "schedule.first",
        "schedule.probability",
        "schedule.all[0].every",
    ]


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ("never", "schedule", "must be 'always' or a mapping"),
        ({}, "schedule", "must be 'always' or a mapping"),
        ({"window": 5}, "schedule.window", "must be a mapping"),
        ({"window": {"start": 10, "end": 5}}, "schedule.window", "must not be before start"),
        ({"ramp": {"start": 0, "end": 1}}, "schedule.ramp.over", "Field required"),
        ({"all": []}, "schedule.all", "must be a non-empty list of schedules"),
        ({"any": {"first": 1}}, "schedule.any", "must be a non-empty list of schedules"),
        ({"not": "never"}, "schedule.not", "must be 'always' or a mapping"),
    ],
)
def test_bad_schedules(data: Any, path: str, message: str) -> None:
    found = problems(data, schedule_from_data)
    assert found[0][0] == path
    assert message in found[0][1]


def test_targets_from_data() -> None:
    assert target_from_data("redis.*") == Target("redis.*")
    assert target_from_data(["a", "b.*"]) == Target("a", "b.*")
    target = Target("x")
    assert target_from_data(target) is target
    assert problems([], target_from_data) == [
        ("target", "must be a glob pattern or a non-empty list of them")
    ]
    assert problems(["a", 3], target_from_data) == [("target[1]", "must be a non-empty string")]
    assert problems("", target_from_data) == [("target[0]", "must be a non-empty string")]


# -- fuzzing: any JSON-like data gives a result or a ConfigError, nothing else ----

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FAULT_KEYS = st.sampled_from(
    [
        "type",
        "seconds",
        "jitter",
        "distribution",
        "exception",
        "message",
        "status",
        "retry_after",
        "body",
        "headers",
        "after",
        "limit",
        "payload",
        "content_type",
        "after_bytes",
        "after_events",
    ]
)
FAULT_TYPES = st.sampled_from(
    [
        "latency",
        "error",
        "http_status",
        "timeout",
        "hang",
        "connection_refused",
        "connection_reset",
        "malformed",
        "drop_mid_stream",
        "nope",
    ]
)
FAULT_DATA = st.one_of(
    JSON,
    st.fixed_dictionaries({"type": FAULT_TYPES | JSON}, optional={}).flatmap(
        lambda base: st.dictionaries(FAULT_KEYS, JSON, max_size=4).map(lambda d: {**d, **base})
    ),
)
SCHEDULE_KEYS = st.sampled_from(
    [
        "always",
        "probability",
        "first",
        "after",
        "every",
        "window",
        "ramp",
        "all",
        "any",
        "not",
        "start",
        "end",
        "over",
        "other",
    ]
)
SCHEDULE_DATA = st.recursive(
    JSON | st.just("always"),
    lambda children: (
        st.dictionaries(SCHEDULE_KEYS, children, max_size=3) | st.lists(children, max_size=3)
    ),
    max_leaves=10,
)


def _only_config_errors(parse: Any, data: Any) -> None:
    # Any other exception escapes and fails the test.
    found: tuple[tuple[str, str], ...] = ()
    try:
        parse(data)
    except ConfigError as exc:
        found = exc.problems or (("", ""),)
    assert all(isinstance(p, str) and isinstance(m, str) for p, m in found)


@settings(max_examples=300, deadline=None)
@given(FAULT_DATA)
def test_fuzzed_fault_data_only_raises_config_error(data: Any) -> None:
    _only_config_errors(fault_from_data, data)


@settings(max_examples=300, deadline=None)
@given(SCHEDULE_DATA)
def test_fuzzed_schedule_data_only_raises_config_error(data: Any) -> None:
    _only_config_errors(schedule_from_data, data)


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_fuzzed_target_data_only_raises_config_error(data: Any) -> None:
    _only_config_errors(target_from_data, data)
