"""The psycopg 3 seam: connection and cursor classes that inject faults.

psycopg builds its connections from any `connection_class` (also inside
psycopg_pool) and its cursors from the connection's `cursor_factory`, so
nothing is monkeypatched. Each statement a `ChaosPgCursor` runs is a call at an
injection point named::

    pg.<VERB> [<first table>]

for example `pg.SELECT users`, `pg.UPDATE accounts`, `pg.INSERT events`,
`pg.BEGIN` (the table is found for SELECT ... FROM, INSERT INTO, UPDATE,
DELETE FROM; other statements have the verb only). Opening a connection is a
call at `pg.connect`, and the chaos pools add `pg.pool.getconn`. `pg.*`
matches all of them; target `pg.[A-Z]*` to reach statements only.

How each fault is applied at a statement point:

- `Latency`: the statement runs, later (waits on the injector's clock);
- `Timeout(after)`: waits `after`, then `psycopg.errors.QueryCanceled`
  (SQLSTATE 57014, "canceling statement due to statement timeout"); the
  statement never runs, the server aborts the transaction as a real statement
  timeout does, the connection stays usable;
- `Hang`: as `Timeout`, after `Hang.limit` (async: waits until cancelled);
- `ConnectionReset` / `ConnectionRefused`: the connection is lost as if the
  server died: its socket is really shut down, the server rolls back the open
  transaction, psycopg itself fails the statement with `OperationalError`
  and marks the connection `closed` and `broken`, so a pool drops it;
- `Error`: the fault's exception. A psycopg error with a SQLSTATE that ends
  the session (class 08 connection exceptions, 57P01 admin_shutdown, 57P02,
  57P03) loses the connection first, as above; any other SQLSTATE is raised
  by the server itself (a `DO` block), so the transaction is aborted exactly
  as a real error would leave it. `pg_error("57P01")` builds such a fault.

At `pg.connect`: `ConnectionRefused` is psycopg's "Connection refused"
`OperationalError`, `ConnectionReset` "server closed the connection
unexpectedly", `Timeout`/`Hang` `ConnectionTimeout` ("connection timeout
expired"), after waiting. Injected exceptions subclass the psycopg class a
real failure raises, and also `chaoslab.errors.InjectedFault`.

Example:
    >>> from chaoslab.inject import FaultInjector
    >>> pg_point_name("update accounts set balance = 0 where id = %s")
    'pg.UPDATE accounts'
    >>> exc = pg_error("57P01").build()
    >>> isinstance(exc, psycopg.errors.AdminShutdown), exc.sqlstate
    (True, '57P01')
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
import psycopg.errors
from psycopg import sql

from chaoslab.errors import InjectedFault
from chaoslab.faults import ConnectionRefused, ConnectionReset, Error, Fault, Hang, Latency, Timeout
from chaoslab.inject import FaultInjector, current_injector, declare_family

__all__ = [
    "PG_CONNECT_POINT",
    "PG_FAULTS",
    "InjectedOperationalError",
    "injected_pg_error",
    "pg_error",
    "pg_point_name",
]

#: Every fault the psycopg seam can apply.
PG_FAULTS: frozenset[type[Fault]] = frozenset(
    {Latency, Error, Timeout, Hang, ConnectionRefused, ConnectionReset}
)

#: The point where a chaos connection class opens a connection.
PG_CONNECT_POINT = "pg.connect"

declare_family("pg.", PG_FAULTS)

_VERB = re.compile(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*([A-Za-z]+)", re.DOTALL)
_TABLE = re.compile(
    r"\b(?:FROM|INTO|UPDATE|JOIN)\s+((?:\"[^\"]+\"|[\w$]+)(?:\.(?:\"[^\"]+\"|[\w$]+))?)",
    re.IGNORECASE,
)
_TABLE_VERBS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
_SESSION_ENDING = ("08", "57P01", "57P02", "57P03")
_SQLSTATE = re.compile(r"[0-9A-Z]{5}")
_LOST = (
    "consuming input failed: server closed the connection unexpectedly\n"
    "\tThis probably means the server terminated abnormally\n"
    "\tbefore or while processing the request."
)


class InjectedOperationalError(InjectedFault, psycopg.OperationalError):
    """An injected `psycopg.OperationalError` (no SQLSTATE: the connection is gone)."""


_injected_classes: dict[type[psycopg.Error], type[psycopg.Error]] = {}


def injected_pg_error(cls: type[psycopg.Error]) -> type[psycopg.Error]:
    """The injected subclass of a psycopg error class (also an `InjectedFault`).

    Example:
        >>> issubclass(injected_pg_error(psycopg.errors.QueryCanceled), InjectedFault)
        True
    """
    if issubclass(cls, InjectedFault):
        return cls
    made = _injected_classes.get(cls)
    if made is None:  # a benign race: two threads may build equal classes once
        made = _injected_classes[cls] = type(f"Injected{cls.__name__}", (InjectedFault, cls), {})
    return made


_MESSAGES = {
    "57014": "canceling statement due to statement timeout",
    "57P01": "terminating connection due to administrator command",
    "08006": "server closed the connection unexpectedly",
    "40001": "could not serialize access due to concurrent update",
    "40P01": "deadlock detected",
}


def pg_error(sqlstate: str, message: str | None = None) -> Error:
    """An `Error` fault raising psycopg's class for `sqlstate` (injected).

    Example:
        >>> pg_error("40001").build().sqlstate
        '40001'
    """
    cls = psycopg.errors.lookup(sqlstate)  # KeyError for an unknown SQLSTATE
    text = message or _MESSAGES.get(sqlstate, f"injected error {sqlstate}")
    return Error(injected_pg_error(cls)(text))


def pg_point_name(query: str) -> str:
    """The injection point of a statement: `pg.<VERB> [<first table>]`.

    Example:
        >>> pg_point_name("SELECT * FROM public.users WHERE id = 1")
        'pg.SELECT public.users'
        >>> pg_point_name("begin")
        'pg.BEGIN'
    """
    match = _VERB.match(query)
    verb = match.group(1).upper() if match else "?"
    if verb in _TABLE_VERBS:
        table = _TABLE.search(query)
        if table is not None:
            return f"pg.{verb} {table.group(1).replace(chr(34), '')}"
    return f"pg.{verb}"


def query_text(query: object, conn: psycopg.BaseConnection[Any]) -> str:
    """The SQL text of anything psycopg accepts as a query."""
    if isinstance(query, str):
        return query
    if isinstance(query, bytes | bytearray | memoryview):
        return bytes(query).decode("utf-8", "replace")
    if isinstance(query, sql.Composable):
        return query.as_string(conn)
    strings = getattr(query, "strings", None)  # a t-string Template (Python 3.14)
    return " ".join(strings) if isinstance(strings, tuple) else str(query)


Action = Literal["none", "lose", "server"]


@dataclass(slots=True)
class StatementPlan:
    """What the seam does for one statement, decided from the fired faults."""

    delay: float = 0.0
    forever: bool = False
    error: BaseException | None = None
    action: Action = "none"
    fault: Fault | None = None


def _tag(exc: BaseException, fault: Fault) -> BaseException:
    if isinstance(exc, InjectedFault):
        exc.fault = fault
    return exc


def _ends_session(exc: BaseException) -> bool:
    state = getattr(exc, "sqlstate", None)
    return isinstance(exc, psycopg.Error) and bool(state) and str(state).startswith(_SESSION_ENDING)


def statement_plan(faults: Sequence[Fault]) -> StatementPlan:
    """The plan at a statement point; the first fault that ends the call wins."""
    plan = StatementPlan()
    for fault in faults:
        if isinstance(fault, Latency):
            plan.delay += fault.seconds
            continue
        if isinstance(fault, Timeout | Hang):
            plan.delay += fault.after if isinstance(fault, Timeout) else fault.limit
            plan.forever = isinstance(fault, Hang)
            plan.error = pg_error("57014").build()
            plan.action = "server"
        elif isinstance(fault, ConnectionRefused | ConnectionReset):
            plan.action = "lose"  # the error is psycopg's own, when it notices
        elif isinstance(fault, Error):
            plan.error = fault.build()
            if _ends_session(plan.error):
                plan.action = "lose"
            elif isinstance(plan.error, psycopg.DatabaseError) and plan.error.sqlstate:
                plan.action = "server"
        if plan.error is not None:
            _tag(plan.error, fault)
        plan.fault = fault
        break
    return plan


def lose_connection(conn: psycopg.BaseConnection[Any]) -> None:
    """Shut the connection's socket down, as when the server dies.

    The server reads EOF and rolls back; libpq fails the next statement with
    its real error and psycopg marks the connection broken.
    """
    if conn.closed:
        return
    # A dup of the descriptor: shutdown acts on the socket, close only on the dup.
    sock = socket.socket(fileno=os.dup(conn.pgconn.socket))
    with sock, contextlib.suppress(OSError):  # already gone: what we wanted
        sock.shutdown(socket.SHUT_RDWR)


def server_abort_sql(exc: BaseException | None) -> str | None:
    """A statement the server fails with `exc`'s SQLSTATE (None without one)."""
    state = str(getattr(exc, "sqlstate", "") or "")
    if not _SQLSTATE.fullmatch(state):
        return None
    # The SQLSTATE is checked above: nothing else enters the statement.
    return f"DO $$BEGIN RAISE EXCEPTION 'chaoslab' USING ERRCODE = '{state}'; END$$"


def lost_error(real: BaseException | None, plan: StatementPlan) -> BaseException:
    """The exception to raise once psycopg noticed the lost connection."""
    if plan.error is not None:
        return plan.error
    exc = InjectedOperationalError(str(real) if real is not None else _LOST)
    exc.fault = plan.fault
    return exc


def connect_error(faults: Sequence[Fault], conninfo: dict[str, Any]) -> tuple[float, bool, Any]:
    """(delay, forever, exception or None) for a connection attempt."""
    delay, forever = 0.0, False
    host, port = conninfo.get("host", "localhost"), conninfo.get("port", 5432)
    where = f'connection to server at "{host}", port {port} failed'
    for fault in faults:
        exc: BaseException
        if isinstance(fault, Latency):
            delay += fault.seconds
            continue
        if isinstance(fault, Timeout | Hang):
            delay += fault.after if isinstance(fault, Timeout) else fault.limit
            forever = isinstance(fault, Hang)
            exc = injected_pg_error(psycopg.errors.ConnectionTimeout)("connection timeout expired")
        elif isinstance(fault, ConnectionRefused):
            hint = "Is the server running on that host and accepting TCP/IP connections?"
            exc = InjectedOperationalError(
                f"connection failed: {where}: Connection refused\n\t{hint}"
            )
        elif isinstance(fault, ConnectionReset):
            message = f"connection failed: {where}: {_LOST.split(': ', 1)[1]}"
            exc = InjectedOperationalError(message)
        elif isinstance(fault, Error):
            exc = fault.build()
        else:
            continue
        return delay, forever, _tag(exc, fault)
    return delay, forever, None


def injector_of(owner: object) -> FaultInjector | None:
    """The injector an object was given, else the current one."""
    own = getattr(owner, "injector", None)
    return own if isinstance(own, FaultInjector) else current_injector()


async def wait_async(delay: float, forever: bool, injector: FaultInjector) -> None:
    """Wait `delay` on the clock, or until cancelled when `forever`."""
    if forever:
        await asyncio.get_running_loop().create_future()  # only cancellation ends it
    if delay > 0:
        await injector.clock.sleep_async(delay)
