"""A real SIGINT/SIGTERM to a `chaoslab run` child: rollbacks, journal, no fault left."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from chaoslab.experiment import read_journal
from tests.integration.experiment.conftest import ProxyApi


def experiment(api: str, marker: Path) -> dict[str, object]:
    return {
        "title": "interrupt me",
        "description": "a toxic, then a long wait",
        "extensions": [{"name": "chaoslab", "proxy-url": api}],
        "method": [
            {
                "type": "action",
                "name": "slow-redis",
                "provider": {
                    "type": "chaoslab",
                    "module": "proxy",
                    "func": "add_toxic",
                    "arguments": {
                        "proxy": "redis",
                        "type": "latency",
                        "name": "slow",
                        "attributes": {"latency": 500},
                    },
                },
            },
            {
                "type": "action",
                "name": "wait",
                "pauses": {"after": 60},
                "provider": {"type": "process", "path": "true"},
            },
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "mark",
                "provider": {"type": "process", "path": "touch", "arguments": [str(marker)]},
            }
        ],
    }


def wait_for_output(child: subprocess.Popen[str], text: str, timeout: float = 20.0) -> str:
    """The child's output up to the first that holds `text`; bounded in time, no sleep."""
    assert child.stdout is not None
    fd = child.stdout.fileno()  # raw reads: nothing is left in the wrapper's buffer
    seen = ""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while text not in seen and (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                break
            chunk = os.read(fd, 65536)
            if not chunk:  # the child ended
                break
            seen += chunk.decode(errors="replace")
    assert text in seen, f"the child never printed {text!r}; it printed: {seen!r}"
    return seen


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_interrupts_rolls_back_and_writes_journal(
    proxy_api: ProxyApi, tmp_path: Path, signum: signal.Signals
) -> None:
    marker = tmp_path / "rolled-back"
    file = tmp_path / "exp.json"
    file.write_text(json.dumps(experiment(proxy_api.url, marker)))
    journal_path = tmp_path / "journal.json"
    toxics = f"{proxy_api.url}/proxies/redis/toxics"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from chaoslab.cli import main; main()",
            "run",
            str(file),
            "--journal-path",
            str(journal_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # The second activity has ended and its 60 s pause has begun: an earlier
        # signal (e.g. as soon as the toxic shows) would race the method's order.
        printed = wait_for_output(child, "method: wait succeeded")
        assert httpx.get(toxics).json() != [], "the toxic never appeared"
        child.send_signal(signum)
        out, _ = child.communicate(timeout=20)
        out = printed + out
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 1, out
    journal = read_journal(journal_path)
    assert journal["status"] == "interrupted"
    assert journal["chaoslab"]["interrupted_by"] == signum.name
    assert [r["activity"]["name"] for r in journal["run"]] == ["slow-redis", "wait"]
    assert journal["duration"] < 20
    assert marker.exists()  # the rollback ran
    assert [r["status"] for r in journal["rollbacks"]] == ["succeeded"]
    # No fault left active: the toxic is gone from the real proxy, its window closed.
    assert httpx.get(toxics).json() == []
    (window,) = journal["chaoslab"]["fault_windows"]
    assert window["end"] is not None
    assert not list(tmp_path.glob(".journal.json.*"))  # atomic write left no temp file
