"""Nothing is left running: servers die with the Python process, however it ends.

Each test runs a real Python process that starts Redis and PostgreSQL (with a
client connection, so a PostgreSQL backend exists too, in a session of its
own), pauses them, and then ends: normally, by an uncaught exception, by
SIGTERM, or by SIGKILL. Every server process must be gone afterwards.

Under SIGKILL no Python code runs: the kernel kills the servers it started
(PR_SET_PDEATHSIG), and the watchdog kills the paused PostgreSQL workers, which
cannot notice their postmaster is gone.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ._procs import alive, wait_gone

SCRIPT = """
import json, sys
import psycopg
from chaoslab.services import PostgresServer, RedisServer
from chaoslab.services._cleanup import descendants

redis_server = RedisServer().start()
postgres = PostgresServer().start()
conn = psycopg.connect(postgres.url)  # a backend process, in a session of its own
stable = [redis_server.pid, postgres.pid, conn.info.backend_pid]
pids = sorted({*stable, *descendants(postgres.pid)})
redis_server.pause()
postgres.pause()
dirs = [str(redis_server.workdir), str(postgres.workdir)]
print(json.dumps({"stable": stable, "pids": pids, "dirs": dirs}), flush=True)
sys.stdin.readline()  # the test checks everything runs, then says how to end
if sys.argv[1] == "raise":
    raise RuntimeError("the test failed")
"""


@pytest.mark.parametrize("ending", ["exit", "raise", "SIGTERM", "SIGKILL"])
def test_no_server_process_survives_its_python_process(ending: str, tmp_path: Path) -> None:
    """The owning Python process exits normally, raises, gets SIGTERM or gets SIGKILL:
    every Redis and PostgreSQL process it started, all of them paused, is gone."""
    script = tmp_path / "owner.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), ending],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.stdout, proc.stderr
        assert out is not None
        assert err is not None
        line = out.readline()
        assert line, f"the owner script failed:\n{proc.wait(timeout=30)} {err.read()}"
        started: dict[str, list[Any]] = json.loads(line)
        assert all(alive(p) for p in started["stable"])  # redis, postmaster, a backend
        assert len(started["pids"]) >= 6  # with the postmaster's workers

        if ending.startswith("SIG"):
            proc.send_signal(getattr(signal, ending))
        else:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        returncode = proc.wait(timeout=30)
        assert wait_gone(started["pids"]) == []
    finally:
        proc.kill()
        proc.communicate()
    expected = {"exit": 0, "raise": 1, "SIGTERM": -signal.SIGTERM, "SIGKILL": -signal.SIGKILL}
    assert returncode == expected[ending]
    if ending == "SIGKILL":
        # No Python code ran: the kernel killed the servers, the folders stay behind.
        for folder in started["dirs"]:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        assert [Path(d).exists() for d in started["dirs"]] == [False, False]
