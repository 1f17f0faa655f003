"""A watchdog process for paused servers, in case we die without running Python code.

A stopped (SIGSTOPped) process cannot notice anything: when the Python process
that paused a PostgreSQL server is SIGKILLed, the kernel kills the postmaster
(PR_SET_PDEATHSIG), but the stopped workers would stay stopped forever. So the
first `pause()` starts one small watchdog process, told over a pipe which pids
are stopped right now. When the pipe closes without a goodbye, its owner died:
it SIGKILLs those pids. The list only ever holds stopped processes (which
cannot exit, so their pids cannot be reused); on a normal exit it is told
goodbye and kills nothing.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterable
from typing import IO

__all__ = ["guard", "release", "shutdown"]

_SCRIPT = """
import os, signal, sys
pids = set()
for line in sys.stdin:
    op, _, rest = line.partition(" ")
    if op.strip() == "bye":
        sys.exit(0)
    numbers = {int(p) for p in rest.split()}
    if op == "add":
        pids |= numbers
    elif op == "del":
        pids -= numbers
for pid in pids:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
"""

_lock = threading.RLock()  # reentrant: shutdown() may run in a signal handler
_process: subprocess.Popen[str] | None = None


def _send(line: str, *, start: bool) -> None:
    global _process  # noqa: PLW0603 - one watchdog per process, under the lock
    with _lock:
        if _process is None:
            if not start:
                return
            # Its own session: a Ctrl-C or SIGTERM for our process group spares it.
            _process = subprocess.Popen(  # noqa: S603 - our interpreter, our script
                [sys.executable, "-c", _SCRIPT],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
        stdin: IO[str] | None = _process.stdin
        if stdin is not None:
            with contextlib.suppress(BrokenPipeError, ValueError):
                stdin.write(line + "\n")
                stdin.flush()


def guard(pids: Iterable[int]) -> None:
    """These processes were just stopped: kill them if we die before resuming them."""
    numbers = " ".join(map(str, pids))
    if numbers:
        _send(f"add {numbers}", start=True)


def release(pids: Iterable[int]) -> None:
    """These processes were resumed or killed by us: forget them."""
    numbers = " ".join(map(str, pids))
    if numbers:
        _send(f"del {numbers}", start=False)


def shutdown() -> None:
    """Stop the watchdog on a normal exit, after every guarded pid was released."""
    global _process
    with _lock:
        process, _process = _process, None
    if process is None:
        return
    if process.stdin is not None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            process.stdin.write("bye\n")
            process.stdin.close()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
