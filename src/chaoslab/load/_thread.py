"""Running a load in a thread of its own, for synchronous callers; the event loop choice.

Example:
    >>> from chaoslab.load import CallableTarget, LoadGenerator, OpenLoop
    >>> async def ok() -> None: ...
    >>> thread = LoadGenerator(CallableTarget(ok), OpenLoop(rate=200), duration=0.2,
    ...                        max_requests=20).start_in_thread()
    >>> thread.join().overall.requests
    20
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaoslab.load._generator import LoadGenerator, LoadRun
    from chaoslab.load._result import LoadResult
    from chaoslab.load._series import Snapshot

__all__ = ["LoadThread", "loop_factory"]


def loop_factory(use_uvloop: bool) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when asked for and installed, else None (asyncio's default)."""
    if not use_uvloop:
        return None
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


class LoadThread:
    """A load run on its own event loop in a daemon thread, for synchronous code.

    Made by `LoadGenerator.start_in_thread()` (see the module's example);
    `snapshot()` and `stop()` are safe from any thread.
    """

    def __init__(self, gen: LoadGenerator, *, use_uvloop: bool = True) -> None:
        self._gen = gen
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._run: LoadRun | None = None
        self._result: LoadResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._main, args=(use_uvloop,), name=f"load {gen.name}", daemon=True
        )
        self._thread.start()
        self._ready.wait()

    def _main(self, use_uvloop: bool) -> None:
        try:
            with asyncio.Runner(loop_factory=loop_factory(use_uvloop)) as runner:
                self._result = runner.run(self._drive())
        except BaseException as exc:  # noqa: BLE001 - handed to the joining thread
            self._error = exc
        finally:
            self._ready.set()

    async def _drive(self) -> LoadResult:
        self._loop = asyncio.get_running_loop()
        self._run = self._gen.start()
        self._ready.set()
        return await self._run.wait()

    @property
    def run(self) -> LoadRun:
        """The live run (for `snapshot()`)."""
        if self._run is None:
            raise RuntimeError(f"the load thread failed to start: {self._error!r}")
        return self._run

    def snapshot(self, window: float = 5.0) -> Snapshot:
        """Live metrics over the last `window` seconds."""
        return self.run.snapshot(window)

    def stop(self) -> None:
        """Ask the run to stop (thread-safe); `join()` to wait for it."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.run.stop)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds for the run to end; True once it has.

        A display refreshing until the end waits on this, not on a fixed
        sleep: it wakes as soon as the run is over.
        """
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def join(self, timeout: float | None = None) -> LoadResult:
        """Wait for the end and return the result (re-raising a failure of the run)."""
        if not self.wait(timeout):
            raise TimeoutError(f"load {self._gen.name!r} still running after {timeout} s")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result
