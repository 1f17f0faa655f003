"""toxiproxy-node-client 4.1.0 drives `chaoslab proxy serve`, checked by traffic.

The node script (node/compat.cjs) runs every client call and measures the
traffic through the proxy after each; this test asserts on its report.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.proxy_api._support import chaoslab_serve, echo_server

NODE_DIR = Path(__file__).parent / "node"
NODE, NPM = shutil.which("node"), shutil.which("npm")

pytestmark = pytest.mark.skipif(
    NODE is None or NPM is None, reason="node and npm are needed for toxiproxy-node-client"
)


@pytest.fixture(scope="module")
def node_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The node script with its locked dependency installed in a temp dir (tree stays clean)."""
    assert NPM is not None
    project = tmp_path_factory.mktemp("node-compat")
    for name in ("package.json", "package-lock.json", "compat.cjs"):
        shutil.copy(NODE_DIR / name, project / name)
    done = subprocess.run(
        [NPM, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=project, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"npm could not install toxiproxy-node-client: {done.stderr.strip()[-300:]}")
    return project


@pytest.fixture(scope="module")
def report(node_project: Path) -> Iterator[dict[str, Any]]:
    assert NODE is not None
    with echo_server() as echo, chaoslab_serve("--seed", "3") as server:
        done = subprocess.run(
            [NODE, "compat.cjs", server.url, str(echo)],
            cwd=node_project, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        yield json.loads(done.stdout)


def test_version_and_listing(report: dict[str, Any]) -> None:
    assert "2.12.0" in report["version"]
    assert report["names"] == ["node_echo"]


def test_latency_toxic_is_felt_then_updated_then_removed(report: dict[str, Any]) -> None:
    assert report["plain"]["outcome"] == "echoed"
    assert report["toxic"]["attributes"] == {"latency": 200, "jitter": 0}
    assert report["latency200"]["outcome"] == "echoed"
    assert report["latency200"]["seconds"] >= 0.2
    assert report["updated"]["attributes"]["latency"] == 300
    assert report["latency300"]["seconds"] >= 0.3
    assert report["afterRemove"]["outcome"] == "echoed"
    assert report["afterRemove"]["seconds"] < report["latency200"]["seconds"]


def test_disable_refuses_and_enable_restores(report: dict[str, Any]) -> None:
    assert report["disabledFlag"] is False
    assert report["disabled"]["outcome"] == "ECONNREFUSED"
    assert report["enabled"] == {**report["enabled"], "outcome": "echoed", "bytes": "hello"}


def test_limit_data_then_reset(report: dict[str, Any]) -> None:
    assert report["limited"]["outcome"] == "closed"
    assert report["limited"]["bytes"] == "hell"
    assert report["afterReset"]["bytes"] == "hello"
    assert report["toxicsAfterReset"] == 0


def test_populate_and_remove(report: dict[str, Any]) -> None:
    assert report["populated"] == ["node_pop"]
    assert report["populatedTraffic"]["bytes"] == "pop"
    assert report["populateEmpty"] == []
    assert report["deleted"]["outcome"] == "ECONNREFUSED"
    assert report["getDeleted"] == "ToxiproxyError"
