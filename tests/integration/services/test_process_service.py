"""ProcessService against real child processes: readiness, signals, restarts, errors, events."""

from __future__ import annotations

import asyncio
import http.client
import socket
import sys
from pathlib import Path

import pytest

from chaoslab.errors import ServiceError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.services import (
    HttpOk,
    LogLine,
    PortOpen,
    PostgresServer,
    ProcessService,
    RedisServer,
    ServiceEvent,
    ServiceKilled,
    ServicePaused,
    ServiceResumed,
    ServiceStarted,
    ServiceStopped,
)

HTTP_SERVER = [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"]


def state_of(service: ProcessService) -> str:
    # A function, so that the type checker does not narrow the property between calls.
    return service.state


def _get(port: int, timeout: float = 2.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status
    finally:
        conn.close()


def test_http_service_starts_healthy_pauses_resumes_and_emits_events() -> None:
    """An HTTP server command: healthy on HTTP 200; paused it holds the port but answers
    nothing (the client times out); resumed it answers again; every step is an event."""
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    with ProcessService(HTTP_SERVER, name="web", ready=HttpOk("/"), events=bus) as web:
        assert web.port is not None
        assert web.running
        assert _get(web.port) == 200
        with web.paused():
            assert state_of(web) == "paused"
            assert PortOpen().probe(web)  # the kernel still accepts the connection...
            with pytest.raises(TimeoutError):
                _get(web.port, timeout=0.3)  # ...but nobody answers
        assert _get(web.port) == 200
        pid = web.pid
    assert state_of(web) == "stopped"
    kinds = [type(e) for e in recorder.events]
    assert kinds == [ServiceStarted, ServicePaused, ServiceResumed, ServiceStopped]
    assert all(e.source == "web" and e.pid == pid for e in recorder.of_type(ServiceEvent))
    assert len(recorder.of_type(ServiceEvent)) == 4
    started = recorder.of_type(ServiceStarted)[0]
    assert started.url == f"tcp://127.0.0.1:{web.port}"
    assert started.seconds > 0


def test_kill_then_start_reuses_the_port_and_folder() -> None:
    """kill -9 then start: same port, same working folder, new process; events say so."""
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    with ProcessService(HTTP_SERVER, name="web", ready=PortOpen(), events=bus) as web:
        port, folder, first = web.port, web.workdir, web.pid
        web.kill()
        assert state_of(web) == "stopped"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port or 0), timeout=1).close()
        web.start()
        assert (web.port, web.workdir) == (port, folder)
        assert web.pid != first
        assert _get(web.port or 0) == 200
    assert not folder.exists()  # close() removed the folder it created
    assert [e.kind for e in recorder.events] == [
        "service.started",
        "service.killed",
        "service.started",
        "service.stopped",
    ]
    assert isinstance(recorder.events[1], ServiceKilled)


def test_log_line_readiness_and_captured_logs_across_restarts() -> None:
    """Readiness by log line: only this start's output counts; logs keep every start."""
    script = "import time; print('warming up'); print('READY', flush=True); time.sleep(60)"
    service = ProcessService([sys.executable, "-c", script], name="worker", ready=LogLine("READY"))
    with service:
        assert service.port is None
        service.restart()
        assert service.logs(since_start=True).count("READY") == 1
        assert service.logs().count("READY") == 2
        assert service.log_tail(1) == "READY"


def test_process_that_exits_early_raises_service_error_with_its_log_tail() -> None:
    """A command that dies before it is ready: a ServiceError naming the exit code and
    quoting the log, not a hang."""
    script = "import sys; print('config error: no such option --bogus'); sys.exit(3)"
    service = ProcessService([sys.executable, "-c", script], name="broken", ready=LogLine("never"))
    with pytest.raises(ServiceError, match=r"exited with code 3(.|\n)*no such option --bogus"):
        service.start()
    service.close()


def test_process_never_ready_raises_service_error_after_start_timeout() -> None:
    """A process that runs but never gets ready: ServiceError after start_timeout, with the
    checks tried and the log; the process is killed, not left behind."""
    script = "import time; print('stuck', flush=True); time.sleep(60)"
    service = ProcessService(
        [sys.executable, "-c", script], name="stuck", ready=LogLine("READY"), start_timeout=0.5
    )
    with pytest.raises(ServiceError, match=r"not ready within 0.5s(.|\n)*LogLine(.|\n)*stuck"):
        service.start()
    assert state_of(service) == "stopped"
    service.close()


def test_missing_binary_and_misuse_raise_service_errors(tmp_path: Path) -> None:
    """A binary that does not exist, a double start, a kill when stopped: clear errors."""
    with pytest.raises(ServiceError, match="cannot run"):
        ProcessService([str(tmp_path / "no-such-binary")], workdir=tmp_path).start()
    with ProcessService(HTTP_SERVER, ready=PortOpen(), workdir=tmp_path) as web:
        with pytest.raises(ServiceError, match="already running"):
            web.start()
        web.stop()
        with pytest.raises(ServiceError, match="not running"):
            web.kill()
        with pytest.raises(ServiceError, match="not running"):
            web.pause()
    assert tmp_path.exists()  # a folder given by the caller is left alone


def test_stop_escalates_to_sigkill_when_the_process_ignores_sigterm() -> None:
    """A process that ignores SIGTERM is killed after stop_timeout; stop() never hangs."""
    script = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('READY', flush=True); time.sleep(60)"
    )
    bus, recorder = EventBus(), EventRecorder()
    service = ProcessService(
        [sys.executable, "-c", script], ready=LogLine("READY"), stop_timeout=0.3, events=bus
    )
    bus.subscribe(recorder)
    with service:
        pass
    (stopped,) = recorder.of_type(ServiceStopped)
    assert stopped.returncode == -9


async def test_start_async_keeps_the_event_loop_free_while_waiting_healthy() -> None:
    """`async with` starts with start_async, which probes in a thread: other tasks run
    while the service gets ready; leaving the block stops it."""
    script = "import time; time.sleep(0.3); print('READY', flush=True); time.sleep(60)"
    service = ProcessService([sys.executable, "-c", script], ready=LogLine("READY"))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(100_000):
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    try:
        async with service:
            assert state_of(service) == "running"
            assert ticks > 10  # the loop kept running during the 0.3 s wait
    finally:
        task.cancel()
    assert state_of(service) == "stopped"


@pytest.mark.parametrize("kind", ["redis", "postgres"])
def test_first_start_moves_to_another_port_when_someone_took_the_picked_one(kind: str) -> None:
    """Another process binds the free port chaoslab picked before the server does: the
    first start retries on a new port instead of failing. An explicit port never moves."""
    server: ProcessService = RedisServer() if kind == "redis" else PostgresServer()
    taken = server.port
    assert taken is not None
    with socket.create_server(("127.0.0.1", taken)), server:
        assert server.port != taken
        assert server.running

    with socket.create_server(("127.0.0.1", 0)) as blocker:
        explicit = RedisServer(port=blocker.getsockname()[1])
        with pytest.raises(ServiceError, match="Address already in use"):
            explicit.start()
        explicit.close()
