"""psycopg_pool pools of chaos connections, with a checkout injection point.

`pool.connection()` and `pool.getconn()` are calls at `pg.pool.getconn`:

- `Latency`: the checkout is slower;
- `Timeout(after)`: waits `after`, then `psycopg_pool.PoolTimeout("couldn't
  get a connection after <after> sec")`, what an exhausted pool raises;
- `Hang`, `ConnectionRefused`, `ConnectionReset`: what the pool does when no
  connection comes free or the server refuses new ones: waits the checkout
  timeout (the call's, else the pool's `timeout`), then `PoolTimeout`;
- `Error`: the fault's exception.

The pools build `ChaosPgConnection`s (`AsyncChaosPgConnection`s), handing them
the pool's `injector`, so statements are points too.

Example:
    >>> from chaoslab.inject import FaultInjector
    >>> pool = ChaosPgPool("postgresql://127.0.0.1/db", open=False)
    >>> pool.connection_class.__name__
    'ChaosPgConnection'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg_pool

from chaoslab.adapters._psycopg import injector_of, wait_async
from chaoslab.adapters._psycopg_conn import AsyncChaosPgConnection, ChaosPgConnection
from chaoslab.errors import InjectedFault
from chaoslab.faults import ConnectionRefused, ConnectionReset, Error, Fault, Hang, Latency, Timeout
from chaoslab.inject import FaultInjector

__all__ = [
    "PG_POOL_POINT",
    "AsyncChaosPgPool",
    "ChaosPgPool",
    "InjectedPoolTimeout",
]

#: The point where the chaos pools check a connection out.
PG_POOL_POINT = "pg.pool.getconn"

Kwargs = dict[str, Any] | Callable[[], dict[str, Any]] | None


class InjectedPoolTimeout(InjectedFault, psycopg_pool.PoolTimeout):
    """An injected `psycopg_pool.PoolTimeout`."""


def _with_injector(kwargs: Kwargs, injector: FaultInjector | None) -> Kwargs:
    if injector is None:
        return kwargs
    if callable(kwargs):
        make = kwargs
        return lambda: {**make(), "injector": injector}
    return {**(kwargs or {}), "injector": injector}


def checkout_plan(faults: Sequence[Fault], timeout: float) -> tuple[float, BaseException | None]:
    """(delay, exception or None) for one checkout that may wait `timeout`."""
    delay = 0.0
    for fault in faults:
        if isinstance(fault, Latency):
            delay += fault.seconds
            continue
        if isinstance(fault, Error):
            return delay, fault.build()
        if isinstance(fault, Timeout):
            waited = fault.after
        elif isinstance(fault, Hang | ConnectionRefused | ConnectionReset):
            waited = timeout
        else:
            continue
        exc = InjectedPoolTimeout(f"couldn't get a connection after {waited:.2f} sec")
        exc.fault = fault
        return delay + waited, exc
    return delay, None


def _fire_checkout(
    pool: psycopg_pool.ConnectionPool[Any] | psycopg_pool.AsyncConnectionPool[Any],
    timeout: float | None,
) -> tuple[FaultInjector, float, BaseException | None] | None:
    """Fire `pg.pool.getconn` for one checkout: (injector, delay, exception), or None."""
    injector = injector_of(pool)
    faults = injector.fire(PG_POOL_POINT) if injector is not None else ()
    if injector is None or not faults:
        return None
    delay, exc = checkout_plan(faults, timeout if timeout is not None else pool.timeout)
    return injector, delay, exc


class ChaosPgPool(psycopg_pool.ConnectionPool[ChaosPgConnection[Any]]):
    """A `psycopg_pool.ConnectionPool` of `ChaosPgConnection`s with a checkout point.

    Takes the arguments of `ConnectionPool`, plus `injector` (None: follow
    `current_injector()`), handed to every connection it opens.

    Example:
        >>> pool = ChaosPgPool("dbname=app", min_size=1, open=False)
    """

    def __init__(
        self,
        conninfo: str = "",
        *,
        injector: FaultInjector | None = None,
        connection_class: type[ChaosPgConnection[Any]] = ChaosPgConnection,
        kwargs: Kwargs = None,
        **options: Any,
    ) -> None:
        self.injector = injector
        super().__init__(
            conninfo,
            connection_class=connection_class,
            kwargs=_with_injector(kwargs, injector),
            **options,
        )

    def getconn(self, timeout: float | None = None) -> ChaosPgConnection[Any]:
        """Check a connection out; `pg.pool.getconn` faults apply first."""
        fired = _fire_checkout(self, timeout)
        if fired is not None:
            injector, delay, exc = fired
            if delay > 0:
                injector.clock.sleep(delay)
            if exc is not None:
                raise exc
        return super().getconn(timeout)


class AsyncChaosPgPool(psycopg_pool.AsyncConnectionPool[AsyncChaosPgConnection[Any]]):
    """The asyncio twin of `ChaosPgPool`.

    Example:
        >>> pool = AsyncChaosPgPool("dbname=app", open=False)
    """

    def __init__(
        self,
        conninfo: str = "",
        *,
        injector: FaultInjector | None = None,
        connection_class: type[AsyncChaosPgConnection[Any]] = AsyncChaosPgConnection,
        kwargs: Kwargs = None,
        **options: Any,
    ) -> None:
        self.injector = injector
        super().__init__(
            conninfo,
            connection_class=connection_class,
            kwargs=_with_injector(kwargs, injector),
            **options,
        )

    async def getconn(
        self,
        timeout: float | None = None,  # noqa: ASYNC109 - psycopg_pool's own signature
    ) -> AsyncChaosPgConnection[Any]:
        """Check a connection out; `pg.pool.getconn` faults apply first."""
        fired = _fire_checkout(self, timeout)
        if fired is not None:
            injector, delay, exc = fired
            await wait_async(delay, False, injector)
            if exc is not None:
                raise exc
        return await super().getconn(timeout)
