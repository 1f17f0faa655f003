"""The pure breaker machine and its windows, driven directly (no clock, no lock)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoslab.errors import ConfigError
from chaoslab.resilience._breaker_state import BreakerMachine, BreakerSnapshot, CircuitState
from chaoslab.resilience._windows import CountWindow, TimeWindow

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


def fail(m: BreakerMachine, t: float, duration: float = 0.0) -> int:
    token = m.acquire(t)
    m.on_failure(token, t, duration)
    return token


def succeed(m: BreakerMachine, t: float, duration: float = 0.0) -> int:
    token = m.acquire(t)
    m.on_success(token, t, duration)
    return token


def test_opens_after_five_consecutive_failures_and_half_opens_at_exactly_30s() -> None:
    m = BreakerMachine()
    for t in range(4):
        fail(m, float(t))
    assert m.state is CLOSED
    fail(m, 4.0)
    assert m.state is OPEN
    assert m.acquire(33.999) == -1
    assert m.remaining(33.999) == pytest.approx(0.001)
    assert m.acquire(34.0) >= 0
    assert m.state is HALF_OPEN
    assert m.take_pending() == [
        (CLOSED, OPEN, "failures", 4.0),
        (OPEN, HALF_OPEN, "timer", 34.0),
    ]


def test_a_success_resets_the_consecutive_count() -> None:
    m = BreakerMachine(failure_threshold=3)
    fail(m, 0.0)
    fail(m, 1.0)
    succeed(m, 2.0)
    fail(m, 3.0)
    fail(m, 4.0)
    assert m.state is CLOSED
    assert m.consecutive == 2


def test_half_open_grants_exactly_n_permits_and_closes_after_the_success_threshold() -> None:
    m = BreakerMachine(
        failure_threshold=1, open_duration=10.0, half_open_calls=3, success_threshold=2
    )
    fail(m, 0.0)
    tokens = [m.acquire(10.0) for _ in range(5)]
    assert [t >= 0 for t in tokens] == [True, True, True, False, False]
    m.on_success(tokens[0], 10.5, 0.5)
    assert m.state is HALF_OPEN
    m.on_success(tokens[1], 10.6, 0.6)
    assert m.state is CLOSED
    # The third probe reports after the close: a late outcome changes nothing.
    m.on_failure(tokens[2], 10.7, 0.7)
    assert m.state is CLOSED
    assert m.consecutive == 0


def test_a_failed_probe_reopens_for_a_full_period() -> None:
    m = BreakerMachine(failure_threshold=1, open_duration=10.0)
    fail(m, 0.0)
    token = m.acquire(10.0)
    m.on_failure(token, 12.0, 2.0)
    assert m.state is OPEN
    assert m.remaining(12.0) == 10.0
    assert m.acquire(21.9) == -1
    assert m.acquire(22.0) >= 0


def test_ignored_outcomes_give_the_half_open_permit_back() -> None:
    m = BreakerMachine(failure_threshold=1, open_duration=1.0, half_open_calls=1)
    fail(m, 0.0)
    token = m.acquire(1.0)
    assert m.acquire(1.0) == -1
    m.on_ignored(token)
    assert m.acquire(1.0) >= 0


def test_late_outcomes_from_before_the_trip_do_not_extend_the_open_period() -> None:
    m = BreakerMachine(failure_threshold=2, open_duration=10.0)
    early = m.acquire(0.0)
    fail(m, 1.0)
    fail(m, 2.0)
    assert m.state is OPEN
    m.on_failure(early, 5.0, 5.0)  # began while closed, ends while open
    assert m.open_until == 12.0


def test_failure_rate_over_a_count_window_needs_the_minimum_number_of_calls() -> None:
    m = BreakerMachine(
        failure_threshold=None,
        failure_rate_threshold=0.5,
        window=CountWindow(10),
        minimum_calls=4,
    )
    fail(m, 0.0)
    fail(m, 1.0)
    succeed(m, 2.0)
    assert m.state is CLOSED  # 2 of 3 failed, but fewer than 4 calls seen
    succeed(m, 3.0)
    assert m.state is OPEN  # 2 of 4 = 50 %
    assert m.take_pending() == [(CLOSED, OPEN, "failure_rate", 3.0)]


def test_failure_rate_over_a_time_window_forgets_old_failures() -> None:
    m = BreakerMachine(
        failure_threshold=None,
        failure_rate_threshold=0.5,
        window=TimeWindow(10.0, buckets=10),
        minimum_calls=2,
    )
    fail(m, 0.0)
    for t in (20.0, 21.0, 22.0):
        succeed(m, t)
    fail(m, 23.0)  # the failure at 0.0 has expired: 1 of 4
    assert m.state is CLOSED
    fail(m, 24.0)  # 2 of 5
    assert m.state is CLOSED
    fail(m, 25.0)  # 3 of 6
    assert m.state is OPEN


def test_slow_call_rate_opens_even_when_every_call_succeeds() -> None:
    m = BreakerMachine(
        failure_threshold=None,
        slow_call_duration=2.0,
        slow_call_rate_threshold=0.5,
        window=CountWindow(4),
        minimum_calls=4,
    )
    succeed(m, 1.0, 0.1)
    succeed(m, 2.0, 0.1)
    succeed(m, 3.0, 2.5)
    succeed(m, 4.0, 3.0)
    assert m.state is OPEN
    assert m.take_pending() == [(CLOSED, OPEN, "slow_call_rate", 4.0)]


def test_a_slow_probe_counts_against_recovery() -> None:
    m = BreakerMachine(
        failure_threshold=1, open_duration=1.0, slow_call_duration=2.0, window=CountWindow(4)
    )
    fail(m, 0.0)
    token = m.acquire(1.0)
    m.on_success(token, 4.0, 3.0)
    assert m.state is OPEN


def test_half_open_max_duration_reopens_when_probes_never_report() -> None:
    m = BreakerMachine(failure_threshold=1, open_duration=10.0, half_open_max_duration=5.0)
    fail(m, 0.0)
    assert m.acquire(10.0) >= 0  # a probe that will hang
    assert m.acquire(14.0) == -1
    assert m.acquire(15.0) == -1
    assert m.state is OPEN
    assert m.open_until == 25.0
    assert m.acquire(25.0) >= 0


def test_manual_states() -> None:
    m = BreakerMachine(failure_threshold=1)
    m.transition(CircuitState.FORCED_OPEN, 0.0)
    assert m.acquire(1e9) == -1
    assert m.remaining(0.0) is None
    m.transition(CircuitState.DISABLED, 1.0)
    fail(m, 2.0)
    assert m.state is CircuitState.DISABLED
    m.transition(CLOSED, 3.0)
    fail(m, 4.0)
    assert m.state is OPEN


def test_snapshot_round_trip_keeps_the_time_left_in_the_open_period() -> None:
    m = BreakerMachine(failure_threshold=1, open_duration=30.0)
    fail(m, 100.0)
    snapshot = m.snapshot(110.0)
    assert snapshot == BreakerSnapshot(OPEN, 1, 20.0)
    other = BreakerMachine(failure_threshold=1, open_duration=30.0)
    other.restore(snapshot, 5.0)  # another process, another clock origin
    assert other.acquire(24.9) == -1
    assert other.acquire(25.0) >= 0


def test_bad_configuration_lists_every_problem() -> None:
    with pytest.raises(ConfigError) as info:
        BreakerMachine(failure_threshold=0, half_open_calls=0, failure_rate_threshold=2.0)
    paths = {path for path, _ in info.value.problems}
    assert {"failure_threshold", "half_open_calls", "failure_rate_threshold", "window"} <= paths


# -- properties ------------------------------------------------------------

outcomes = st.sampled_from(["success", "failure", "ignored", "slow"])
steps = st.lists(
    st.tuples(st.floats(0.0, 20.0), st.integers(0, 3), outcomes),
    min_size=1,
    max_size=120,
)


def start_call(
    m: BreakerMachine, now: float, in_flight: list[int], probes: dict[int, int], permits: int
) -> None:
    token = m.acquire(now)
    if token >= 0:
        in_flight.append(token)
        if m.state is HALF_OPEN:
            probes[token] = probes.get(token, 0) + 1
            # Exactness: never more probes at once in a half-open period than permitted.
            assert probes[token] <= permits
        return
    assert m.state in (OPEN, HALF_OPEN)
    if m.state is OPEN:
        remaining = m.remaining(now)
        assert remaining is not None
        assert 0.0 < remaining <= 10.0
    else:
        assert m.granted == permits


def finish_call(m: BreakerMachine, token: int, now: float, outcome: str) -> None:
    if outcome == "success":
        m.on_success(token, now, 0.0)
    elif outcome == "slow":
        m.on_success(token, now, 6.0)
    elif outcome == "failure":
        m.on_failure(token, now, 0.0)
    else:
        m.on_ignored(token)


def check_state(m: BreakerMachine, threshold: int, permits: int, rate: float | None) -> None:
    assert m.state in (CLOSED, OPEN, HALF_OPEN)
    if m.state is CLOSED:
        assert m.consecutive < threshold
        window = m.window
        assert window is not None
        assert 0 <= window.failures <= window.calls <= 8
        if rate is not None and window.calls >= 3:
            assert window.failures < rate * window.calls
    if m.state is HALF_OPEN:
        assert 0 <= m.granted <= permits
        assert m.successes < m.success_threshold


@settings(max_examples=200, deadline=None)
@given(
    steps=steps,
    threshold=st.integers(1, 6),
    permits=st.integers(1, 4),
    rate=st.one_of(st.none(), st.floats(0.1, 1.0)),
)
def test_breaker_invariants_under_random_call_sequences(
    steps: list[tuple[float, int, str]], threshold: int, permits: int, rate: float | None
) -> None:
    m = BreakerMachine(
        failure_threshold=threshold,
        open_duration=10.0,
        failure_rate_threshold=rate,
        slow_call_duration=5.0,
        window=CountWindow(8),
        minimum_calls=3,
        half_open_calls=permits,
        success_threshold=max(1, permits - 1),
    )
    now = 0.0
    in_flight: list[int] = []
    probes: dict[int, int] = {}  # probes in flight per half-open generation
    for dt, start, outcome in steps:
        now += dt
        for _ in range(start):
            start_call(m, now, in_flight, probes, permits)
        if start:
            # Admission polls the clock: an open period that has ended never reads OPEN.
            assert not (m.state is OPEN and now >= m.open_until)
        if in_flight:
            token = in_flight.pop(0)
            if token in probes:
                probes[token] -= 1
            finish_call(m, token, now, outcome)
        check_state(m, threshold, permits, rate)
    # Every recorded transition is a legal edge, in time order.
    legal = {
        (CLOSED, OPEN),
        (OPEN, HALF_OPEN),
        (HALF_OPEN, OPEN),
        (HALF_OPEN, CLOSED),
    }
    pending = m.take_pending() or []
    assert all((old, new) in legal for old, new, _, _ in pending)
    times = [at for _, _, _, at in pending]
    assert times == sorted(times)


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(1, 10),
    records=st.lists(st.tuples(st.booleans(), st.booleans()), max_size=60),
)
def test_count_window_totals_match_the_last_n_outcomes(
    size: int, records: list[tuple[bool, bool]]
) -> None:
    window = CountWindow(size)
    for i, (failed, slow) in enumerate(records):
        window.record(float(i), failed, slow)
        last = records[max(0, i + 1 - size) : i + 1]
        assert window.calls == len(last)
        assert window.failures == sum(f for f, _ in last)
        assert window.slow == sum(s for _, s in last)
    window.reset()
    assert (window.calls, window.failures, window.slow) == (0, 0, 0)


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.tuples(st.floats(0.0, 4.0), st.booleans()), max_size=60),
    buckets=st.integers(1, 8),
)
def test_time_window_totals_match_the_live_buckets(
    gaps: list[tuple[float, bool]], buckets: int
) -> None:
    window = TimeWindow(8.0, buckets=buckets)
    width = 8.0 / buckets
    now = 0.0
    history: list[tuple[float, bool]] = []
    for gap, failed in gaps:
        now += gap
        window.record(now, failed, False)
        history.append((now, failed))
        current = int(now // width)
        live = [f for t, f in history if int(t // width) > current - buckets]
        assert window.calls == len(live)
        assert window.failures == sum(live)
