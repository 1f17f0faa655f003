"""`PostgresServer`: a real PostgreSQL cluster on a free loopback port, in a temporary folder.

PostgreSQL refuses to run as root. Under root, initdb and postgres run as an
unprivileged account (see `service_user`) that owns the data folder; the
parent keeps root and still signals the whole process group.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from chaoslab.clock import Clock
from chaoslab.errors import ServiceError
from chaoslab.observe import EventBus
from chaoslab.services._binaries import binaries_for, find_postgres_bin, service_user
from chaoslab.services._process import ProcessService, free_port
from chaoslab.services._readiness import PgAcceptsConnections

__all__ = ["PostgresServer"]

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_INITDB_TIMEOUT = 120.0

# Test-server settings: fsync off is safe against a killed server process (the
# kernel keeps what was written), only an OS crash could lose data.
_DEFAULTS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "fsync": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "200",
}


class PostgresServer(ProcessService):
    """A PostgreSQL server child process, with a fresh cluster made by initdb.

    `settings` are passed as `-c name=value` (they override chaoslab's test
    defaults: loopback only, no unix socket, fsync off, 200 connections).
    Superuser `postgres`, trust authentication on loopback.

    Example:
        >>> import psycopg  # doctest: +SKIP
        >>> with PostgresServer(settings={"statement_timeout": "2s"}) as pg:  # doctest: +SKIP
        ...     pg.create_database("app")
        ...     with psycopg.connect(pg.url_for("app")) as conn:
        ...         conn.execute("select 1")
    """

    stop_signal = signal.SIGINT  # "fast" shutdown: ends sessions instead of waiting for them
    scheme = "postgresql"

    def __init__(
        self,
        *,
        bin_dir: str | Path | None = None,
        port: int | None = None,
        workdir: str | Path | None = None,
        settings: Mapping[str, str] | None = None,
        name: str = "postgres",
        start_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        events: EventBus | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._bin_dir = Path(bin_dir) if bin_dir is not None else find_postgres_bin()
        self._settings = {**_DEFAULTS, **(settings or {})}
        super().__init__(
            [],
            name=name,
            ready=PgAcceptsConnections(),
            port=port,
            workdir=workdir,
            start_timeout=start_timeout,
            stop_timeout=stop_timeout,
            events=events,
            clock=clock,
        )
        if self._port is None:
            self._port, self._auto_port = free_port(), True

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory (kept across restarts)."""
        return self.workdir / "data"

    @property
    def bin_dir(self) -> Path:
        """The folder of the postgres and initdb binaries in use."""
        return self._bin_dir

    @property
    def url(self) -> str:
        """`postgresql://postgres@127.0.0.1:<port>/postgres`."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        """The URL of one database of this server."""
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def _prepare(self) -> None:
        self._user = service_user()
        cache = Path(tempfile.gettempdir()) / "chaoslab-pg-bin"
        self._bin_dir = binaries_for(self._user, self._bin_dir, cache)
        if self._user is not None:
            os.chown(self.workdir, self._user.uid, self._user.gid)
        if (self.data_dir / "PG_VERSION").exists():
            return  # an existing cluster (a workdir given by the caller): reuse it
        command = [
            str(self._bin_dir / "initdb"),
            *("-D", str(self.data_dir), "-U", "postgres", "--auth=trust"),
            *("-E", "UTF8", "--locale=C", "--no-sync"),
        ]
        user = self._user
        try:
            subprocess.run(  # noqa: S603 - our own binary and arguments
                command,
                check=True,
                capture_output=True,
                timeout=_INITDB_TIMEOUT,
                cwd=self.workdir,
                user=user.uid if user else None,
                group=user.gid if user else None,
                extra_groups=[] if user else None,
            )
        except subprocess.CalledProcessError as exc:
            output = (exc.stdout + exc.stderr).decode(errors="replace")
            raise ServiceError(f"initdb failed (exit {exc.returncode}):\n{output}") from exc
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ServiceError(f"initdb could not run: {exc}") from exc

    def _arguments(self) -> list[str]:
        args = [str(self._bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port)]
        for key, value in self._settings.items():
            args += ["-c", f"{key}={value}"]
        return args

    def execute(self, sql: str, *, database: str = "postgres") -> None:
        """Run one statement in autocommit mode (needs psycopg)."""
        import psycopg

        with psycopg.connect(self.url_for(database), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.encode())

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create a database (copied from `template` if given) and return its URL."""
        for value in (name, template):
            if value is not None and not _NAME.fullmatch(value):
                raise ServiceError(f"invalid database name {value!r}: use [a-z_][a-z0-9_]*")
        clause = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        self.execute(f"CREATE DATABASE {name}{clause}")
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting its sessions first."""
        if not _NAME.fullmatch(name):
            raise ServiceError(f"invalid database name {name!r}")
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
