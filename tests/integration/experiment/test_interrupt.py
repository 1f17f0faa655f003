"""A real SIGINT/SIGTERM to a `chaoslab run` child: rollbacks, journal, no fault left."""

from __future__ import annotations

import json
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


def wait_for(predicate: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # bounded polling of a real child process
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


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
        assert wait_for(lambda: httpx.get(toxics).json() != []), "the toxic never appeared"
        child.send_signal(signum)
        out, _ = child.communicate(timeout=20)
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
