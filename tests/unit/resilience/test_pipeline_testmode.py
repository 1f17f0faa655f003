"""Test mode removes retry waits for a block and restores; the public API is exported."""

from __future__ import annotations

import contextlib
import importlib
import random
import threading
from collections.abc import Callable

from chaoslab.clock import VirtualClock
from chaoslab.resilience import (
    Retry,
    TestMode,
    WaitConstant,
    current_test_mode,
    set_test_mode,
    testing,
)


def flaky(failures: int) -> Callable[[], str]:
    left = [failures]

    def call() -> str:
        if left[0]:
            left[0] -= 1
            raise ConnectionError("transient")
        return "ok"

    return call


def test_retry_waits_are_zero_inside_testing_and_restored_after() -> None:
    clock = VirtualClock(autojump=True)
    retry = Retry(attempts=4, wait=WaitConstant(10.0), rng=random.Random(1), clock=clock)
    with testing(no_wait=True) as mode:
        assert mode == TestMode(no_wait=True)
        assert retry.call(flaky(3)) == "ok"
        assert clock.now() == 0.0  # three retries, no waiting
    assert current_test_mode() == TestMode(no_wait=False)
    assert retry.call(flaky(3)) == "ok"
    assert clock.now() == 30.0


async def test_async_retry_waits_are_zero_too() -> None:
    clock = VirtualClock(autojump=True)
    retry = Retry(attempts=3, wait=WaitConstant(5.0), clock=clock)
    calls = flaky(2)

    async def acall() -> str:
        return calls()

    with testing():
        assert await retry.call_async(acall) == "ok"
    assert clock.now() == 0.0


def test_nesting_and_exceptions_restore_the_outer_setting() -> None:
    def inner() -> None:
        with testing(no_wait=False):
            assert not current_test_mode().no_wait
            raise RuntimeError

    with testing(no_wait=True):
        with contextlib.suppress(RuntimeError):
            inner()
        assert current_test_mode().no_wait
    assert not current_test_mode().no_wait


def test_set_test_mode_returns_the_previous_settings() -> None:
    previous = set_test_mode(no_wait=True)
    try:
        assert previous == TestMode(no_wait=False)
        seen: list[bool] = []
        thread = threading.Thread(target=lambda: seen.append(current_test_mode().no_wait))
        thread.start()
        thread.join()
        assert seen == [True]  # process-wide, not per thread
    finally:
        set_test_mode(no_wait=previous.no_wait)


def test_testing_is_not_collected_as_a_test() -> None:
    assert testing.__test__ is False  # type: ignore[attr-defined]


def test_resilience_all_is_sorted_unique_and_resolves() -> None:
    module = importlib.import_module("chaoslab.resilience")
    names = module.__all__
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    assert [n for n in names if not hasattr(module, n)] == []
