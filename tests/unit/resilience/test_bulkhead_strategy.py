"""Bulkhead: slots, FIFO queue, queue timeout; threads and tasks; the pure machine."""

from __future__ import annotations

import asyncio
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaoslab.clock import VirtualClock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import Bulkhead, BulkheadFullError, BulkheadRejected, Strategy
from chaoslab.resilience._bulkhead import ADMITTED, QUEUED, REJECTED, BulkheadMachine

from ._threads import wait_until


def test_is_a_strategy_and_validates() -> None:
    assert isinstance(Bulkhead(), Strategy)
    with pytest.raises(ConfigError) as info:
        Bulkhead(max_concurrent=0, max_queued=-1)
    assert {p for p, _ in info.value.problems} == {"max_concurrent", "max_queued"}


def test_threads_queue_fifo_and_are_rejected_when_full() -> None:
    bulkhead = Bulkhead(max_concurrent=1, max_queued=3, clock=VirtualClock())
    release = threading.Event()
    order: list[str] = []
    errors: list[BaseException] = []

    def work(label: str) -> None:
        def run() -> None:
            release.wait(timeout=30)
            order.append(label)

        try:
            bulkhead.call(run)
        except BaseException as exc:
            errors.append(exc)

    threads = []
    for queued, label in enumerate("abcd"):
        thread = threading.Thread(target=work, args=(label,))
        thread.start()
        threads.append(thread)
        wait_until(lambda q=queued: bulkhead.in_flight == 1 and bulkhead.queued == q)  # type: ignore[misc]
    with pytest.raises(BulkheadFullError) as info:
        bulkhead.call(lambda: None)
    assert info.value.reason == "full"
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert order == ["a", "b", "c", "d"]  # the queue is served in arrival order
    assert (bulkhead.in_flight, bulkhead.queued) == (0, 0)


async def test_tasks_queue_fifo_and_time_out_on_the_clock() -> None:
    clock = VirtualClock(autojump=True)
    recorder = EventRecorder()
    bus = EventBus()
    bus.subscribe(recorder)
    bulkhead = Bulkhead(max_concurrent=1, max_queued=3, max_wait=5.0, clock=clock, events=bus)
    served: list[tuple[int, float]] = []

    async def job(i: int, seconds: float) -> None:
        async def work() -> None:
            await clock.sleep_async(seconds)
            served.append((i, clock.now()))

        await bulkhead.call_async(work)

    tasks = [asyncio.create_task(job(i, s)) for i, s in enumerate([2.0, 2.0, 2.0, 1.0])]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    # 0 runs 0-2, 1 runs 2-4, 2 runs 4-6; 3 has waited 5 s in the queue at t=5.
    assert served == [(0, 2.0), (1, 4.0), (2, 6.0)]
    assert isinstance(results[3], BulkheadFullError)
    assert results[3].reason == "queue_timeout"
    [rejected] = recorder.of_type(BulkheadRejected)
    assert (rejected.at, rejected.reason) == (5.0, "queue_timeout")
    assert (bulkhead.in_flight, bulkhead.queued) == (0, 0)


async def test_a_cancelled_waiter_leaves_the_queue() -> None:
    clock = VirtualClock()
    bulkhead = Bulkhead(max_concurrent=1, max_queued=1, clock=clock)
    release = asyncio.Event()

    async def hold() -> None:
        await release.wait()

    holder = asyncio.create_task(bulkhead.call_async(hold))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(bulkhead.call_async(hold))
    await asyncio.sleep(0)
    assert bulkhead.queued == 1
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert bulkhead.queued == 0
    release.set()
    await holder
    assert (bulkhead.in_flight, bulkhead.queued) == (0, 0)


def test_sync_queue_timeout_on_virtual_time() -> None:
    clock = VirtualClock()
    bulkhead = Bulkhead(max_concurrent=1, max_queued=1, max_wait=5.0, clock=clock)
    release = threading.Event()
    holder = threading.Thread(target=bulkhead.call, args=(lambda: release.wait(timeout=30),))
    holder.start()
    wait_until(lambda: bulkhead.in_flight == 1)

    def advance_once_queued() -> None:
        wait_until(lambda: bulkhead.queued == 1)
        clock.advance(5.0)

    helper = threading.Thread(target=advance_once_queued)
    helper.start()
    with pytest.raises(BulkheadFullError) as info:
        bulkhead.call(lambda: None)
    assert info.value.reason == "queue_timeout"
    helper.join(timeout=30)
    release.set()
    holder.join(timeout=30)
    assert (bulkhead.in_flight, bulkhead.queued) == (0, 0)


@given(
    ops=st.lists(st.sampled_from(["enter", "release", "withdraw"]), max_size=80),
    limit=st.integers(1, 4),
    queue=st.integers(0, 4),
)
def test_machine_invariants(ops: list[str], limit: int, queue: int) -> None:
    m: BulkheadMachine[int] = BulkheadMachine(limit, queue)
    waiting: list[int] = []  # our model of the queue
    running = 0
    granted: list[int] = []
    for i, op in enumerate(ops):
        if op == "enter":
            decision = m.enter(i)
            if decision == ADMITTED:
                running += 1
            elif decision == QUEUED:
                waiting.append(i)
            else:
                assert decision == REJECTED
                assert running == limit
                assert len(waiting) == queue
        elif op == "release" and running:
            handed = m.release()
            if waiting:
                assert handed == waiting.pop(0)  # FIFO hand-over
                granted.append(handed)
            else:
                assert handed is None
                running -= 1
        elif op == "withdraw" and waiting:
            assert m.withdraw(waiting[-1])
            waiting.pop()
        assert m.in_flight == running <= limit
        assert list(m.queue) == waiting
        assert len(waiting) <= queue
        # Nobody waits while a slot is free.
        assert not waiting or running == limit
