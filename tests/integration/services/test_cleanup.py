"""Nothing is left running: servers die with the Python process, however it ends.

Each test runs a real Python process that starts Redis and PostgreSQL (with a
client connection, so a PostgreSQL backend exists too, in a session of its
own), pauses them, and then ends: normally, by an uncaught exception, by
SIGTERM, or by SIGKILL. Every server process must be gone afterwards.

Under SIGKILL no Python code runs: the kernel kills the servers it started
(PR_SET_PDEATHSIG) and PostgreSQL's workers exit when they see their postmaster
gone.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

SCRIPT = """
import json, sys, time
import psycopg
from chaoslab.services import PostgresServer, RedisServer
from chaoslab.services._cleanup import descendants

redis_server = RedisServer().start()
postgres = PostgresServer().start()
conn = psycopg.connect(postgres.url)  # a backend process, in a session of its own
pids = [redis_server.pid, postgres.pid, *descendants(postgres.pid)]
if sys.argv[2] == "pause":
    redis_server.pause()
    postgres.pause()
print(json.dumps({"pids": pids, "dirs": [str(redis_server.workdir), str(postgres.workdir)]}))
sys.stdout.flush()
if sys.argv[1] == "raise":
    raise RuntimeError("the test failed")
if sys.argv[1] == "wait":
    time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie holds nothing but its pid


def _wait_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (alive := [p for p in pids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return alive


def _run(ending: str, tmp_path: Path) -> tuple[subprocess.Popen[str], dict[str, list[Any]]]:
    script = tmp_path / "owner.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(script),
            "wait" if ending.startswith("SIG") else ending,
            # Stopped PostgreSQL workers cannot notice their postmaster died: see the
            # limitation in docs/services.md. Every ending the Python code sees pauses.
            "run" if ending == "SIGKILL" else "pause",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=30)
        raise AssertionError(f"the owner script failed:\n{proc.stderr.read()}")  # type: ignore[union-attr]
    started: dict[str, list[Any]] = json.loads(line)
    assert len(started["pids"]) >= 3 + 1  # redis, postmaster, its workers and our backend
    assert all(_alive(p) for p in started["pids"])
    return proc, started


@pytest.mark.parametrize("ending", ["exit", "raise", "SIGTERM", "SIGKILL"])
def test_no_server_process_survives_its_python_process(ending: str, tmp_path: Path) -> None:
    """The owning Python process exits normally, raises, gets SIGTERM or gets SIGKILL:
    every Redis and PostgreSQL process it started (paused ones too, except under SIGKILL)
    is gone."""
    proc, started = _run(ending, tmp_path)
    try:
        if ending.startswith("SIG"):
            proc.send_signal(getattr(signal, ending))
        returncode = proc.wait(timeout=30)
        assert _wait_gone(started["pids"]) == []
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    expected = {"exit": 0, "raise": 1, "SIGTERM": -signal.SIGTERM, "SIGKILL": -signal.SIGKILL}
    assert returncode == expected[ending]
    if ending == "SIGKILL":
        # No Python code ran: the kernel killed the servers, the folders stay behind.
        for folder in started["dirs"]:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        assert [Path(d).exists() for d in started["dirs"]] == [False, False]
