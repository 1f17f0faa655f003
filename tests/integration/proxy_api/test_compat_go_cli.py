"""Toxiproxy's own Go client, `toxiproxy-cli` 2.12, drives `chaoslab proxy serve`.

Each command is checked by traffic through the proxy to a real echo server.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.integration.proxy_api._support import (
    ServerProcess,
    chaoslab_serve,
    echo_server,
    refuses,
    round_trip,
    toxiproxy_binary,
)

CLI = toxiproxy_binary("toxiproxy-cli")
pytestmark = pytest.mark.skipif(
    CLI is None,
    reason="toxiproxy-cli not found at <repo>/../shared/bin/ nor beside $TOXIPROXY_SERVER",
)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with chaoslab_serve("--seed", "6") as process:
        yield process


def tp(server: ServerProcess, *args: str) -> tuple[int, str]:
    assert CLI is not None
    done = subprocess.run(
        [str(CLI), "--host", server.url, *args],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def test_the_go_cli_creates_toxics_toggles_and_deletes(server: ServerProcess) -> None:
    with echo_server() as echo:
        assert tp(server, "create", "-l", "127.0.0.1:0", "-u", f"127.0.0.1:{echo}", "go")[0] == 0
        code, out = tp(server, "list")
        assert code == 0
        listen = next(line.split()[1] for line in out.splitlines() if line.startswith("go"))
        port = int(listen.rsplit(":", 1)[1])
        assert round_trip(port)[0] == b"ping"

        code, out = tp(server, "toxic", "add", "-t", "latency", "-a", "latency=150", "go")
        assert code == 0, out
        assert round_trip(port)[1] >= 0.15
        code, out = tp(
            server, "toxic", "update", "-n", "latency_downstream", "-a", "latency=250", "go"
        )
        assert code == 0, out
        assert round_trip(port)[1] >= 0.25
        code, out = tp(server, "inspect", "go")
        assert "latency=250" in out

        code, out = tp(
            server, "toxic", "add", "-t", "latency", "-n", "neg", "-a", "latency=-1", "go"
        )
        assert code != 0
        assert "attributes.latency" in out

        assert tp(server, "toggle", "go")[0] == 0
        assert refuses(port)
        assert tp(server, "toggle", "go")[0] == 0
        assert tp(server, "toxic", "remove", "-n", "latency_downstream", "go")[0] == 0
        assert round_trip(port)[0] == b"ping"
        assert "latency_downstream" not in tp(server, "inspect", "go")[1]

        assert tp(server, "delete", "go")[0] == 0
        assert refuses(port)
        code, out = tp(server, "inspect", "go")
        assert code != 0
        assert "proxy not found" in out
