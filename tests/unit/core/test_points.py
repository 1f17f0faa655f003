"""Injection points: decorators on every kind of callable, blocks, generic faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.errors import (
    InjectedConnectionRefused,
    InjectedConnectionReset,
    InjectedFault,
    InjectedHTTPStatus,
    InjectedStreamDrop,
    InjectedTimeout,
)
from chaoslab.faults import (
    ConnectionRefused,
    ConnectionReset,
    DropMidStream,
    Error,
    Fault,
    FirstN,
    Hang,
    HTTPStatus,
    Latency,
    Malformed,
    Timeout,
)
from chaoslab.inject import (
    GENERIC_FAULTS,
    FaultInjector,
    InjectionPoint,
    apply_async,
    apply_sync,
    exception_for,
    injectable,
)
from chaoslab.observe import EventBus


def make() -> FaultInjector:
    return FaultInjector(seed=1, clock=VirtualClock(autojump=True), events=EventBus())


@injectable("unit.points.sync")
def get(key: str) -> str:
    """Fetch a value."""
    return f"value of {key}"


@injectable("unit.points.async")
async def fetch(key: str) -> str:
    return f"fetched {key}"


@injectable("unit.points.gen")
def numbers(n: int) -> Iterator[int]:
    yield from range(n)


@injectable("unit.points.agen")
async def chunks(n: int) -> AsyncIterator[bytes]:
    for i in range(n):
        yield f"chunk{i}".encode()


def test_without_an_injector_the_call_passes_through() -> None:
    assert get("k") == "value of k"
    assert asyncio.run(fetch("k")) == "fetched k"
    assert list(numbers(3)) == [0, 1, 2]


def test_wraps_keeps_the_name_and_docstring() -> None:
    assert get.__name__ == "get"
    assert get.__doc__ == "Fetch a value."


def test_sync_function_point() -> None:
    chaos = make()
    with chaos.activate():
        chaos.inject("unit.points.*", ConnectionRefused(), FirstN(1))
        with pytest.raises(ConnectionRefusedError):
            get("k")
        assert get("k") == "value of k"
    assert chaos.stats("unit.points.sync").calls == 2


def test_latency_waits_on_the_injectors_clock() -> None:
    chaos = make()
    with chaos.activate():
        chaos.inject("unit.points.sync", Latency(2.5))
        assert get("k") == "value of k"
    assert chaos.clock.now() == 2.5


def test_malformed_replaces_the_result_without_calling() -> None:
    called = []

    @injectable("unit.points.malformed")
    def real() -> bytes:
        called.append(True)
        return b'{"ok": true}'

    chaos = make()
    with chaos.activate(), chaos.inject("unit.points.malformed", Malformed(payload=b"{")):
        assert real() == b"{"
    assert called == []


async def test_async_function_point() -> None:
    chaos = make()
    with chaos.activate():
        chaos.inject("unit.points.async", Latency(1.0))
        chaos.inject("unit.points.async", Error(KeyError("missing")), FirstN(1))
        with pytest.raises(KeyError, match="missing"):
            await fetch("k")
        assert await fetch("k") == "fetched k"
    assert chaos.clock.now() == 2.0


async def test_async_hang_waits_until_cancelled() -> None:
    chaos = make()
    with chaos.activate(), chaos.inject("unit.points.async", Hang()):
        task = asyncio.create_task(fetch("k"))
        await chaos.clock.sleep_async(10_000)  # virtual time passes, the call still hangs
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_sync_hang_gives_up_after_its_limit() -> None:
    chaos = make()
    with (
        chaos.activate(),
        chaos.inject("unit.points.sync", Hang(limit=60)),
        pytest.raises(InjectedTimeout),
    ):
        get("k")
    assert chaos.clock.now() == 60.0


def test_generator_drops_after_n_items() -> None:
    chaos = make()
    got: list[int] = []
    with (
        chaos.activate(),
        chaos.inject("unit.points.gen", DropMidStream(after_events=2)),
        pytest.raises(InjectedStreamDrop) as info,
    ):
        got.extend(numbers(5))
    assert got == [0, 1]
    assert isinstance(info.value, ConnectionResetError)
    assert info.value.fault == DropMidStream(after_events=2)


async def test_async_generator_drops_after_n_bytes() -> None:
    chaos = make()
    got: list[bytes] = []

    async def consume() -> None:
        async for chunk in chunks(5):
            got.append(chunk)  # noqa: PERF401 - the chunks before the drop must be kept

    with (
        chaos.activate(),
        chaos.inject("unit.points.agen", DropMidStream(after_bytes=13)),
        pytest.raises(InjectedStreamDrop),
    ):
        await consume()
    assert got == [b"chunk0", b"chunk1"]  # a third chunk would pass 13 bytes


async def test_async_generator_errors_before_the_first_item() -> None:
    chaos = make()
    with (
        chaos.activate(),
        chaos.inject("unit.points.agen", ConnectionReset()),
        pytest.raises(ConnectionResetError),
    ):
        await anext(aiter(chunks(2)))


def test_generator_without_faults_streams_everything() -> None:
    chaos = make()
    with chaos.activate(), chaos.inject("unit.points.gen", Latency(1)):
        assert list(numbers(4)) == [0, 1, 2, 3]


def test_bound_point_uses_its_own_injector() -> None:
    mine, other = make(), make()
    point = mine.point("unit.points.bound")

    @point
    def call() -> int:
        return 1

    mine.inject("unit.points.bound", Error(ValueError))
    with other.activate(), pytest.raises(ValueError, match="injected fault"):
        call()
    assert mine.stats("unit.points.bound").calls == 1
    assert other.stats("unit.points.bound").calls == 0


def test_sync_block() -> None:
    chaos = make()
    point = InjectionPoint("unit.points.block")
    assert point.fire() == ()
    with chaos.activate():
        chaos.inject("unit.points.block", Timeout(after=3), FirstN(1))
        with pytest.raises(TimeoutError), point.block():
            pytest.fail("the block body must not run")
        with point.block():
            ran = True
    assert ran
    assert chaos.clock.now() == 3.0


async def test_async_block() -> None:
    chaos = make()
    point = chaos.point("unit.points.ablock")
    chaos.inject("unit.points.ablock", Latency(4))
    async with point.block():
        assert chaos.clock.now() == 4.0


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (ConnectionRefused(), InjectedConnectionRefused),
        (ConnectionReset(), InjectedConnectionReset),
        (HTTPStatus(429, retry_after=2), InjectedHTTPStatus),
        (Timeout(1), InjectedTimeout),
        (Hang(), InjectedTimeout),
    ],
)
def test_exception_for_generic_faults(fault: Fault, expected: type[BaseException]) -> None:
    exc = exception_for(fault)
    assert type(exc) is expected
    assert isinstance(exc, InjectedFault)
    assert exc.fault is fault


def test_http_status_at_a_generic_point() -> None:
    exc = exception_for(HTTPStatus(429, retry_after=2, body=b"x"))
    assert isinstance(exc, InjectedHTTPStatus)
    assert (exc.status, exc.retry_after, exc.body) == (429, 2, b"x")
    assert str(exc) == "injected HTTP 429 (Retry-After: 2)"


def test_faults_that_do_not_raise() -> None:
    assert exception_for(Latency(1)) is None
    assert exception_for(Malformed()) is None
    assert isinstance(exception_for(Error(OSError)), OSError)


def test_apply_sync_returns_the_outcome_for_the_caller() -> None:
    clock = VirtualClock(autojump=True)
    assert apply_sync([Latency(1), Malformed()], clock) == Malformed()
    assert apply_sync([], clock) is None
    assert clock.now() == 1.0
    with pytest.raises(InjectedTimeout):
        apply_sync([Timeout(2)], clock)
    assert clock.now() == 3.0


async def test_apply_async_matches_apply_sync() -> None:
    clock = VirtualClock(autojump=True)
    drop = DropMidStream(after_bytes=1)
    assert await apply_async([Latency(1), drop], clock) == drop
    with pytest.raises(InjectedConnectionRefused):
        await apply_async([ConnectionRefused()], clock)
    assert clock.now() == 1.0


def test_generic_points_support_every_fault_but_stream_drops() -> None:
    assert DropMidStream not in GENERIC_FAULTS
    assert {Latency, Error, HTTPStatus, Timeout, Hang, Malformed} <= GENERIC_FAULTS


def test_latency_is_waited_even_when_another_fault_raises() -> None:
    chaos = make()
    with chaos.activate():
        chaos.inject("unit.points.sync", HTTPStatus(503))  # fires first...
        chaos.inject("unit.points.sync", Latency(0.5))  # ...but the latency is still waited
        with pytest.raises(InjectedHTTPStatus):
            get("k")
    assert chaos.clock.now() == 0.5
    assert chaos.stats("unit.points.sync").faults == {"http_status": 1, "latency": 1}
