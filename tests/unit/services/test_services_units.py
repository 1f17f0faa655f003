"""Unit tests of chaoslab.services that start no server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from chaoslab import services
from chaoslab.errors import ServiceError
from chaoslab.services import (
    SERVICE_USER_ENV,
    HttpOk,
    LogLine,
    PgAcceptsConnections,
    PortOpen,
    PostgresServer,
    ProcessService,
    RedisPong,
    ServiceKilled,
    ServiceStarted,
    _cleanup,
    free_port,
    service_user,
)
from chaoslab.services._binaries import ServiceUser, binaries_for
from chaoslab.services._cleanup import descendants


def test_public_names_are_exactly_the_sorted_all() -> None:
    """`__all__` is what users get: every public name, once (ruff keeps it sorted)."""
    # ("@py_builtins": pytest's assertion rewriting touches plugin packages.)
    public = {n for n in dir(services) if not n.startswith(("_", "@"))}
    assert set(services.__all__) == public
    assert len(services.__all__) == len(set(services.__all__))


def test_events_are_frozen_and_flatten_with_their_kind() -> None:
    event = ServiceStarted(at=1.0, source="redis", pid=7, url="redis://x", seconds=0.2)
    assert event.to_dict() == {
        "kind": "service.started",
        "at": 1.0,
        "source": "redis",
        "pid": 7,
        "url": "redis://x",
        "seconds": 0.2,
    }
    assert ServiceKilled(at=0, source="pg", pid=1).kind == "service.killed"
    with pytest.raises(FrozenInstanceError):
        event.pid = 8  # type: ignore[misc]


class _Stub:
    """What a readiness check sees of a service."""

    def __init__(self, port: int | None, log: str = "", since: str = "") -> None:
        self.host = "127.0.0.1"
        self.port = port
        self._log, self._since = log, since

    def logs(self, *, since_start: bool = False) -> str:
        return self._since if since_start else self._log


def test_log_line_only_counts_output_of_the_current_start() -> None:
    stub = _Stub(None, log="READY\nrestarting\n", since="restarting\n")
    assert not LogLine("READY").probe(stub)
    assert LogLine(r"restart\w+").probe(stub)


def test_port_checks_need_a_port_and_fail_on_a_closed_one() -> None:
    port = free_port()  # closed again once returned
    assert not PortOpen().probe(_Stub(port))
    assert not HttpOk().probe(_Stub(port))
    with pytest.raises(ValueError, match="needs a port"):
        PortOpen().probe(_Stub(None))


@pytest.fixture
def one_shot_server() -> Iterator[tuple[int, list[bytes], list[bytes]]]:
    """A loopback server answering each connection with the next queued reply."""
    listener = socket.create_server(("127.0.0.1", 0))
    replies: list[bytes] = []
    received: list[bytes] = []

    stop = threading.Event()

    def serve() -> None:
        while True:
            conn, _ = listener.accept()
            with conn:
                if stop.is_set():
                    return
                received.append(conn.recv(1024))
                conn.sendall(replies.pop(0) if replies else b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port: int = listener.getsockname()[1]
    yield port, replies, received
    stop.set()
    socket.create_connection(("127.0.0.1", port)).close()  # wakes accept() to see `stop`
    thread.join(timeout=5)
    listener.close()


def test_redis_pong_probe_speaks_resp(
    one_shot_server: tuple[int, list[bytes], list[bytes]],
) -> None:
    port, replies, received = one_shot_server
    replies += [b"-LOADING Redis is loading the dataset in memory\r\n", b"+PONG\r\n"]
    assert not RedisPong().probe(_Stub(port))  # still replaying its AOF
    assert RedisPong().probe(_Stub(port))
    assert received == [b"PING\r\n", b"PING\r\n"]


def test_postgres_probe_sends_a_startup_message_and_wants_an_auth_reply(
    one_shot_server: tuple[int, list[bytes], list[bytes]],
) -> None:
    port, replies, received = one_shot_server
    replies += [b"E\x00\x00\x00\x10starting up", b"R\x00\x00\x00\x08\x00\x00\x00\x00"]
    assert not PgAcceptsConnections().probe(_Stub(port))
    assert PgAcceptsConnections().probe(_Stub(port))
    assert received[0][4:8] == (196608).to_bytes(4, "big")  # protocol 3.0
    assert b"user\x00postgres\x00database\x00postgres\x00" in received[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="the service user only matters under root")
def test_service_user_under_root_is_unprivileged_and_a_bad_name_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SERVICE_USER_ENV, raising=False)
    user = service_user()
    assert user is not None
    assert user.uid != 0
    monkeypatch.setenv(SERVICE_USER_ENV, "no-such-user-chaoslab")
    with pytest.raises(ServiceError, match="no such user"):
        service_user()


def test_binaries_outside_an_installation_are_refused_not_copied_into_themselves(
    tmp_path: Path,
) -> None:
    """A bin_dir that is not an installation's bin/ (here its "installation" would
    be tmp_path itself, which holds the cache): a clear error, and nothing copied
    (the copy used to recurse into itself until the file names grew too long)."""
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "postgres").write_bytes(b"")
    (loose / "postgres").chmod(0o700)  # not runnable by the service user: a copy is due
    user = ServiceUser(name="nobody", uid=65534, gid=65534)
    with pytest.raises(ServiceError, match="not a PostgreSQL installation's bin folder"):
        binaries_for(user, loose, tmp_path / "cache")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loose"]


def test_a_subclass_whose_binary_cannot_run_gets_a_clear_error(tmp_path: Path) -> None:
    """A service that builds its command in `_arguments` (as PostgresServer does,
    with an empty `command`) names the binary it could not run (was an IndexError)."""

    class Built(ProcessService):
        def _arguments(self) -> list[str]:
            return [str(tmp_path / "no-such-server"), "--port", "1"]

    with pytest.raises(ServiceError, match=r"cannot run .*no-such-server"):
        Built([], name="built", workdir=tmp_path).start()


def test_database_names_are_validated_before_any_sql(tmp_path: Path) -> None:
    server = PostgresServer(bin_dir=tmp_path)  # never started: nothing runs
    with pytest.raises(ServiceError, match="invalid database name"):
        server.create_database("x; drop database postgres")
    with pytest.raises(ServiceError, match="invalid database name"):
        server.create_database("ok", template="Bad-Name")
    assert server.url == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
    assert server.state == "new"


@pytest.mark.parametrize("source", ["proc", "ps"])
def test_descendants_finds_grandchildren(
    source: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The process tree, read from /proc (Linux) or from `ps` (systems without /proc)."""
    if source == "ps":
        monkeypatch.setattr(_cleanup, "_PROC", tmp_path / "no-proc")
    script = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
        "print('up', flush=True); time.sleep(30)"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"up\n"
        tree = descendants(os.getpid())
        assert child.pid in tree
        grandchildren = descendants(child.pid)
        assert len(grandchildren) == 1
        assert set(grandchildren) <= set(tree)
    finally:
        for pid in descendants(child.pid):
            os.kill(pid, 9)
        child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()
