"""The redis-py seam: connection and pool classes that inject faults.

redis-py lets a pool build its connections from any `connection_class`, so
nothing is monkeypatched: give the client a `ChaosRedisPool` (or pass
`connection_class=ChaosRedisConnection` to your own pool). Each command is a call
at an injection point named::

    redis.<COMMAND> <first argument>

for example `redis.GET session:42`, `redis.SET session:42` or `redis.PING`
(the first argument is the key, for key commands; commands without one have
no suffix). Targets match these names with globs: `redis.GET session:*`,
`redis.* session:*`, `redis.*`. The pool classes add one more point,
`redis.pool.get_connection`, where a connection is checked out; `redis.*`
matches it too, so target `redis.[A-Z]*` to reach commands only.

How each fault is applied at a command point:

- `Latency`: the command runs, later (waits on the injector's clock);
- `Timeout(after)`: waits `after`, sends the command, drops the connection
  and raises `redis.exceptions.TimeoutError("Timeout reading from socket")`:
  as with a real read timeout, the server may have run the command;
- `Hang`: as `Timeout`, after the connection's `socket_timeout` (async with
  none: waits until cancelled; sync with none: `Hang.limit`);
- `ConnectionRefused`: the connection is dropped and the command raises
  `redis.exceptions.ConnectionError("Error 111 connecting to host:port.
  Connection refused.")`, what a client gets while Redis is down;
- `ConnectionReset`: the connection is dropped, `ConnectionError("Error 104
  while writing to socket. Connection reset by peer.")`;
- `Error`: the fault's exception (e.g. `redis.exceptions.ResponseError`).

At `redis.pool.get_connection`, `Timeout` and `Hang` mean "no connection came
free": the pool raises what it raises when exhausted, `MaxConnectionsError(
"Too many connections")` for a `ConnectionPool`, `ConnectionError("No
connection available.")` for a `BlockingConnectionPool` (after `after`
seconds, or the pool's own `timeout` for `Hang`).

Injected exceptions are the redis-py exceptions a real failure raises, and
also `chaoslab.errors.InjectedFault`. The connection's own handshake (HELLO,
AUTH, CLIENT SETINFO, SELECT) is never a point, so a fault hits the commands
you send. redis-py retries `ConnectionError` and `TimeoutError` by default
(10 times, with backoff): each retry is another call at the point, which is
the truth about your client; pass `retry=Retry(NoBackoff(), 0)` to see each
fault raw.

Example:
    >>> import redis
    >>> from chaoslab.faults import ConnectionRefused
    >>> from chaoslab.inject import FaultInjector
    >>> chaos = FaultInjector(seed=1)
    >>> pool = ChaosRedisPool(host="127.0.0.1", port=6379, injector=chaos)
    >>> client = redis.Redis(connection_pool=pool)
    >>> with chaos.inject("redis.GET session:*", ConnectionRefused()):
    ...     pass  # client.get("session:1") raises redis.exceptions.ConnectionError
    >>> pool.disconnect()
"""

# redis-py leaves its connection and pool methods unannotated; the overrides
# below are typed, their calls into redis-py cannot be.
# mypy: disable-error-code="no-untyped-call,no-any-return"

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import redis
import redis.asyncio

from chaoslab.adapters._redis_plan import (
    REDIS_FAULTS,
    REDIS_POOL_POINT,
    InjectedRedisConnectionError,
    InjectedRedisMaxConnectionsError,
    InjectedRedisTimeoutError,
    Plan,
    command_plan,
    injector_of,
    pool_host,
    pool_plan,
    redis_point_name,
    wait,
)
from chaoslab.inject import FaultInjector

__all__ = [
    "REDIS_FAULTS",
    "REDIS_POOL_POINT",
    "AsyncChaosRedisBlockingPool",
    "AsyncChaosRedisConnection",
    "AsyncChaosRedisPool",
    "ChaosRedisBlockingPool",
    "ChaosRedisConnection",
    "ChaosRedisPool",
    "InjectedRedisConnectionError",
    "InjectedRedisMaxConnectionsError",
    "InjectedRedisTimeoutError",
    "redis_point_name",
]


class ChaosRedisConnection(redis.Connection):
    """A redis-py connection whose commands are injection points.

    Takes the keyword arguments of `redis.Connection`, plus `injector` (None
    follows `current_injector()`); a pool passes its keyword arguments on.

    Example:
        >>> pool = redis.ConnectionPool(connection_class=ChaosRedisConnection, port=6379)
        >>> pool.disconnect()
    """

    def __init__(self, *args: Any, injector: FaultInjector | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.injector = injector
        self._handshake = False

    def on_connect_check_health(self, check_health: bool = True) -> None:
        """Run redis-py's handshake; its commands are not injection points."""
        self._handshake = True
        try:
            super().on_connect_check_health(check_health=check_health)
        finally:
            self._handshake = False

    def send_command(self, *args: Any, **kwargs: Any) -> None:
        """Send a command, applying the faults that fire at its point."""
        injector = injector_of(self.injector)
        if injector is None or self._handshake or not args:
            return super().send_command(*args, **kwargs)
        faults = injector.fire(redis_point_name(args))
        if not faults:
            return super().send_command(*args, **kwargs)
        plan = command_plan(faults, self._host_error(), self.socket_timeout)
        if plan.delay > 0:
            injector.clock.sleep(plan.delay)
        if plan.error is None or plan.send_first:
            super().send_command(*args, **kwargs)
        if plan.error is not None:
            if plan.disconnect:
                self.disconnect()
            raise plan.error
        return None

    def pack_commands(self, commands: Iterable[Iterable[Any]]) -> list[bytes]:
        """Pack a pipeline; each of its commands is a call at its own point."""
        batch = [tuple(args) for args in commands]
        injector = injector_of(self.injector)
        if injector is not None:
            faults = [f for args in batch if args for f in injector.fire(redis_point_name(args))]
            plan = command_plan(faults, self._host_error(), self.socket_timeout)
            if plan.delay > 0:
                injector.clock.sleep(plan.delay)
            if plan.error is not None:
                if plan.disconnect:
                    self.disconnect()
                raise plan.error
        return super().pack_commands(batch)


class AsyncChaosRedisConnection(redis.asyncio.Connection):
    """The asyncio twin of `ChaosRedisConnection` (same faults, same point names).

    Example:
        >>> pool = redis.asyncio.ConnectionPool(connection_class=AsyncChaosRedisConnection)
    """

    def __init__(self, *args: Any, injector: FaultInjector | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.injector = injector
        self._handshake = False
        self._pending: tuple[Plan, FaultInjector] | None = None

    async def on_connect_check_health(self, check_health: bool = True) -> None:
        """Run redis-py's handshake; its commands are not injection points."""
        self._handshake = True
        try:
            await super().on_connect_check_health(check_health=check_health)
        finally:
            self._handshake = False

    async def send_command(self, *args: Any, **kwargs: Any) -> None:
        """Send a command, applying the faults that fire at its point."""
        injector = injector_of(self.injector)
        if injector is None or self._handshake or not args:
            return await super().send_command(*args, **kwargs)
        faults = injector.fire(redis_point_name(args))
        if not faults:
            return await super().send_command(*args, **kwargs)
        plan = command_plan(faults, self._host_error(), self.socket_timeout)
        await wait(plan, injector)
        if plan.error is None or plan.send_first:
            await super().send_command(*args, **kwargs)
        if plan.error is not None:
            if plan.disconnect:
                await self.disconnect(nowait=True)
            raise plan.error
        return None

    def pack_commands(self, commands: Iterable[Iterable[Any]]) -> list[bytes]:
        """Pack a pipeline; each of its commands is a call at its own point.

        asyncio pipelines pack synchronously, so the faults decided here are
        applied when the packed commands are sent.
        """
        batch = [tuple(args) for args in commands]
        injector = injector_of(self.injector)
        if injector is not None:
            faults = [f for args in batch if args for f in injector.fire(redis_point_name(args))]
            if faults:
                plan = command_plan(faults, self._host_error(), self.socket_timeout)
                self._pending = (plan, injector)
        return super().pack_commands(batch)

    async def send_packed_command(
        self, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        """Send packed commands, first applying the faults of a packed pipeline."""
        pending, self._pending = self._pending, None
        if pending is not None:
            plan, injector = pending
            await wait(plan, injector)
            if plan.error is not None:
                if plan.disconnect:
                    await self.disconnect(nowait=True)
                raise plan.error
        await super().send_packed_command(command, check_health=check_health)


class ChaosRedisPool(redis.ConnectionPool):
    """A `redis.ConnectionPool` of `ChaosRedisConnection`s with a checkout point.

    Keyword arguments are those of `redis.ConnectionPool` (and `from_url`),
    plus `injector`, handed to every connection.

    Example:
        >>> pool = ChaosRedisPool.from_url("redis://127.0.0.1:6379/0")
        >>> client = redis.Redis(connection_pool=pool)
        >>> client.close()
    """

    def __init__(self, connection_class: type[Any] = ChaosRedisConnection, **kwargs: Any) -> None:
        super().__init__(connection_class=connection_class, **kwargs)
        self.injector: FaultInjector | None = kwargs.get("injector")

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        """Check a connection out, applying the faults that fire at the pool point."""
        _checkout_sync(self, blocking=False, pool_timeout=None)
        return super().get_connection(*args, **kwargs)


class ChaosRedisBlockingPool(redis.BlockingConnectionPool):
    """A `redis.BlockingConnectionPool` of `ChaosRedisConnection`s with a checkout point.

    Example:
        >>> pool = ChaosRedisBlockingPool(max_connections=2, timeout=0.5)
        >>> pool.disconnect()
    """

    def __init__(self, connection_class: type[Any] = ChaosRedisConnection, **kwargs: Any) -> None:
        super().__init__(connection_class=connection_class, **kwargs)
        self.injector: FaultInjector | None = kwargs.get("injector")

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        """Check a connection out, applying the faults that fire at the pool point."""
        _checkout_sync(self, blocking=True, pool_timeout=self.timeout)
        return super().get_connection(*args, **kwargs)


def _fire_checkout(
    pool: Any, *, blocking: bool, pool_timeout: float | None
) -> tuple[Plan, FaultInjector] | None:
    """Fire the pool point for one checkout: its plan and injector, or None."""
    injector = injector_of(pool.injector)
    faults = injector.fire(REDIS_POOL_POINT) if injector is not None else ()
    if injector is None or not faults:
        return None
    host = pool_host(pool.connection_kwargs)
    return pool_plan(faults, host, blocking=blocking, pool_timeout=pool_timeout), injector


def _checkout_sync(pool: Any, *, blocking: bool, pool_timeout: float | None) -> None:
    fired = _fire_checkout(pool, blocking=blocking, pool_timeout=pool_timeout)
    if fired is not None:
        plan, injector = fired
        if plan.delay > 0:
            injector.clock.sleep(plan.delay)
        if plan.error is not None:
            raise plan.error


async def _checkout_async(pool: Any, *, blocking: bool, pool_timeout: float | None) -> None:
    fired = _fire_checkout(pool, blocking=blocking, pool_timeout=pool_timeout)
    if fired is not None:
        plan, injector = fired
        await wait(plan, injector)
        if plan.error is not None:
            raise plan.error


class AsyncChaosRedisPool(redis.asyncio.ConnectionPool):
    """The asyncio twin of `ChaosRedisPool`.

    Example:
        >>> pool = AsyncChaosRedisPool.from_url("redis://127.0.0.1:6379/0")
    """

    def __init__(
        self, connection_class: type[Any] = AsyncChaosRedisConnection, **kwargs: Any
    ) -> None:
        super().__init__(connection_class=connection_class, **kwargs)
        self.injector: FaultInjector | None = kwargs.get("injector")

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        """Check a connection out, applying the faults that fire at the pool point."""
        await _checkout_async(self, blocking=False, pool_timeout=None)
        return await super().get_connection(*args, **kwargs)


class AsyncChaosRedisBlockingPool(redis.asyncio.BlockingConnectionPool):
    """The asyncio twin of `ChaosRedisBlockingPool`.

    Example:
        >>> pool = AsyncChaosRedisBlockingPool(max_connections=2, timeout=0.5)
    """

    def __init__(
        self, connection_class: type[Any] = AsyncChaosRedisConnection, **kwargs: Any
    ) -> None:
        super().__init__(connection_class=connection_class, **kwargs)
        self.injector: FaultInjector | None = kwargs.get("injector")

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        """Check a connection out, applying the faults that fire at the pool point."""
        await _checkout_async(self, blocking=True, pool_timeout=self.timeout)
        return await super().get_connection(*args, **kwargs)
