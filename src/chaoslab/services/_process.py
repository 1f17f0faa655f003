"""`ProcessService`: any command as a managed service, and the base of Redis and PostgreSQL.

The process runs in its own process group, in a temporary working folder, with
stdout and stderr captured to a log file there. kill -9, SIGSTOP and SIGCONT
reach the whole process tree (group and descendants), as a crash or a frozen
VM would: PostgreSQL puts each backend in a session of its own, so signalling
the group alone would leave its connections answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Literal, Self

from chaoslab.clock import Clock, SystemClock
from chaoslab.errors import ServiceError
from chaoslab.observe import EventBus, default_bus
from chaoslab.services import _cleanup
from chaoslab.services._binaries import ServiceUser
from chaoslab.services._child import POLL, Child
from chaoslab.services._events import (
    ServiceEvent,
    ServiceKilled,
    ServicePaused,
    ServiceResumed,
    ServiceStarted,
    ServiceStopped,
)
from chaoslab.services._readiness import Readiness

__all__ = ["ProcessService", "ServiceState", "free_port"]

ServiceState = Literal["new", "running", "paused", "exited", "stopped"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it).

    Example:
        >>> 0 < free_port() < 65536
        True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ProcessService:
    """A command run as a service: start, wait healthy, stop, kill -9, pause, restart.

    `command` may use the placeholders `{port}`, `{host}` and `{workdir}`. A free
    port is picked when the command mentions `{port}` and none is given; it stays
    the same across restarts, so clients reconnect to the same address.

    Example:
        >>> import sys
        >>> from chaoslab.services import ProcessService, PortOpen
        >>> cmd = [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
        >>> with ProcessService(cmd, name="web", ready=PortOpen()) as web:  # doctest: +SKIP
        ...     web.pause()       # SIGSTOP: connections hang
        ...     web.resume()      # SIGCONT
        ...     web.kill()        # SIGKILL, as in a crash
        ...     web.start()       # same port, same folder

    `async with` works too: it starts with `start_async` and stops in a thread.
    """

    stop_signal: ClassVar[signal.Signals] = signal.SIGTERM
    scheme: ClassVar[str] = "tcp"

    def __init__(
        self,
        command: Sequence[str],
        *,
        name: str = "process",
        ready: Readiness | Sequence[Readiness] = (),
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        workdir: str | Path | None = None,
        start_timeout: float = 15.0,
        stop_timeout: float = 5.0,
        events: EventBus | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.name = name
        self._command = list(command)
        self._ready = (ready,) if isinstance(ready, Readiness) else tuple(ready)
        # A port we picked ourselves may be taken by someone else before the server
        # binds it: then the first start retries once on a new one.
        self._auto_port = port is None and any("{port}" in arg for arg in self._command)
        self._port = free_port() if self._auto_port else port
        self._started_once = False
        self._env = dict(env or {})
        self._own_workdir = workdir is None
        self._workdir = Path(workdir) if workdir is not None else None
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._events = events
        self._clock: Clock = clock or SystemClock()
        self._user: ServiceUser | None = None  # set by services that must not run as root
        self._child: Child | None = None
        self._log_offset = 0
        self._prepared = False
        self._lock = threading.RLock()

    # -- what it is -----------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address the service listens on: always loopback."""
        return "127.0.0.1"

    @property
    def port(self) -> int | None:
        """The TCP port, stable across restarts (None for a command without one)."""
        return self._port

    @property
    def url(self) -> str:
        """Where clients connect, e.g. `tcp://127.0.0.1:54321`."""
        return f"{self.scheme}://{self.host}:{self._port}"

    @property
    def workdir(self) -> Path:
        """The service's folder (data, log); created on first start."""
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix=f"chaoslab-{self.name}-"))
            _cleanup.track_dir(self._workdir)
        return self._workdir

    @property
    def log_path(self) -> Path:
        """The file holding the process's stdout and stderr, across restarts."""
        return self.workdir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        """The main process id while it runs."""
        return self._child.pid if self._child is not None else None

    @property
    def state(self) -> ServiceState:
        """`new`, `running`, `paused`, `exited` (died on its own) or `stopped` (by us)."""
        child = self._child
        if child is None:
            return "new"
        if child.reaped:
            return "stopped"  # by stop() or kill()
        if child.exited():
            return "exited"
        return "paused" if child.paused else "running"

    @property
    def running(self) -> bool:
        """True while the process is alive (paused counts as alive)."""
        return self.state in ("running", "paused")

    def logs(self, *, since_start: bool = False) -> str:
        """The captured output, of every start or only of the current one."""
        if self._workdir is None:
            return ""  # never started: no folder, and none made just to look
        try:
            with self.log_path.open("rb") as f:
                f.seek(self._log_offset if since_start else 0)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        """The last `lines` lines of the log, for error messages."""
        return "\n".join(self.logs().splitlines()[-lines:])

    # -- hooks for subclasses -----------------------------------------------------------

    def _prepare(self) -> None:
        """Called once before the first start (e.g. initdb)."""

    def _arguments(self) -> list[str]:
        fields = {"port": self._port, "host": self.host, "workdir": self.workdir}
        return [arg.format(**fields) for arg in self._command]

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> Self:
        """Start the process and wait until it is ready.

        Raises:
            ServiceError: already running, failed to spawn, exited early, or not
                ready within `start_timeout`; the message carries the log tail.
        """
        with self._lock:
            for attempt in (1, 2):
                began = self._launch()
                try:
                    self.wait_healthy()
                except BaseException as exc:
                    self._kill()
                    if attempt == 1 and self._port_clash(exc):
                        continue
                    raise
                break
            return self._started(began)

    async def start_async(self) -> Self:
        """`start` for asyncio: the readiness wait does not block the event loop."""
        for attempt in (1, 2):
            began = self._launch()
            try:
                await self.wait_healthy_async()
            except BaseException as exc:
                self._kill()
                if attempt == 1 and self._port_clash(exc):
                    continue
                raise
            break
        return self._started(began)

    def _port_clash(self, exc: BaseException) -> bool:
        """The first start lost the port we picked to another process: pick another."""
        if not (self._auto_port and not self._started_once and isinstance(exc, ServiceError)):
            return False
        if "Address already in use" not in self.logs(since_start=True):
            return False
        self._port = free_port()
        return True

    def _started(self, began: float) -> Self:
        self._started_once = True
        self._emit(ServiceStarted, url=self.url, seconds=self._clock.now() - began)
        return self

    def _launch(self) -> float:
        with self._lock:
            if self.running:
                raise ServiceError(f"{self.name} is already running (pid {self.pid})")
            if self._child is not None and not self._child.reaped:
                self._child.kill()  # it died on its own: clear up before starting again
            began = self._clock.now()
            if not self._prepared:
                self.workdir.mkdir(parents=True, exist_ok=True)
                self._prepare()
                self._prepared = True
            self._spawn()
            return began

    def _spawn(self) -> None:
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        args = self._arguments()  # subclasses build it (PostgresServer's `command` is empty)
        try:
            self._child = Child.spawn(
                args,
                log_path=self.log_path,
                cwd=self.workdir,
                env=self._env,
                user=self._user,
            )
        except OSError as exc:
            raise ServiceError(f"{self.name}: cannot run {args[0]}: {exc}") from exc

    def _probe_once(self) -> bool:
        return all(check.probe(self) for check in self._ready)

    def _check_progress(self, deadline: float, limit: float) -> None:
        child = self._child
        if child is None:
            raise ServiceError(f"{self.name} is not started")
        if child.exited():
            code = child.kill()
            raise ServiceError(
                f"{self.name} exited with code {code} before it was ready; "
                f"last log lines:\n{self.log_tail()}"
            )
        if self._clock.now() >= deadline:
            raise ServiceError(
                f"{self.name} not ready within {limit:g}s "
                f"(checks: {', '.join(map(repr, self._ready)) or 'none'}); "
                f"last log lines:\n{self.log_tail()}"
            )

    def wait_healthy(self, timeout: float | None = None) -> None:
        """Block until every readiness check passes (bounded by `timeout` or start_timeout).

        Raises:
            ServiceError: the process exited, or the time ran out.
        """
        limit = self.start_timeout if timeout is None else timeout
        deadline = self._clock.now() + limit
        while True:
            self._check_progress(deadline, limit)
            if self._probe_once():
                return
            self._clock.sleep(POLL)

    async def wait_healthy_async(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """`wait_healthy` for asyncio: probes run in a worker thread, the loop stays free."""
        limit = self.start_timeout if timeout is None else timeout
        deadline = self._clock.now() + limit
        while True:
            self._check_progress(deadline, limit)
            if await asyncio.to_thread(self._probe_once):
                return
            await self._clock.sleep_async(POLL)

    def stop(self, timeout: float | None = None) -> None:
        """Ask the process to exit (its stop signal), SIGKILL it after `timeout`.

        Nothing happens if it is not running.
        """
        with self._lock:
            child = self._child
            if child is None or child.reaped:
                return
            if child.paused:
                child.signal(signal.SIGCONT)  # a stopped process cannot act on SIGTERM
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, self.stop_signal)
            child.wait_exit(self.stop_timeout if timeout is None else timeout, self._clock)
            code = child.kill()  # whatever is left, after the timeout too
            self._emit(ServiceStopped, pid=child.pid, returncode=code)

    def kill(self) -> None:
        """SIGKILL the whole process tree, as in a crash or an OOM kill."""
        with self._lock:
            child = self._child
            if child is None or child.reaped:
                raise ServiceError(f"{self.name} is not running")
            child.kill()
            self._emit(ServiceKilled, pid=child.pid)

    def pause(self) -> None:
        """SIGSTOP the process group: sockets stay open, nothing answers."""
        with self._lock:
            self._require_running().signal(signal.SIGSTOP)
            self._emit(ServicePaused)

    def resume(self) -> None:
        """SIGCONT the process group after `pause`."""
        with self._lock:
            self._require_running().signal(signal.SIGCONT)
            self._emit(ServiceResumed)

    @contextlib.contextmanager
    def paused(self) -> Iterator[Self]:
        """Pause for the duration of a `with` block, resuming also on error."""
        self.pause()
        try:
            yield self
        finally:
            if self.running:
                self.resume()

    def restart(self, *, kill: bool = False) -> Self:
        """Stop (or SIGKILL with `kill=True`) and start again on the same port and folder."""
        with self._lock:
            if kill and self.running:
                self.kill()
            else:
                self.stop()
            return self.start()

    def close(self) -> None:
        """Stop the process and remove the folder chaoslab created for it."""
        with self._lock:
            try:
                self.stop()
            finally:
                self._kill()
                if self._own_workdir and self._workdir is not None:
                    shutil.rmtree(self._workdir, ignore_errors=True)
                    _cleanup.forget_dir(self._workdir)

    def __enter__(self) -> Self:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        if not self.running:
            await self.start_async()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.close)  # stopping may wait up to stop_timeout

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.state} {self.url}>"

    # -- process plumbing -------------------------------------------------------------

    def _require_running(self) -> Child:
        if self._child is None or not self.running:
            raise ServiceError(f"{self.name} is not running (state: {self.state})")
        return self._child

    def _kill(self) -> None:
        if self._child is not None:
            self._child.kill()

    def _emit(self, event_type: type[ServiceEvent], pid: int | None = None, **fields: Any) -> None:
        bus = self._events or default_bus()
        if bus.active:
            pid = pid if pid is not None else (self.pid or 0)
            bus.emit(event_type(at=self._clock.now(), source=self.name, pid=pid, **fields))
