"""Rate profiles: when request i is due."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaoslab.errors import ConfigError
from chaoslab.load import ConstantRate, RampRate


def test_constant_rate_spaces_requests_evenly() -> None:
    rate = ConstantRate(200)
    assert [rate.time_of(i) for i in range(4)] == [0.0, 0.005, 0.01, 0.015]
    assert rate.rate_at(123.0) == 200


def test_ramp_up_sends_the_integral_of_the_rate() -> None:
    ramp = RampRate(start=10, end=30, over=10)
    # (10 + 30) / 2 * 10 = 200 requests during the ramp, then 30/s.
    assert ramp.time_of(200) == pytest.approx(10.0)
    assert ramp.time_of(230) == pytest.approx(11.0)
    # After t seconds of the ramp, 10 t + t^2 requests were due.
    assert ramp.time_of(10 * 5 + 25) == pytest.approx(5.0)
    assert ramp.rate_at(5.0) == 20.0
    assert ramp.rate_at(50.0) == 30.0


def test_ramp_from_zero_and_ramp_down() -> None:
    up = RampRate(start=0, end=100, over=2)
    assert up.time_of(0) == 0.0
    assert up.time_of(25) == pytest.approx(1.0)  # 25 t^2 = 25
    down = RampRate(start=100, end=20, over=4)
    # 100 t - 10 t^2 at t = 2: 160
    assert down.time_of(160) == pytest.approx(2.0)
    assert down.time_of(240) == pytest.approx(4.0)
    assert down.time_of(260) == pytest.approx(5.0)


@given(
    start=st.floats(0, 1000),
    end=st.floats(0.1, 1000),
    over=st.floats(0.1, 100),
    i=st.integers(0, 10_000),
)
def test_ramp_times_never_go_backwards(start: float, end: float, over: float, i: int) -> None:
    ramp = RampRate(start=start, end=end, over=over)
    t0, t1 = ramp.time_of(i), ramp.time_of(i + 1)
    assert math.isfinite(t1)
    assert t1 >= t0 - 1e-9


def test_bad_rates_are_refused_with_every_problem() -> None:
    with pytest.raises(ConfigError, match="rate: must be a finite number > 0"):
        ConstantRate(0)
    with pytest.raises(ConfigError) as info:
        RampRate(start=-1, end=0, over=0)
    assert [path for path, _ in info.value.problems] == ["start", "end", "over"]
