"""Test helper: wait for other threads to reach a state."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], limit: float = 10.0) -> None:
    """Poll `condition` until it holds, failing after `limit` real seconds.

    A bounded poll of a state, never a fixed sleep: the tests using it check
    states (queued, pending, started), not timings, so a slow machine only
    makes them wait longer.
    """
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "other threads never reached the expected state"
        time.sleep(0.001)  # the poll interval, not a wait for luck
