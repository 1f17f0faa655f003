"""Fallback queue: memory -> disk -> dead letter, ordered drains, failures, recovery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaoslab.clock import VirtualClock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    DeadLetter,
    FallbackQueue,
    QueueDeadLettered,
    QueueDrained,
    QueueSpilled,
)


def make(path: Path, **kwargs: Any) -> FallbackQueue:
    kwargs.setdefault("clock", VirtualClock())
    kwargs.setdefault("events", EventBus())
    return FallbackQueue(path, **kwargs)


def test_tiers_fill_in_order_and_drain_in_order(tmp_path: Path) -> None:
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    with make(tmp_path, memory_capacity=2, disk_capacity=3, events=bus) as q:
        tiers = [q.put({"n": n}) for n in range(6)]
        assert tiers == ["memory", "memory", "disk", "disk", "disk", "dead_letter"]
        assert (q.memory_size, q.disk_size, len(q)) == (2, 3, 5)
        assert [e.to for e in recorder.of_type(QueueSpilled)] == ["disk"] * 3 + ["dead_letter"]
        assert recorder.of_type(QueueDeadLettered)[0].reason == "overflow"
        sent: list[Any] = []
        result = q.drain(sent.append)
        assert sent == [{"n": n} for n in range(5)]
        assert (result.delivered, result.remaining, result.error) == (5, 0, None)
        assert q.dead_letters() == [DeadLetter(6, {"n": 5}, "overflow", 0, None)]
        assert recorder.of_type(QueueDrained)[-1].delivered == 5


def test_new_items_queue_behind_spilled_ones(tmp_path: Path) -> None:
    with make(tmp_path, memory_capacity=2, disk_capacity=10) as q:
        for n in range(4):
            q.put(n)
        sent: list[int] = []
        q.drain(sent.append, limit=1)
        assert (q.memory_size, q.disk_size) == (1, 2)
        assert q.put(4) == "disk"  # memory has room, but older items wait on disk
        q.drain(sent.append)
        assert sent == [0, 1, 2, 3, 4]
        assert q.put(5) == "memory"


def test_a_failing_handler_stops_the_drain_and_keeps_the_order(tmp_path: Path) -> None:
    with make(tmp_path, max_failures=3) as q:
        for n in range(3):
            q.put(n)
        down = ConnectionError("dependency still down")

        def handler(item: int) -> None:
            raise down

        result = q.drain(handler)
        assert (result.delivered, result.remaining, result.error) == (0, 3, down)
        sent: list[int] = []
        assert q.drain(sent.append).delivered == 3
        assert sent == [0, 1, 2]


def test_an_item_failing_n_times_is_dead_lettered_and_the_drain_goes_on(tmp_path: Path) -> None:
    with make(tmp_path, max_failures=2) as q:
        q.put("poison")
        q.put("good")
        sent: list[str] = []

        def handler(item: str) -> None:
            if item == "poison":
                raise ValueError("cannot process")
            sent.append(item)

        first = q.drain(handler)
        assert (first.delivered, first.dead_lettered, first.remaining) == (0, 0, 2)
        second = q.drain(handler)
        assert (second.delivered, second.dead_lettered, second.remaining) == (1, 1, 0)
        assert sent == ["good"]
        [letter] = q.dead_letters()
        assert (letter.item, letter.reason, letter.failures) == ("poison", "failures", 2)
        assert letter.error == "ValueError: cannot process"


async def test_async_put_and_drain(tmp_path: Path) -> None:
    with make(tmp_path, memory_capacity=1) as q:
        assert await q.put_async([1, 2]) == "memory"
        assert await q.put_async((3, 4)) == "disk"
        sent: list[Any] = []

        async def handler(item: Any) -> None:
            sent.append(item)

        result = await q.drain_async(handler)
        assert sent == [[1, 2], [3, 4]]  # what is delivered is the JSON round-trip
        assert result.remaining == 0


def test_items_must_be_json(tmp_path: Path) -> None:
    with make(tmp_path) as q:
        with pytest.raises(TypeError, match="JSON"):
            q.put({"when": object()})
        with pytest.raises(TypeError, match="JSON"):
            q.put(float("nan"))
        assert len(q) == 0


def test_the_caller_mutating_an_item_after_put_changes_nothing(tmp_path: Path) -> None:
    with make(tmp_path) as q:
        item = {"tags": ["a"]}
        q.put(item)
        item["tags"].append("b")
        sent: list[Any] = []
        q.drain(sent.append)
        assert sent == [{"tags": ["a"]}]


def test_reopening_recovers_every_pending_item_with_its_failures(tmp_path: Path) -> None:
    q = make(tmp_path, memory_capacity=2, max_failures=3)
    for n in range(5):
        q.put(n)
    q.drain(lambda item: None, limit=1)

    def failing(item: int) -> None:
        raise OSError("down")

    q.drain(failing)
    q.close()
    again = make(tmp_path, memory_capacity=2, max_failures=2)
    assert len(again) == 4
    failing_twice = again.drain(failing)
    assert failing_twice.dead_lettered == 1  # item 1 had failed once before the restart
    sent: list[int] = []
    again.drain(sent.append)
    assert sent == [2, 3, 4]
    assert again.put("next") == "memory"
    again.close()
    # sequence numbers keep growing across restarts (dead letters included)
    last = make(tmp_path)
    assert [d.seq for d in last.dead_letters()] == [2]
    last.close()


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    with make(tmp_path) as q:
        q.put("a")
        q.put("b")
    with (tmp_path / "queue.jsonl").open("ab") as journal:
        journal.write(b'{"put":3,"item":"tor')  # killed mid-write
    with make(tmp_path) as again:
        sent: list[str] = []
        again.drain(sent.append)
        assert sent == ["a", "b"]


def test_the_journal_is_emptied_once_everything_is_delivered(tmp_path: Path) -> None:
    with make(tmp_path) as q:
        q.put("a")
        q.drain(lambda item: None)
        assert (tmp_path / "queue.jsonl").stat().st_size == 0
        q.put("b")
        lines = (tmp_path / "queue.jsonl").read_bytes().splitlines()
        assert [json.loads(line) for line in lines] == [{"put": 2, "item": "b"}]


def test_one_queue_per_directory(tmp_path: Path) -> None:
    with make(tmp_path), pytest.raises(ConfigError, match="another FallbackQueue"):
        make(tmp_path)


def test_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        FallbackQueue(tmp_path, memory_capacity=0, disk_capacity=-1, max_failures=0)
    assert len(caught.value.problems) == 3


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    memory=st.integers(1, 4),
    disk=st.integers(0, 6),
    ops=st.lists(st.one_of(st.just("put"), st.integers(1, 4), st.just("restart")), max_size=40),
)
def test_order_is_fifo_and_nothing_is_lost(
    tmp_path_factory: pytest.TempPathFactory, memory: int, disk: int, ops: list[object]
) -> None:
    """Every item put is delivered exactly once, in put order, or dead-lettered as overflow."""
    directory = tmp_path_factory.mktemp("queue")
    q = make(directory, memory_capacity=memory, disk_capacity=disk, fsync=False)
    put = delivered = 0
    out: list[int] = []
    try:
        for op in ops:
            if op == "put":
                q.put(put)
                put += 1
            elif op == "restart":
                q.close()
                q = make(directory, memory_capacity=memory, disk_capacity=disk, fsync=False)
            else:
                assert isinstance(op, int)
                delivered += q.drain(out.append, limit=op).delivered
            assert len(q) <= memory + disk or op == "restart"
        q.drain(out.append)
        overflow = [d.item for d in q.dead_letters()]
    finally:
        q.close()
    assert sorted(out + overflow) == list(range(put))
    assert out == sorted(out)


async def test_run_drains_on_the_clock_once_the_dependency_is_back(tmp_path: Path) -> None:
    clock = VirtualClock(autojump=True)
    back_at = 25.0
    sent: list[tuple[float, int]] = []

    async def deliver(item: int) -> None:
        if clock.now() < back_at:
            raise ConnectionError("still down")
        sent.append((clock.now(), item))

    with make(tmp_path, clock=clock, max_failures=100) as q:
        for n in range(3):
            q.put(n)
        await q.run(deliver, interval=10.0, rounds=4)  # tries at 0, 10, 20, 30
        assert sent == [(30.0, 0), (30.0, 1), (30.0, 2)]
        assert len(q) == 0
        with pytest.raises(ConfigError):
            await q.run(deliver, interval=0.0)


async def test_one_drain_at_a_time_sync_or_async(tmp_path: Path) -> None:
    with make(tmp_path) as q:
        q.put(1)
        refused: list[str] = []

        async def nested(item: Any) -> None:
            with pytest.raises(RuntimeError, match="another drain is running") as sync_info:
                q.drain(print)
            with pytest.raises(RuntimeError, match="another drain is running") as async_info:
                await q.drain_async(nested)
            refused.extend([str(sync_info.value), str(async_info.value)])

        result = await q.drain_async(nested)
        assert (result.delivered, len(refused)) == (1, 2)
        q.put(2)
        assert q.drain(lambda item: None).delivered == 1  # the lock was released
