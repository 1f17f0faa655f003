"""Guaranteed cleanup of server processes: atexit, SIGTERM/SIGHUP, parent death.

Three layers, because each covers a way of ending the others miss:

- context managers and fixture finalizers stop a service on the normal path,
  on test failure and on KeyboardInterrupt;
- a process-wide set of live process groups, killed at interpreter exit
  (`atexit`) and on SIGTERM/SIGHUP (a handler that chains to the previous one);
- on Linux, `PR_SET_PDEATHSIG` makes the kernel kill a server started from the
  main thread when the Python process dies without running any Python code
  (SIGKILL, a crash); a watchdog process (`_watchdog`) kills the workers that
  were paused at that moment, which could not notice by themselves.

The set is the one process-wide registry of this package; it only ever holds
process-group ids of children this process started.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from chaoslab.services import _watchdog

__all__ = [
    "descendants",
    "forget",
    "forget_dir",
    "kill_all",
    "parent_death_signal",
    "signal_tree",
    "track",
    "track_dir",
]

# Reentrant: the SIGTERM handler runs kill_all() on the main thread, possibly while
# that very thread is inside track() or forget().
_lock = threading.RLock()
_groups: set[int] = set()
_dirs: set[Path] = set()
_installed = False
_previous: dict[int, signal.Handlers | Callable[[int, FrameType | None], object] | int | None] = {}

_PR_SET_PDEATHSIG = 1
_PROC = Path("/proc")


def kill_all() -> None:
    """SIGKILL every tracked process group, then remove the tracked temporary folders."""
    with _lock:
        groups, dirs = list(_groups), list(_dirs)
        _groups.clear()
        _dirs.clear()
    for pgid in groups:
        # SIGKILL also ends stopped (paused) processes: no SIGCONT needed.
        signal_tree(pgid, signal.SIGKILL)
    for folder in dirs:
        shutil.rmtree(folder, ignore_errors=True)
    _watchdog.shutdown()


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    if _PROC.is_dir():
        for entry in _PROC.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # exited while we looked
            # The command name is in parentheses and may hold spaces: split after it.
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        return children
    # No /proc (macOS, BSD): ask ps, which every POSIX system has.
    listing = subprocess.run(
        ["ps", "-A", "-o", "pid=", "-o", "ppid="],  # noqa: S607 - ps from PATH, fixed args
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    ).stdout
    for line in listing.splitlines():
        pid, ppid = (int(n) for n in line.split())
        children.setdefault(ppid, []).append(pid)
    return children


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (from /proc on Linux, from `ps` elsewhere)."""
    children = _children_by_parent()
    found: list[int] = []
    stack = list(children.get(pid, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children.get(child, []))
    return found


def signal_tree(pid: int, signum: int) -> list[int]:
    """Send `signum` to `pid`, its process group and every descendant; return the pids.

    Servers such as PostgreSQL put each worker in a session of its own, so the
    process group alone does not reach them. The leader is stopped first so it
    cannot fork while its tree is collected; SIGCONT goes to the workers first.
    """

    def send(target: int, sig: int, *, group: bool = False) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            (os.killpg if group else os.kill)(target, sig)

    if signum == signal.SIGCONT:
        children = descendants(pid)
        for child in children:
            send(child, signum)
        send(pid, signum, group=True)
        return [pid, *children]
    send(pid, signal.SIGSTOP)
    children = descendants(pid)
    for child in children:
        send(child, signum)
    send(pid, signum, group=True)
    if signum != signal.SIGSTOP:
        send(pid, signal.SIGCONT)  # the leader must run again to act on a catchable signal
    return [pid, *children]


def _on_signal(signum: int, frame: FrameType | None) -> None:
    kill_all()
    previous = _previous.get(signum)
    if callable(previous):
        previous(signum, frame)
        return
    if previous == signal.SIG_IGN:
        return
    # Default action: die of the same signal, so the exit status stays truthful.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install() -> None:
    global _installed  # noqa: PLW0603 - installed once per process, under the lock
    if _installed:
        return
    _installed = True
    atexit.register(kill_all)
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    for signum in (signal.SIGTERM, signal.SIGHUP):
        _previous[signum] = signal.getsignal(signum)
        signal.signal(signum, _on_signal)


def track(pgid: int) -> None:
    """Remember a live process group, to kill at exit or on SIGTERM/SIGHUP."""
    with _lock:
        _install()
        _groups.add(pgid)


def forget(pgid: int) -> None:
    """The group is gone (stopped or killed by its owner): stop tracking it."""
    with _lock:
        _groups.discard(pgid)


def track_dir(folder: Path) -> None:
    """Remember a temporary folder to remove at exit if its owner does not."""
    with _lock:
        _install()
        _dirs.add(folder)


def forget_dir(folder: Path) -> None:
    """The folder was removed by its owner: stop tracking it."""
    with _lock:
        _dirs.discard(folder)


def parent_death_signal() -> Callable[[], None] | None:
    """A `preexec_fn` asking the kernel to SIGKILL the child when we die, or None.

    Only on Linux, and only from the main thread: the kernel ties the signal to
    the thread that forked, and a worker thread exiting would kill the server.
    """
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        # The parent may have died between fork and prctl: then nobody would signal us.
        if os.getppid() != parent:
            os._exit(1)

    return preexec
