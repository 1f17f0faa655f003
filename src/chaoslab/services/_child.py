"""`Child`: one spawned server process, its log file, and the signals that reach its tree."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from chaoslab.clock import Clock
from chaoslab.services import _cleanup, _watchdog
from chaoslab.services._binaries import ServiceUser

__all__ = ["Child"]

POLL = 0.02  # seconds between exit checks


class Child:
    """A running (or finished) child process in a session of its own.

    Every signal goes to the whole tree (see `_cleanup.signal_tree`). The
    leader is reaped only once its tree has been signalled, so its pid, which is
    also the group id, cannot be reused by an unrelated process meanwhile.
    """

    def __init__(self, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        self.proc = proc
        self.log = log
        self.paused = False
        self._stopped: list[int] = []  # paused by us: the watchdog guards them
        _cleanup.track(proc.pid)

    @classmethod
    def spawn(
        cls,
        args: Sequence[str],
        *,
        log_path: Path,
        cwd: Path,
        env: Mapping[str, str],
        user: ServiceUser | None,
    ) -> Child:
        """Start `args` with stdout and stderr appended to `log_path`.

        Raises:
            OSError: the command could not be run.
        """
        log = log_path.open("ab")
        try:
            proc = subprocess.Popen(  # noqa: S603 - the command is the caller's own
                list(args),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env={**os.environ, **env},
                start_new_session=True,
                user=user.uid if user else None,
                group=user.gid if user else None,
                extra_groups=[] if user else None,
                preexec_fn=_cleanup.parent_death_signal(),  # noqa: PLW1509 - prctl only
            )
        except OSError:
            log.close()
            raise
        return cls(proc, log)

    @property
    def pid(self) -> int:
        """The leader's process id."""
        return self.proc.pid

    @property
    def reaped(self) -> bool:
        """True once we collected its exit status (stopped or killed by us)."""
        return self.proc.returncode is not None

    def exited(self) -> bool:
        """True when the leader has exited, reaped or not (looks without reaping)."""
        if self.reaped:
            return True
        return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def wait_exit(self, timeout: float, clock: Clock) -> bool:
        """Wait up to `timeout` seconds for the leader to exit; False if it did not."""
        deadline = clock.now() + timeout
        while not self.exited():
            if clock.now() >= deadline:
                return False
            clock.sleep(POLL)
        return True

    def signal(self, signum: signal.Signals) -> list[int]:
        """Send `signum` to the whole tree (nothing once reaped); return the pids reached."""
        if self.reaped:
            return []
        pids = _cleanup.signal_tree(self.pid, signum)
        if signum == signal.SIGSTOP:
            _watchdog.guard(pids)
            self._stopped += pids
            self.paused = True
        elif signum == signal.SIGCONT:
            self._release()
        return pids

    def kill(self) -> int | None:
        """SIGKILL what is left of the tree, reap the leader, close the log; the exit code."""
        if not self.reaped:
            _cleanup.signal_tree(self.pid, signal.SIGKILL)
            self.proc.wait()
        _cleanup.forget(self.pid)
        self._release()
        self.log.close()
        return self.proc.returncode

    def _release(self) -> None:
        _watchdog.release(self._stopped)
        self._stopped = []
        self.paused = False
