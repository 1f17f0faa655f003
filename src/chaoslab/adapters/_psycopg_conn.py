"""psycopg connection and cursor classes whose statements are injection points.

See `chaoslab.adapters._psycopg` for the point names and how each fault is
applied; this module wires those decisions into psycopg's own classes.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, Self

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import Row

from chaoslab.adapters._psycopg import (
    PG_CONNECT_POINT,
    StatementPlan,
    connect_error,
    injector_of,
    lose_connection,
    lost_error,
    pg_point_name,
    query_text,
    server_abort_sql,
    statement_plan,
    wait_async,
)
from chaoslab.faults import Fault
from chaoslab.inject import FaultInjector, current_injector

__all__ = ["AsyncChaosPgConnection", "AsyncChaosPgCursor", "ChaosPgConnection", "ChaosPgCursor"]


Fired = tuple[tuple[Fault, ...], FaultInjector]


def _fire(cursor: psycopg.Cursor[Any] | psycopg.AsyncCursor[Any], query: object) -> Fired | None:
    injector = injector_of(cursor.connection)
    if injector is None:
        return None
    faults = injector.fire(pg_point_name(query_text(query, cursor.connection)))
    return (faults, injector) if faults else None


def _finish(conn: psycopg.BaseConnection[Any]) -> None:
    if not conn.closed:  # psycopg did not notice (nothing was sent): close it broken
        conn.pgconn.finish()


def _apply_sync(cursor: psycopg.Cursor[Any], fired: Fired, run: Callable[[], object]) -> None:
    faults, injector = fired
    plan = statement_plan(faults)
    if plan.delay > 0:
        injector.clock.sleep(plan.delay)
    if plan.action == "lose":
        lose_connection(cursor.connection)
        real: BaseException | None = None
        try:
            run()
        except psycopg.Error as exc:
            real = exc
        _finish(cursor.connection)
        raise lost_error(real, plan) from None
    _abort_on_server(cursor, plan)
    if plan.error is not None:
        raise plan.error


def _abort_on_server(cursor: psycopg.Cursor[Any], plan: StatementPlan) -> None:
    abort = server_abort_sql(plan.error) if plan.action == "server" else None
    if abort is not None and not cursor.connection.autocommit:
        # The server fails the transaction, exactly as the real error would.
        with contextlib.suppress(psycopg.Error):
            psycopg.Cursor.execute(cursor, abort)  # the base method: not a point


async def _apply_async(
    cursor: psycopg.AsyncCursor[Any], fired: Fired, run: Callable[[], Awaitable[object]]
) -> None:
    faults, injector = fired
    plan = statement_plan(faults)
    await wait_async(plan.delay, plan.forever, injector)
    if plan.action == "lose":
        lose_connection(cursor.connection)
        real: BaseException | None = None
        try:
            await run()
        except psycopg.Error as exc:
            real = exc
        _finish(cursor.connection)
        raise lost_error(real, plan) from None
    abort = server_abort_sql(plan.error) if plan.action == "server" else None
    if abort is not None and not cursor.connection.autocommit:
        with contextlib.suppress(psycopg.Error):
            await psycopg.AsyncCursor.execute(cursor, abort)
    if plan.error is not None:
        raise plan.error


class ChaosPgCursor(psycopg.Cursor[Row]):
    """A psycopg cursor whose `execute`, `executemany` and `stream` are injection points.

    Example:
        >>> issubclass(ChaosPgCursor, psycopg.Cursor)
        True
    """

    def execute(
        self,
        query: Any,
        params: Any = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        """Execute a statement, applying the faults that fire at its point."""
        fired = _fire(self, query)
        if fired is not None:
            run = lambda: psycopg.Cursor.execute(self, query, params)  # noqa: E731
            _apply_sync(self, fired, run)
        return super().execute(query, params, prepare=prepare, binary=binary)

    def executemany(
        self, query: Any, params_seq: Iterable[Any], *, returning: bool = False
    ) -> None:
        """Execute a statement once per parameter set; one call at its point."""
        params = list(params_seq)
        fired = _fire(self, query)
        if fired is not None:
            run = lambda: psycopg.Cursor.executemany(self, query, params)  # noqa: E731
            _apply_sync(self, fired, run)
        super().executemany(query, params, returning=returning)

    def stream(
        self, query: Any, params: Any = None, *, binary: bool | None = None, size: int = 1
    ) -> Iterator[Row]:
        """Stream rows; the faults apply before the first row."""
        fired = _fire(self, query)
        if fired is not None:
            run = lambda: psycopg.Cursor.execute(self, query, params)  # noqa: E731
            _apply_sync(self, fired, run)
        yield from super().stream(query, params, binary=binary, size=size)


class AsyncChaosPgCursor(psycopg.AsyncCursor[Row]):
    """The asyncio twin of `ChaosPgCursor`.

    Example:
        >>> issubclass(AsyncChaosPgCursor, psycopg.AsyncCursor)
        True
    """

    async def execute(
        self,
        query: Any,
        params: Any = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        """Execute a statement, applying the faults that fire at its point."""
        fired = _fire(self, query)
        if fired is not None:
            await _apply_async(
                self, fired, lambda: psycopg.AsyncCursor.execute(self, query, params)
            )
        return await super().execute(query, params, prepare=prepare, binary=binary)

    async def executemany(
        self, query: Any, params_seq: Iterable[Any], *, returning: bool = False
    ) -> None:
        """Execute a statement once per parameter set; one call at its point."""
        params = list(params_seq)
        fired = _fire(self, query)
        if fired is not None:
            await _apply_async(
                self, fired, lambda: psycopg.AsyncCursor.executemany(self, query, params)
            )
        await super().executemany(query, params, returning=returning)

    async def stream(
        self, query: Any, params: Any = None, *, binary: bool | None = None, size: int = 1
    ) -> AsyncIterator[Row]:
        """Stream rows; the faults apply before the first row."""
        fired = _fire(self, query)
        if fired is not None:
            await _apply_async(
                self, fired, lambda: psycopg.AsyncCursor.execute(self, query, params)
            )
        async for row in super().stream(query, params, binary=binary, size=size):
            yield row


def _address(conninfo: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        params: dict[str, Any] = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        params = {}
    for key in ("host", "port"):
        if kwargs.get(key) is not None:
            params[key] = kwargs[key]
    return params


class ChaosPgConnection(psycopg.Connection[Row]):
    """A psycopg connection whose opening and statements are injection points.

    `connect()` takes psycopg's arguments plus `injector` (None: follow
    `current_injector()`); its cursors are `ChaosPgCursor`s. A `cursor_factory`
    you pass must subclass `ChaosPgCursor` for statements to stay points.

    Example:
        >>> conn_class = ChaosPgConnection  # psycopg_pool: connection_class=ChaosPgConnection
    """

    injector: FaultInjector | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_factory = ChaosPgCursor

    @classmethod
    def connect(  # type: ignore[override]
        cls, conninfo: str = "", *, injector: FaultInjector | None = None, **kwargs: Any
    ) -> Self:
        """Open a connection; `pg.connect` faults apply first."""
        chosen = injector if injector is not None else current_injector()
        faults = chosen.fire(PG_CONNECT_POINT) if chosen is not None else ()
        if chosen is not None and faults:
            delay, _, exc = connect_error(faults, _address(conninfo, kwargs))
            if delay > 0:
                chosen.clock.sleep(delay)
            if exc is not None:
                raise exc
        conn = super().connect(conninfo, **kwargs)
        conn.injector = injector
        return conn


class AsyncChaosPgConnection(psycopg.AsyncConnection[Row]):
    """The asyncio twin of `ChaosPgConnection`; its cursors are `AsyncChaosPgCursor`s.

    Example:
        >>> conn_class = AsyncChaosPgConnection
    """

    injector: FaultInjector | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_factory = AsyncChaosPgCursor

    @classmethod
    async def connect(  # type: ignore[override]
        cls, conninfo: str = "", *, injector: FaultInjector | None = None, **kwargs: Any
    ) -> Self:
        """Open a connection; `pg.connect` faults apply first."""
        chosen = injector if injector is not None else current_injector()
        faults = chosen.fire(PG_CONNECT_POINT) if chosen is not None else ()
        if chosen is not None and faults:
            delay, forever, exc = connect_error(faults, _address(conninfo, kwargs))
            await wait_async(delay, forever, chosen)
            if exc is not None:
                raise exc
        conn = await super().connect(conninfo, **kwargs)
        conn.injector = injector
        return conn
