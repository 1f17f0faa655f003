"""Applying fired faults at a generic (non-HTTP, non-socket) call point.

Latency and timeouts wait on the clock; errors raise the injected exception
that a real failure would raise; `Malformed` and `DropMidStream` are handed
back to the caller, which alone knows how to spoil its result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence

from chaoslab.clock import Clock
from chaoslab.errors import (
    InjectedConnectionRefused,
    InjectedConnectionReset,
    InjectedFault,
    InjectedHTTPStatus,
    InjectedTimeout,
)
from chaoslab.faults import (
    ConnectionRefused,
    ConnectionReset,
    DropMidStream,
    Error,
    Fault,
    Hang,
    HTTPStatus,
    Latency,
    Malformed,
    Timeout,
)

__all__ = ["GENERIC_FAULTS", "apply_async", "apply_sync", "exception_for"]

#: The faults a plain function can suffer (streams add DropMidStream).
GENERIC_FAULTS: frozenset[type[Fault]] = frozenset(
    {Latency, Error, HTTPStatus, Timeout, Hang, ConnectionRefused, ConnectionReset, Malformed}
)

Outcome = Malformed | DropMidStream


def exception_for(fault: Fault) -> BaseException | None:
    """The exception a fault raises at a generic point, or None if it does not raise."""
    exc: BaseException
    if isinstance(fault, Error):
        exc = fault.build()
    elif isinstance(fault, ConnectionRefused):
        exc = InjectedConnectionRefused(111, "Connection refused (injected)")
    elif isinstance(fault, ConnectionReset):
        exc = InjectedConnectionReset(104, "Connection reset by peer (injected)")
    elif isinstance(fault, HTTPStatus):
        exc = InjectedHTTPStatus(fault.status, fault.retry_after, fault.body)
    elif isinstance(fault, Timeout | Hang):
        exc = InjectedTimeout(f"{fault.describe()} (injected)")
    else:
        return None
    if isinstance(exc, InjectedFault):
        exc.fault = fault
    return exc


def _wait_for(fault: Fault) -> float:
    if isinstance(fault, Latency):
        return fault.seconds
    if isinstance(fault, Timeout):
        return fault.after
    if isinstance(fault, Hang):
        return fault.limit
    return 0.0


def _steps(faults: Sequence[Fault]) -> Iterator[tuple[Fault, float, BaseException | None]]:
    """The pure plan both drivers follow: (fault, seconds to wait, exception to raise).

    Every fired latency is waited first, even when another fault then raises:
    a slow upstream that also fails is slow first (and the stats that count
    the latency stay true). The sort is stable: otherwise in firing order.
    """
    for fault in sorted(faults, key=lambda fault: not isinstance(fault, Latency)):
        yield fault, _wait_for(fault), exception_for(fault)


def apply_sync(faults: Sequence[Fault], clock: Clock) -> Outcome | None:
    """Apply `faults` in order in the calling thread.

    Sleeps for latency and timeouts, raises for errors; returns a `Malformed`
    or `DropMidStream` for the caller to apply to its result, else None.
    """
    outcome: Outcome | None = None
    for fault, delay, exc in _steps(faults):
        if delay > 0:
            clock.sleep(delay)
        if exc is not None:
            raise exc
        if isinstance(fault, Malformed | DropMidStream):
            outcome = fault
    return outcome


async def apply_async(faults: Sequence[Fault], clock: Clock) -> Outcome | None:
    """Apply `faults` in order in the calling task (see `apply_sync`).

    A `Hang` waits until the task is cancelled.
    """
    outcome: Outcome | None = None
    for fault, delay, exc in _steps(faults):
        if isinstance(fault, Hang):
            await asyncio.get_running_loop().create_future()  # never resolved: only cancellation
        if delay > 0:
            await clock.sleep_async(delay)
        if exc is not None:
            raise exc
        if isinstance(fault, Malformed | DropMidStream):
            outcome = fault
    return outcome
