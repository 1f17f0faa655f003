"""The event bus: hooks in order, a failing hook isolated, defaults restored, JSON logs."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import pytest

from chaoslab.observe import Event, EventBus, EventRecorder, JsonLogHook, default_bus, use_bus


@dataclass(frozen=True, slots=True, kw_only=True)
class Pinged(Event):
    kind = "test.pinged"
    count: int
    tags: tuple[str, ...] = ()


def test_hooks_receive_events_in_subscription_order_until_unsubscribed() -> None:
    bus, seen = EventBus(), []
    first = bus.subscribe(lambda e: seen.append(("first", e.at)))
    bus.subscribe(lambda e: seen.append(("second", e.at)))
    bus.emit(Pinged(at=1.0, source="t", count=1))
    first()
    bus.emit(Pinged(at=2.0, source="t", count=2))
    assert seen == [("first", 1.0), ("second", 1.0), ("second", 2.0)]


def test_a_failing_hook_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus, recorder = EventBus(), EventRecorder()

    def broken(event: Event) -> None:
        raise RuntimeError("hook bug")

    bus.subscribe(broken)
    bus.subscribe(recorder)
    with caplog.at_level(logging.WARNING, logger="chaoslab.events"):
        bus.emit(Pinged(at=0.5, source="t", count=1))
    assert len(recorder.events) == 1
    assert "event hook" in caplog.text
    assert "hook bug" in caplog.text


def test_subscribed_block_and_active_flag() -> None:
    bus = EventBus()
    states = [bus.active]
    with bus.subscribed(EventRecorder()):
        states.append(bus.active)
    states.append(bus.active)
    assert states == [False, True, False]


def test_use_bus_swaps_the_default_and_restores_it_on_error() -> None:
    before, mine = default_bus(), EventBus()
    seen: list[EventBus] = []

    def fails_inside() -> None:
        with use_bus(mine):
            seen.append(default_bus())
            raise KeyError("boom")

    with pytest.raises(KeyError):
        fails_inside()
    assert seen == [mine]
    assert default_bus() is before


def test_recorder_filters_by_type_and_kind_prefix_and_clears() -> None:
    recorder = EventRecorder()
    recorder(Pinged(at=1.0, source="a", count=1))
    recorder(Event(at=2.0, source="b"))
    assert [e.count for e in recorder.of_type(Pinged)] == [1]
    assert [e.source for e in recorder.of_kind("test.")] == ["a"]
    recorder.clear()
    assert recorder.events == []


def test_to_dict_flattens_fields_to_plain_data() -> None:
    data = Pinged(at=1.5, source="s", count=3, tags=("x", "y")).to_dict()
    assert data == {"kind": "test.pinged", "at": 1.5, "source": "s", "count": 3, "tags": ["x", "y"]}


def test_json_log_hook_writes_one_parseable_line_per_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.chaoslab.json")
    with caplog.at_level(logging.INFO, logger=logger.name):
        JsonLogHook(logger)(Pinged(at=2.0, source="s", count=7))
    (record,) = caplog.records
    assert json.loads(record.getMessage())["count"] == 7
