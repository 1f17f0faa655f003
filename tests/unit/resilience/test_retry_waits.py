"""Retry waits and stop rules, as pure functions."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoslab.clock import VirtualClock
from chaoslab.errors import ConfigError, InjectedHTTPStatus
from chaoslab.resilience import (
    RetriesExhausted,
    Retry,
    RetryBudget,
    StopAfterAttempt,
    StopAfterDelay,
    StopNever,
    WaitConstant,
    WaitDecorrelatedJitter,
    WaitEqualJitter,
    WaitExponential,
    WaitFullJitter,
    WaitSum,
)


def test_exponential_is_capped_and_never_overflows() -> None:
    wait = WaitExponential(base=0.5, multiplier=2.0, max=4.0)
    rng = random.Random(0)
    assert [wait.compute(n, 0.0, rng) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert wait.compute(100_000, 0.0, rng) == 4.0


def test_waits_are_frozen_and_add_up() -> None:
    wait = WaitConstant(1.0) + WaitExponential(base=1.0) + WaitConstant(0.5)
    assert isinstance(wait, WaitSum)
    assert len(wait.parts) == 3
    assert wait.compute(2, 0.0, random.Random(0)) == 1.0 + 4.0 + 0.5
    with pytest.raises(AttributeError):
        WaitConstant(1.0).seconds = 2.0  # type: ignore[misc]


def test_jittered_waits_replay_with_the_same_seed() -> None:
    for wait in (WaitFullJitter(), WaitEqualJitter(), WaitDecorrelatedJitter()):
        first = [wait.compute(n, 0.2, random.Random(42)) for n in range(6)]
        again = [wait.compute(n, 0.2, random.Random(42)) for n in range(6)]
        assert first == again


@given(n=st.integers(0, 200), seed=st.integers(0, 2**32), previous=st.floats(0.0, 100.0))
def test_jitter_bounds(n: int, seed: int, previous: float) -> None:
    base, mult, cap = 0.1, 2.0, 10.0
    x = min(cap, base * mult**n) if n < 100 else cap
    full = WaitFullJitter(base, mult, cap).compute(n, previous, random.Random(seed))
    assert 0.0 <= full <= x
    equal = WaitEqualJitter(base, mult, cap).compute(n, previous, random.Random(seed))
    assert x / 2 <= equal <= x
    decorrelated = WaitDecorrelatedJitter(base, cap).compute(n, previous, random.Random(seed))
    upper = max(base, 3 * (previous if previous > 0 else base))
    assert base <= decorrelated <= min(cap, upper) or decorrelated == cap


def test_bad_waits_are_refused_with_the_field_named() -> None:
    with pytest.raises(ConfigError) as info:
        WaitExponential(base=-1.0, multiplier=0.5)
    assert {p for p, _ in info.value.problems} == {"base", "multiplier"}
    with pytest.raises(ConfigError):
        WaitConstant(-0.1)


def test_stop_rules_combine() -> None:
    attempts, delay = StopAfterAttempt(3), StopAfterDelay(5.0)
    assert attempts.check(2, 0.0) == (math.inf, "attempts")
    assert attempts.check(3, 0.0)[0] < 0
    assert delay.check(1, 4.0) == (1.0, "delay")
    assert delay.check(1, 5.0)[0] < 0
    either = attempts | delay
    assert either.check(1, 4.0) == (1.0, "delay")
    assert either.check(3, 0.0) == (-1.0, "attempts")
    both = attempts & delay
    assert both.check(3, 1.0) == (4.0, "delay")  # attempts are spent, the budget is not
    assert both.check(3, 5.0)[0] < 0
    assert StopNever().check(10**9, 1e9)[0] == math.inf


@settings(max_examples=100, deadline=None)
@given(
    budget=st.floats(0.0, 50.0),
    base=st.floats(0.0, 10.0),
    seed=st.integers(0, 2**32),
    retry_after=st.one_of(st.none(), st.floats(0.0, 20.0)),
)
def test_total_waiting_never_overshoots_the_delay_budget(
    budget: float, base: float, seed: int, retry_after: float | None
) -> None:
    clock = VirtualClock(autojump=True)
    retry = Retry(
        attempts=None,
        max_delay=budget,
        wait=WaitEqualJitter(base=base, max=30.0),
        rng=random.Random(seed),
        clock=clock,
    )

    def fail() -> None:
        raise InjectedHTTPStatus(503, retry_after=retry_after)

    with pytest.raises(RetriesExhausted) as info:
        retry.call(fail)
    assert clock.now() <= budget + 1e-9
    assert info.value.reason in ("delay", "retry_after")


@settings(max_examples=100, deadline=None)
@given(
    steps=st.lists(st.tuples(st.floats(0.0, 3.0), st.integers(0, 4)), max_size=60),
    percent=st.floats(0.0, 1.0),
    floor=st.floats(0.0, 2.0),
)
def test_retry_budget_bounds_retries_over_every_ttl(
    steps: list[tuple[float, int]], percent: float, floor: float
) -> None:
    clock = VirtualClock()
    budget = RetryBudget(
        ttl=10.0, min_retries_per_sec=floor, percent_can_retry=percent, clock=clock
    )
    calls: list[float] = []
    retries: list[float] = []
    for gap, wanted in steps:
        clock.advance(gap)
        budget.deposit()
        calls.append(clock.now())
        granted = sum(budget.try_withdraw() for _ in range(wanted))
        retries.extend([clock.now()] * granted)

    # Whatever the traffic, the retries in the budget's window never exceed what
    # the calls of that window paid for. The window is ten 1-second buckets: the
    # current one and the nine before it.
    def live(times: list[float], now: float) -> int:
        return sum(1 for x in times if x <= now and int(x) > int(now) - 10)

    for t in retries:
        assert live(retries, t) <= percent * live(calls, t) + floor * 10.0 + 1e-9
