"""Schedules as pure decisions on ticks, and their combinations."""

from __future__ import annotations

import random

import pytest

from chaoslab.faults import (
    AfterN,
    AllOf,
    Always,
    AnyOf,
    EveryNth,
    FirstN,
    Not,
    Probability,
    Ramp,
    Schedule,
    Tick,
    Window,
)


def calls(schedule: Schedule, n: int = 10, elapsed: float = 0.0, seed: int = 0) -> list[int]:
    """The call numbers (1..n) on which the schedule fires."""
    rng = random.Random(seed)
    return [c for c in range(1, n + 1) if schedule.fires(Tick(c, elapsed, rng))]


def test_always() -> None:
    assert calls(Always()) == list(range(1, 11))


def test_first_after_every() -> None:
    assert calls(FirstN(3)) == [1, 2, 3]
    assert calls(FirstN(0)) == []
    assert calls(AfterN(7)) == [8, 9, 10]
    assert calls(AfterN(0)) == list(range(1, 11))
    assert calls(EveryNth(3)) == [3, 6, 9]
    assert calls(EveryNth(1)) == list(range(1, 11))


def test_probability_extremes_and_rate() -> None:
    assert calls(Probability(0.0), 100) == []
    assert calls(Probability(1.0), 100) == list(range(1, 101))
    hits = len(calls(Probability(0.3), 10_000, seed=11))
    assert 2800 < hits < 3200


def test_probability_is_replayed_by_the_seed() -> None:
    assert calls(Probability(0.5), 200, seed=1) == calls(Probability(0.5), 200, seed=1)
    assert calls(Probability(0.5), 200, seed=1) != calls(Probability(0.5), 200, seed=2)


@pytest.mark.parametrize(
    ("elapsed", "fires"), [(0.0, False), (4.99, False), (5.0, True), (9.99, True), (10.0, False)]
)
def test_window_is_half_open(elapsed: float, fires: bool) -> None:
    assert Window(5, 10).fires(Tick(1, elapsed, random.Random(0))) is fires


def test_open_ended_window() -> None:
    assert Window(start=2).fires(Tick(1, 1e9, random.Random(0)))
    assert not Window(start=2).fires(Tick(1, 1.0, random.Random(0)))


def test_ramp_rate_is_linear_then_flat() -> None:
    ramp = Ramp(0.0, 1.0, over=10)
    assert [ramp.rate(t) for t in (-1, 0, 2.5, 5, 10, 60)] == [0.0, 0.0, 0.25, 0.5, 1.0, 1.0]
    down = Ramp(1.0, 0.2, over=4)
    assert down.rate(2) == pytest.approx(0.6)
    assert calls(Ramp(0, 1, over=10), 50, elapsed=0.0) == []
    assert calls(Ramp(0, 1, over=10), 50, elapsed=10.0) == list(range(1, 51))


def test_operators_build_combinations() -> None:
    both = FirstN(5) & EveryNth(2)
    either = FirstN(2) | EveryNth(5)
    neither = ~FirstN(8)
    assert isinstance(both, AllOf)
    assert isinstance(either, AnyOf)
    assert isinstance(neither, Not)
    assert calls(both) == [2, 4]
    assert calls(either) == [1, 2, 5, 10]
    assert calls(neither) == [9, 10]
    assert calls(~(FirstN(2) | AfterN(8))) == [3, 4, 5, 6, 7, 8]


def test_combinations_short_circuit_random_draws() -> None:
    # FirstN(0) is false, so the Probability part never draws: the rng is untouched.
    rng = random.Random(9)
    before = rng.getstate()
    assert not (FirstN(0) & Probability(0.5)).fires(Tick(1, 0.0, rng))
    assert rng.getstate() == before


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (Always(), "always"),
        (Probability(0.3), "p=0.3"),
        (FirstN(3), "first 3 calls"),
        (AfterN(2), "after 2 calls"),
        (EveryNth(4), "every 4th call"),
        (Window(5, 10), "window 5s..10s"),
        (Window(5), "window 5s.."),
        (Ramp(0, 1, over=60), "ramp 0→1 over 60s"),
        (FirstN(1) & Probability(0.5), "first 1 calls and p=0.5"),
        (FirstN(1) | AfterN(3), "first 1 calls or after 3 calls"),
        (~FirstN(2), "not (first 2 calls)"),
    ],
)
def test_descriptions(schedule: Schedule, text: str) -> None:
    assert schedule.describe() == text


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Probability(p=1.5), "p"),
        (lambda: Probability(p=-0.1), "p"),
        (lambda: FirstN(n=-1), "n"),
        (lambda: AfterN(n=-1), "n"),
        (lambda: EveryNth(n=0), "n"),
        (lambda: Window(start=-1), "start"),
        (lambda: Ramp(start=0, end=2, over=1), "end"),
        (lambda: Ramp(start=0, end=1, over=0), "over"),
    ],
)
def test_bad_values_name_the_field(build: object, field: str) -> None:
    with pytest.raises(ValueError, match=rf"(?m)^\w+\.{field}: "):
        build()  # type: ignore[operator]


def test_window_end_before_start() -> None:
    with pytest.raises(ValueError, match=r"end \(1.0\) must not be before start \(5.0\)"):
        Window(5, 1)


def test_base_schedule_is_abstract() -> None:
    with pytest.raises(NotImplementedError):
        Schedule().fires(Tick(1, 0.0, random.Random(0)))
