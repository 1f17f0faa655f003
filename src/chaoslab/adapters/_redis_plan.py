"""The redis-py seam's decisions: point names, injected errors, what each fault does.

Pure functions of the fired faults, shared by the sync and asyncio classes
in `chaoslab.adapters._redis`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError
from redis.exceptions import TimeoutError as RedisTimeoutError

from chaoslab.errors import InjectedFault
from chaoslab.faults import ConnectionRefused, ConnectionReset, Error, Fault, Hang, Latency, Timeout
from chaoslab.inject import FaultInjector, current_injector, declare_family

__all__ = [
    "REDIS_FAULTS",
    "REDIS_POOL_POINT",
    "InjectedRedisConnectionError",
    "InjectedRedisMaxConnectionsError",
    "InjectedRedisTimeoutError",
    "Plan",
    "command_plan",
    "injector_of",
    "pool_host",
    "pool_plan",
    "redis_point_name",
    "wait",
]

#: Every fault the redis-py seam can apply.
REDIS_FAULTS: frozenset[type[Fault]] = frozenset(
    {Latency, Error, Timeout, Hang, ConnectionRefused, ConnectionReset}
)

#: The point where the chaos pools check a connection out.
REDIS_POOL_POINT = "redis.pool.get_connection"

# Point names are made per command: declare the family so that injecting a
# fault the seam cannot apply (HTTPStatus, Malformed, ...) fails at inject().
declare_family("redis.", REDIS_FAULTS)

_MAX_SUFFIX = 200  # a huge first argument (a blob, a script) is cut in the name


class InjectedRedisConnectionError(InjectedFault, RedisConnectionError):
    """An injected `redis.exceptions.ConnectionError`."""


class InjectedRedisTimeoutError(InjectedFault, RedisTimeoutError):
    """An injected `redis.exceptions.TimeoutError`."""


class InjectedRedisMaxConnectionsError(InjectedFault, MaxConnectionsError):
    """An injected `redis.exceptions.MaxConnectionsError` (a pool with no room)."""


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def redis_point_name(args: Sequence[object]) -> str:
    """The injection point of a command: `redis.<COMMAND> <first argument>`.

    Example:
        >>> redis_point_name(["get", b"session:42"])
        'redis.GET session:42'
        >>> redis_point_name(["PING"])
        'redis.PING'
    """
    command = _text(args[0]).upper()
    if len(args) < 2:
        return f"redis.{command}"
    return f"redis.{command} {_text(args[1])[:_MAX_SUFFIX]}"


@dataclass(slots=True)
class Plan:
    """What the seam does for one call, decided from the fired faults."""

    delay: float = 0.0
    forever: bool = False
    error: BaseException | None = None
    send_first: bool = False
    disconnect: bool = False


def _tag(exc: InjectedFault, fault: Fault) -> InjectedFault:
    exc.fault = fault
    return exc


def command_plan(faults: Sequence[Fault], host: str, socket_timeout: float | None) -> Plan:
    """The plan at a command point; the first fault that ends the call wins."""
    plan = Plan()
    for fault in faults:
        if isinstance(fault, Latency):
            plan.delay += fault.seconds
            continue
        if isinstance(fault, Timeout | Hang):
            if isinstance(fault, Timeout):
                plan.delay += fault.after
            elif socket_timeout:
                plan.delay += socket_timeout
            else:
                plan.delay += fault.limit  # sync callers; async ones wait forever
                plan.forever = True
            message = "Timeout reading from socket"
            plan.error = _tag(InjectedRedisTimeoutError(message), fault)
            plan.send_first = plan.disconnect = True
        elif isinstance(fault, ConnectionRefused):
            message = f"Error 111 connecting to {host}. Connection refused."
            plan.error = _tag(InjectedRedisConnectionError(message), fault)
            plan.disconnect = True
        elif isinstance(fault, ConnectionReset):
            message = "Error 104 while writing to socket. Connection reset by peer."
            plan.error = _tag(InjectedRedisConnectionError(message), fault)
            plan.disconnect = True
        elif isinstance(fault, Error):
            plan.error = fault.build()
        break
    return plan


def pool_plan(
    faults: Sequence[Fault], host: str, *, blocking: bool, pool_timeout: float | None
) -> Plan:
    """The plan at the pool point: `Timeout` and `Hang` exhaust the pool."""
    plan = Plan()
    for fault in faults:
        if isinstance(fault, Latency):
            plan.delay += fault.seconds
            continue
        exc: InjectedFault
        if isinstance(fault, Timeout | Hang):
            if isinstance(fault, Timeout):
                plan.delay += fault.after
            elif blocking and pool_timeout is not None:
                plan.delay += pool_timeout
            elif blocking:  # a blocking pool without a timeout waits for good
                plan.delay += fault.limit
                plan.forever = True
            exc = (
                InjectedRedisConnectionError("No connection available.")
                if blocking
                else InjectedRedisMaxConnectionsError("Too many connections")
            )
        elif isinstance(fault, ConnectionRefused):
            exc = InjectedRedisConnectionError(
                f"Error 111 connecting to {host}. Connection refused."
            )
        elif isinstance(fault, ConnectionReset):
            exc = InjectedRedisConnectionError(
                f"Error 104 connecting to {host}. Connection reset by peer."
            )
        else:
            plan.error = fault.build() if isinstance(fault, Error) else None
            break
        plan.error = _tag(exc, fault)
        break
    return plan


def injector_of(own: FaultInjector | None) -> FaultInjector | None:
    return own if own is not None else current_injector()


def pool_host(kwargs: dict[str, Any]) -> str:
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"


async def wait(plan: Plan, injector: FaultInjector) -> None:
    if plan.forever:
        await asyncio.get_running_loop().create_future()  # only cancellation ends it
    if plan.delay > 0:
        await injector.clock.sleep_async(plan.delay)
