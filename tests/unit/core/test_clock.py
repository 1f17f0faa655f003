"""SystemClock and VirtualClock: manual advance, sleepers, autojump."""

from __future__ import annotations

import asyncio
import threading

import pytest

from chaoslab.clock import Clock, SystemClock, VirtualClock


def _wait_until(predicate: object, what: str) -> None:
    """Poll a condition that another thread makes true (bounded, not a guess)."""
    done = threading.Event()
    for _ in range(5000):
        if predicate():  # type: ignore[operator]
            return
        done.wait(0.001)
    raise AssertionError(f"timed out waiting for {what}")


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(VirtualClock(), Clock)


def test_system_clock_is_monotonic_and_offset() -> None:
    clock = SystemClock()
    readings = [clock.now() for _ in range(100)]
    assert readings == sorted(readings)
    shifted = SystemClock(offset=1e6)
    assert shifted.now() - clock.now() > 1e6 - 1
    assert repr(shifted) == "SystemClock(offset=1000000.0)"


def test_system_clock_sleeps_for_real() -> None:
    clock = SystemClock()
    before = clock.now()
    clock.sleep(0.01)
    clock.sleep(-1)  # negative: no sleep, no error
    assert clock.now() - before >= 0.01


async def test_system_clock_sleeps_async() -> None:
    clock = SystemClock()
    before = clock.now()
    await clock.sleep_async(0.01)
    await clock.sleep_async(-5)
    assert clock.now() - before >= 0.01


def test_virtual_clock_moves_only_when_advanced() -> None:
    clock = VirtualClock(start=10.0)
    assert clock.now() == 10.0
    clock.advance(2.5)
    assert clock.now() == 12.5
    clock.advance_to(20.0)
    clock.advance_to(15.0)  # never backwards
    assert clock.now() == 20.0
    with pytest.raises(ValueError, match="cannot go backwards"):
        clock.advance(-1)
    assert clock.next_deadline() is None


def test_sync_sleeper_in_a_thread_is_woken_by_advance() -> None:
    clock = VirtualClock()
    woke_at: list[float] = []

    def sleep_then_note() -> None:
        clock.sleep(5.0)
        woke_at.append(clock.now())

    sleeper = threading.Thread(target=sleep_then_note)
    sleeper.start()
    # The sleeper is waiting on the clock's condition once it is registered there.
    _wait_until(lambda: len(clock._cond._waiters) == 1, "the sleeper to wait")  # type: ignore[attr-defined]
    clock.advance(4.9)
    sleeper.join(0.05)
    assert sleeper.is_alive()
    assert woke_at == []
    clock.advance(0.1)
    sleeper.join(5)
    assert not sleeper.is_alive()
    assert woke_at == [5.0]


def test_sync_sleep_zero_or_negative_returns_at_once() -> None:
    clock = VirtualClock()
    clock.sleep(0)
    clock.sleep(-3)
    assert clock.now() == 0.0


async def test_async_sleepers_wake_in_deadline_order() -> None:
    clock = VirtualClock()
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep_async(seconds)
        woke.append((name, clock.now()))

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in [("c", 3.0), ("a", 1.0), ("b", 2.0)]]
    for _ in range(3):
        await asyncio.sleep(0)  # let every task register its deadline
    assert clock.next_deadline() == 1.0
    clock.advance(1.5)
    await asyncio.sleep(0)
    assert woke == [("a", 1.5)]
    assert clock.next_deadline() == 2.0
    clock.advance(10)
    await asyncio.gather(*tasks)
    assert [name for name, _ in woke] == ["a", "b", "c"]
    assert clock.next_deadline() is None


async def test_cancelled_sleeper_is_forgotten() -> None:
    clock = VirtualClock()
    task = asyncio.create_task(clock.sleep_async(5))
    await asyncio.sleep(0)
    assert clock.next_deadline() == 5.0
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.next_deadline() is None


async def test_autojump_gather_ends_at_exact_virtual_times() -> None:
    clock = VirtualClock(autojump=True)
    ends: dict[str, float] = {}

    async def sleeper(name: str, *delays: float) -> None:
        for delay in delays:
            await clock.sleep_async(delay)
        ends[name] = clock.now()

    await asyncio.gather(sleeper("a", 30.0), sleeper("b", 1.0, 1.0), sleeper("c", 0.25, 100.0))
    assert ends == {"a": 30.0, "b": 2.0, "c": 100.25}
    assert clock.now() == 100.25


async def test_autojump_waits_while_tasks_are_ready() -> None:
    clock = VirtualClock(autojump=True)
    steps: list[float] = []

    async def busy() -> None:
        for _ in range(50):  # stays ready: time must not jump meanwhile
            steps.append(clock.now())
            await asyncio.sleep(0)

    await asyncio.gather(clock.sleep_async(10.0), busy())
    assert set(steps) == {0.0}
    assert clock.now() == 10.0


def test_autojump_sync_sleep_jumps_to_the_deadline() -> None:
    clock = VirtualClock(autojump=True)
    clock.sleep(3600)
    clock.sleep(0.5)
    assert clock.now() == 3600.5


def test_autojump_runs_under_asyncio_run() -> None:
    clock = VirtualClock(autojump=True)

    async def outage() -> float:
        await clock.sleep_async(30.0)
        return clock.now()

    assert asyncio.run(outage()) == 30.0


async def test_two_autojump_clocks_on_one_loop_both_jump() -> None:
    # Each clock used to run its own jumper task, and each kept the loop
    # looking busy to the other: neither ever jumped.
    first, second = VirtualClock(autojump=True), VirtualClock(autojump=True)

    async def nap(clock: VirtualClock, seconds: float) -> float:
        await clock.sleep_async(seconds)
        return clock.now()

    woke = await asyncio.wait_for(
        asyncio.gather(nap(first, 5), nap(second, 3), nap(first, 30), nap(second, 1)), 5
    )
    assert list(woke) == [5.0, 3.0, 30.0, 1.0]
