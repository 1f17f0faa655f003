"""Guard-rail and recovery conditions: what they mean, and what they refuse."""

from __future__ import annotations

import pytest

from chaoslab.experiment import parse_condition


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("error_rate > 0.05 for 5s", ("error_rate", ">", 0.05, 5.0, None)),
        ("error_rate>5%", ("error_rate", ">", 0.05, 0.0, None)),
        ("p99 > 5s", ("p99", ">", 5.0, 0.0, None)),
        ("p99 >= 500ms for 1m", ("p99", ">=", 0.5, 60.0, None)),
        ("max > 2", ("max", ">", 2.0, 0.0, None)),
        ("throughput < 50 for 10s on api", ("throughput", "<", 50.0, 10.0, "api")),
        ("requests <= 0 for 250ms", ("requests", "<=", 0.0, 0.25, None)),
    ],
)
def test_conditions_parse(text: str, expected: tuple[object, ...]) -> None:
    cond = parse_condition(text)
    metric, op, threshold, hold, load = expected
    assert (cond.metric, cond.op, cond.hold, cond.load) == (metric, op, hold, load)
    assert cond.threshold == pytest.approx(threshold)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p99 >> 5", "cannot read condition"),
        ("latency > 5s", "unknown metric 'latency'"),
        ("p99 > 5%", "'%' only applies to error_rate"),
        ("throughput > 5ms", "only applies to latency metrics"),
        ("error_rate > 5% for ever", "cannot read condition"),
        ("", "cannot read condition"),
    ],
)
def test_bad_conditions_say_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_condition(text)


def test_holds_and_margin() -> None:
    cond = parse_condition("p99 > 200ms")
    assert cond.holds(0.3)
    assert not cond.holds(0.2)
    assert not cond.holds(None)  # no data never trips a rail
    assert cond.margin(0.1) == pytest.approx(0.5)
    assert cond.margin(0.3) == pytest.approx(-0.5)
    low = parse_condition("throughput < 100")
    assert low.margin(150) == pytest.approx(0.5)
    assert str(parse_condition("error_rate > 5% for 5s on api")) == (
        "error_rate > 0.05 for 5s on api"
    )
