"""Process checks shared by the cleanup tests: is a pid still a live process?"""

from __future__ import annotations

import time
from pathlib import Path


def alive(pid: int) -> bool:
    """True while `pid` runs (or is stopped); False once it exited, even unreaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie holds nothing but its pid


def wait_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    """Poll until every pid is gone or `timeout` passes; the pids still alive."""
    deadline = time.monotonic() + timeout
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left
