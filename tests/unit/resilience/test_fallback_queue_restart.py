"""Nothing is lost when the process owning a fallback queue is killed (SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chaoslab.resilience import FallbackQueue

WRITER = """
import sys
from chaoslab.resilience import FallbackQueue

queue = FallbackQueue(sys.argv[1], memory_capacity=5, disk_capacity=20)
tiers = [queue.put({"job": n}) for n in range(30)]
print(",".join(tiers), flush=True)
sys.stdin.read()  # wait to be killed, holding the queue open
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_killed_writer_loses_nothing_and_a_new_queue_drains_in_order(tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        tiers = writer.stdout.readline().strip().split(",")
        assert tiers == ["memory"] * 5 + ["disk"] * 20 + ["dead_letter"] * 5
        os.kill(writer.pid, signal.SIGKILL)  # no cleanup, no close(), no atexit
        assert writer.wait(30) == -signal.SIGKILL
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(30)
        for stream in (writer.stdin, writer.stdout):
            if stream is not None:
                stream.close()

    with FallbackQueue(tmp_path, memory_capacity=5, disk_capacity=20) as queue:
        assert (queue.memory_size, queue.disk_size) == (5, 20)
        delivered: list[object] = []
        result = queue.drain(delivered.append)
        assert delivered == [{"job": n} for n in range(25)]
        assert result.remaining == 0
        assert [d.item for d in queue.dead_letters()] == [{"job": n} for n in range(25, 30)]
