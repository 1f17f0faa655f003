"""Guard-rail and recovery conditions: what they mean, and what they refuse."""

from __future__ import annotations

from typing import Any

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


def test_merge_and_combine_add_counts_and_keep_the_worst_percentile() -> None:
    from chaoslab.experiment._context import combine, merge

    def piece(requests: int, errors: int, p99: float | None) -> dict[str, Any]:
        peaks = dict.fromkeys(("p50", "p90", "p95", "max"), None)
        return {"t": 0.0, "requests": requests, "errors": errors, "throughput": 0.0} | {
            "error_rate": 0.0,
            "p99": p99,
            **peaks,
        }

    a = merge([piece(10, 1, 0.2), piece(30, 1, None)], 2.0)  # type: ignore[list-item]
    assert (a.requests, a.errors, a.throughput, a.error_rate) == (40, 2, 20.0, 0.05)
    assert (a.p99, a.p50) == (0.2, None)
    b = merge([piece(0, 0, None)], 0.0)  # type: ignore[list-item]
    assert (b.throughput, b.error_rate, b.p99) == (0.0, 0.0, None)
    both = combine([a, b, merge([piece(10, 8, 0.5)], 1.0)], 2.0)  # type: ignore[list-item]
    assert (both.requests, both.errors, both.throughput, both.p99) == (50, 10, 30.0, 0.5)
    assert both.error_rate == 0.2
