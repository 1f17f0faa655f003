"""A file that starts its own service and proxy: `chaoslab run FILE` with nothing else running."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from chaoslab.errors import ConfigError
from chaoslab.experiment import load_experiment, read_journal
from chaoslab.services import free_port


def test_run_starts_service_and_proxy_applies_toxic_and_stops_them(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chaoslab.cli._app import _register_commands, app

    web_port, proxy_port = free_port(), free_port()
    doc = {
        "title": "self-contained",
        "description": "a web server behind a proxy, made slow",
        "steady-state-hypothesis": {
            "title": "fast",
            "probes": [
                {
                    "type": "probe",
                    "name": "p99",
                    "tolerance": [0, 0.3],
                    "provider": {
                        "type": "chaoslab",
                        "module": "metrics",
                        "func": "percentile",
                        "arguments": {"p": 99, "window": 1},
                    },
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "slow",
                "pauses": {"after": 1.0},
                "provider": {
                    "type": "chaoslab",
                    "module": "proxy",
                    "func": "add_toxic",
                    "arguments": {
                        "proxy": "web",
                        "type": "latency",
                        "attributes": {"latency": 400},
                        "duration": 2.5,
                    },
                },
            },
            {
                "type": "action",
                "name": "stall",
                "pauses": {"after": 1.5},
                "provider": {
                    "type": "chaoslab",
                    "module": "services",
                    "func": "pause",
                    "arguments": {"service": "web", "duration": 0.5},
                },
            },
        ],
        "extensions": [
            {
                "name": "chaoslab",
                "warmup": 2.0,
                "services": [
                    {
                        "name": "web",
                        "port": web_port,
                        "command": [
                            sys.executable,
                            "-m",
                            "http.server",
                            "{port}",
                            "--bind",
                            "127.0.0.1",
                        ],
                    }
                ],
                "proxies": [
                    {"name": "web", "upstream": "web", "listen": f"127.0.0.1:{proxy_port}"}
                ],
                "loads": [
                    {
                        "target": f"http://127.0.0.1:{proxy_port}/",
                        "mode": "closed",
                        "users": 2,
                        "duration": 60,
                        "timeout": 2,
                    }
                ],
                "blast-radius": {"proxies": ["web"], "services": ["web"], "max-fault-duration": 5},
            }
        ],
    }
    file = tmp_path / "stack.json"
    file.write_text(json.dumps(doc))
    journal_path = tmp_path / "journal.json"
    _register_commands()
    result = CliRunner().invoke(app, ["run", str(file), "--journal-path", str(journal_path)])
    journal = read_journal(journal_path)
    assert result.exit_code == 0, (result.output, journal["run"])
    assert journal["status"] == "completed"
    toxic, stall = journal["chaoslab"]["fault_windows"]
    assert (toxic["kind"], stall["kind"]) == ("proxy.toxic", "service.pause")
    slices = journal["chaoslab"]["loads"][0]["slices"]
    # A 2.5 s window holds at least one whole one-second slice: all of its requests
    # went through the proxy and took the toxic's 400 ms.
    inside = [s for s in slices if toxic["start"] <= s["t"] and s["t"] + 1 <= toxic["end"]]
    assert inside, (toxic, slices)
    assert all(s["p50"] is not None and s["p50"] >= 0.4 for s in inside), (toxic, slices)
    assert all(s["p99"] is not None and s["p99"] < 0.3 for s in slices if s["t"] + 1 <= 2.0)
    # Everything the file started is gone.
    for port in (web_port, proxy_port):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_stack_is_validated() -> None:
    base = {"title": "t", "description": "d", "method": []}
    with pytest.raises(ConfigError) as info:
        load_experiment(
            base
            | {
                "extensions": [
                    {
                        "name": "chaoslab",
                        "services": [
                            {"name": "a"},
                            {"name": "b", "kind": "redis", "command": ["x"]},
                        ],
                        "proxies": [{"name": "p", "upstream": "a"}, {"name": "p", "upstream": "a"}],
                    }
                ]
            }
        )
    found = dict(info.value.problems)
    assert "needs a 'command'" in found["extensions[0].services[0]"]
    assert "takes no 'command'" in found["extensions[0].services[1]"]


def test_run_says_in_one_line_when_a_declared_proxy_cannot_listen(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chaoslab.cli._app import _register_commands, app

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        listen = f"127.0.0.1:{busy.getsockname()[1]}"
        doc = {
            "title": "t",
            "description": "d",
            "extensions": [
                {
                    "name": "chaoslab",
                    "proxies": [{"name": "p", "upstream": "127.0.0.1:9", "listen": listen}],
                }
            ],
            "method": [
                {"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}
            ],
        }
        file = tmp_path / "busy.json"
        file.write_text(json.dumps(doc))
        _register_commands()
        result = CliRunner().invoke(
            app, ["run", str(file), "--journal-path", str(tmp_path / "j.json")]
        )
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a traceback
    assert f"error: listen tcp {listen}" in " ".join(result.output.split())
