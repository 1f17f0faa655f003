"""Test mode: make retry backoff waits zero for a block, then restore.

Application code keeps its production retry policy; a test suite flips one
process-wide switch instead of patching sleeps. The switch is a plain module
global read once per retry wait (`no_wait()`), so it costs nothing on the
success path and a single global read when a retry is about to wait.

Example:
    >>> from chaoslab.resilience import current_test_mode, testing
    >>> with testing(no_wait=True):
    ...     current_test_mode().no_wait
    True
    >>> current_test_mode().no_wait
    False
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["TestMode", "current_test_mode", "no_wait", "set_test_mode", "testing"]


@dataclass(frozen=True, slots=True)
class TestMode:
    """The test-mode settings in force.

    `no_wait=True` turns every retry backoff wait into zero seconds (the
    retries still happen, in order, and their events still say what the
    wait would have been).
    """

    __test__ = False  # not a pytest test class, despite the name
    no_wait: bool = False


_lock = threading.Lock()
# Read without the lock on the hot path: a single global load is atomic, and
# a retry racing a switch flip waits either the old or the new way, both fine.
_NO_WAIT = False


def no_wait() -> bool:
    """True when retry waits must be skipped (called by the retry strategy per wait)."""
    return _NO_WAIT


def current_test_mode() -> TestMode:
    """The settings in force now."""
    return TestMode(no_wait=_NO_WAIT)


def set_test_mode(*, no_wait: bool) -> TestMode:
    """Switch test mode process-wide; return the previous settings (to restore them).

    Prefer the `testing()` context manager, which restores by itself.
    """
    global _NO_WAIT  # noqa: PLW0603 - the one documented switch, set under a lock
    with _lock:
        previous = TestMode(no_wait=_NO_WAIT)
        _NO_WAIT = no_wait
    return previous


@contextlib.contextmanager
def testing(*, no_wait: bool = True) -> Iterator[TestMode]:  # noqa: PT028 - not a test
    """Turn test mode on for a `with` block and restore the previous settings after.

    Nesting works: the inner block's settings apply inside it, the outer
    ones again after it, also when the block raises.

    Example:
        >>> with testing(no_wait=True) as mode:
        ...     mode
        TestMode(no_wait=True)
    """
    previous = set_test_mode(no_wait=no_wait)
    try:
        yield current_test_mode()
    finally:
        set_test_mode(no_wait=previous.no_wait)


# Imported into a test module, a function named `testing` would be collected
# by pytest as a test; this attribute tells pytest it is not one.
testing.__test__ = False  # type: ignore[attr-defined]
