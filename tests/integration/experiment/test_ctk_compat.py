"""Chaos Toolkit experiments run unchanged, and Chaos Toolkit's own library reads our journals.

The experiments are written as Chaos Toolkit's documentation writes them
(python, process and http providers, env configuration, `ref`, pauses,
rollbacks); the HTTP service is a real one on loopback. Each is also run by
chaoslib itself, and the two journals are compared key by key.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from chaoslab.experiment import Runner, RunOptions, load_experiment, read_journal

FILES = Path(__file__).parents[2] / "unit" / "experiment" / "files"


class _Handler(BaseHTTPRequestHandler):
    posted: ClassVar[list[Any]] = []

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.startswith("/health"):
            self._send(200, b'{"cache": {"up": true}, "version": "1.2"}', "application/json")
        else:
            self._send(503, b"down", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        _Handler.posted.append(json.loads(self.rfile.read(length)))
        self._send(202, b'{"accepted": true}', "application/json")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def http_experiment(url: str) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "title": "The API survives a cache flush",
        "description": "Flushing the cache must not break /health.",
        "tags": ["http", "cache"],
        "configuration": {
            "api_url": {"type": "env", "key": "CHAOSLAB_TEST_API_URL", "default": url},
        },
        "steady-state-hypothesis": {
            "title": "API healthy",
            "probes": [
                {
                    "type": "probe",
                    "name": "health-ok",
                    "tolerance": 200,
                    "provider": {"type": "http", "url": "${api_url}/health", "timeout": 3},
                },
                # (jsonpath tolerances need jsonpath2 in chaoslib; our own are unit-tested.)
                {
                    "type": "probe",
                    "name": "status-2xx",
                    "tolerance": {"type": "range", "range": [200, 299], "target": "status"},
                    "provider": {"type": "http", "url": "${api_url}/health", "timeout": [2, 5]},
                },
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "flush-cache",
                "provider": {
                    "type": "http",
                    "url": "${api_url}/admin/flush",
                    "method": "POST",
                    "headers": {"Content-Type": "application/json"},
                    "arguments": {"scope": "all"},
                },
                "pauses": {"after": 0.1},
            },
            {
                "type": "probe",
                "name": "down-page",
                "provider": {"type": "http", "url": "${api_url}/missing"},
            },
            {
                "type": "action",
                "name": "local-check",
                "provider": {
                    "type": "python",
                    "module": "os.path",
                    "func": "exists",
                    "arguments": {"path": "/"},
                },
            },
            {"ref": "health-ok"},
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "say-done",
                "provider": {"type": "process", "path": "echo", "arguments": ["done"]},
            },
        ],
    }


def keys_of(journal: dict[str, Any]) -> dict[str, Any]:
    """The shape of a journal: its keys, and the keys of its states and records."""
    states = journal["steady_states"]
    return {
        "top": [k for k in journal if k != "chaoslab"],
        "states": list(states),
        "before": list(states["before"]),
        "probe": list(states["before"]["probes"][0]),
        "run": [list(r) for r in journal["run"]],
        "rollbacks": [list(r) for r in journal["rollbacks"]],
    }


def run_both(doc: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from chaoslib.experiment import run_experiment
    from chaoslib.loader import load_experiment as ctk_load

    file = tmp_path / "experiment.yaml"
    file.write_text(yaml.safe_dump(doc, sort_keys=False))
    journal_path = tmp_path / "journal.json"
    Runner(load_experiment(file), options=RunOptions(journal_path=journal_path)).run()
    ours = read_journal(journal_path)
    theirs = json.loads(json.dumps(run_experiment(ctk_load(str(file))), default=str))
    return ours, theirs


def test_http_python_process_experiment_matches_chaos_toolkit(service: str, tmp_path: Path) -> None:
    _Handler.posted.clear()
    ours, theirs = run_both(http_experiment(service), tmp_path)
    assert ours["status"] == theirs["status"] == "completed"
    assert ours["deviated"] is theirs["deviated"] is False
    assert keys_of(ours) == keys_of(theirs)
    for mine, ctk in zip(ours["run"], theirs["run"], strict=True):
        assert mine["status"] == ctk["status"]
        if isinstance(ctk["output"], dict) and "status" in ctk["output"]:
            assert mine["output"]["status"] == ctk["output"]["status"]
            assert mine["output"]["body"] == ctk["output"]["body"]
        else:
            assert mine["output"] == ctk["output"]
    assert ours["run"][1]["output"]["status"] == 503  # 5xx is a success, as in Chaos Toolkit
    assert ours["rollbacks"][0]["output"]["stdout"] == "done\n"
    assert _Handler.posted == [{"scope": "all"}, {"scope": "all"}]  # JSON body, both runs


def test_process_yaml_file_matches_chaos_toolkit(tmp_path: Path) -> None:
    doc = yaml.safe_load((FILES / "ctk-process.yaml").read_text())
    ours, theirs = run_both(doc, tmp_path)
    assert ours["status"] == theirs["status"] == "completed"
    assert keys_of(ours) == keys_of(theirs)
    assert ours["steady_states"]["after"]["probes"][1]["tolerance_met"] is True


def test_chaoslib_validates_the_journals_experiment(service: str, tmp_path: Path) -> None:
    from chaoslib.experiment import ensure_experiment_is_valid

    ours, _ = run_both(http_experiment(service), tmp_path)
    experiment = {k: v for k, v in ours["experiment"].items() if k != "dry"}
    ensure_experiment_is_valid(experiment)  # raises on an invalid experiment
    # chaoslib's own fresh journal: ours has every key, with values of the same types.
    from chaoslib.run import initialize_run_journal

    fresh = initialize_run_journal(experiment)
    for key, value in fresh.items():
        assert key in ours
        if value is not None:
            assert isinstance(ours[key], type(value)), key
    assert set(ours["steady_states"]) == set(fresh["steady_states"])
    assert ours["start"].endswith("+00:00")
    assert isinstance(ours["duration"], float)


def test_deviated_run_exit_code_and_status_values(tmp_path: Path) -> None:
    """`chaoslab run` exits like `chaos run`: 1 when deviated."""
    from typer.testing import CliRunner

    from chaoslab.cli._app import _register_commands, app

    _register_commands()
    doc = yaml.safe_load((FILES / "ctk-process.yaml").read_text())
    doc["steady-state-hypothesis"]["probes"][0]["tolerance"] = 1  # echo exits 0: a miss
    file = tmp_path / "e.yaml"
    file.write_text(yaml.safe_dump(doc))
    journal_path = tmp_path / "j.json"
    result = CliRunner().invoke(app, ["run", str(file), "--journal-path", str(journal_path)])
    assert result.exit_code == 0, result.output  # the before-check missed: completed, no run
    journal = read_journal(journal_path)
    assert journal["status"] == "completed"
    assert journal["run"] == []
    doc["steady-state-hypothesis"]["probes"][0]["tolerance"] = 0
    doc["method"].append(
        {"type": "action", "name": "break-it", "provider": {"type": "process", "path": "true"}}
    )
    doc["steady-state-hypothesis"]["probes"].append(
        {
            "type": "probe",
            "name": "flag",
            "tolerance": True,
            "provider": {
                "type": "python",
                "module": "os.path",
                "func": "exists",
                "arguments": {"path": str(tmp_path / "flag")},
            },
        }
    )
    (tmp_path / "flag").touch()
    doc["method"][-1]["provider"] = {
        "type": "process",
        "path": "rm",
        "arguments": [str(tmp_path / "flag")],
    }
    file.write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(app, ["run", str(file), "--journal-path", str(journal_path)])
    assert result.exit_code == 1, result.output
    assert read_journal(journal_path)["deviated"] is True
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\n")
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "description" in result.output
    assert "method" in result.output


def test_tutorial_experiment_runs_unchanged(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chaos Toolkit's tutorial shape: move a file away; the service answers 200 or 503."""
    from chaoslib.experiment import run_experiment
    from chaoslib.loader import load_experiment as ctk_load

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERVICE_URL", f"{service}/")
    file = FILES / "ctk-file-exists.json"
    results = []
    for run in ("chaoslab", "chaostoolkit"):
        (tmp_path / "exchange.dat").write_text("data")
        if run == "chaoslab":
            journal: dict[str, Any] = Runner(load_experiment(file)).run()  # type: ignore[assignment]
        else:
            journal = run_experiment(ctk_load(str(file)))
        assert (tmp_path / "exchange.dat.old").exists()
        (tmp_path / "exchange.dat.old").unlink()
        results.append(journal)
    ours, theirs = results
    assert ours["status"] == theirs["status"] == "completed"
    assert keys_of(ours) == keys_of(theirs)
    assert ours["steady_states"]["before"]["probes"][0]["output"]["status"] == 503
    assert ours["steady_states"]["after"]["steady_state_met"] is True


def test_run_with_report_writes_the_html(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chaoslab.cli._app import _register_commands, app

    _register_commands()
    report = tmp_path / "report.html"
    journal_path = tmp_path / "j.json"
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(FILES / "ctk-process.yaml"),
            "--journal-path",
            str(journal_path),
            "--report",
            str(report),
            "--seed",
            "7",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "System is resilient to a slow disk" in report.read_text()
    assert read_journal(journal_path)["chaoslab"]["seed"] == 7


def test_expected_status_is_honoured_and_vars_override(service: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chaoslab.cli._app import _register_commands, app

    _register_commands()
    doc = {
        "title": "t",
        "description": "d",
        "configuration": {"path": "/health"},
        "method": [
            {
                "type": "probe",
                "name": "page",
                "provider": {"type": "http", "url": f"{service}${{path}}", "expected_status": 200},
            }
        ],
    }
    file = tmp_path / "e.json"
    file.write_text(json.dumps(doc))
    journal_path = tmp_path / "j.json"
    result = CliRunner().invoke(app, ["run", str(file), "--journal-path", str(journal_path)])
    assert result.exit_code == 0, result.output
    assert read_journal(journal_path)["run"][0]["status"] == "succeeded"
    var_file = tmp_path / "vars.json"
    var_file.write_text(json.dumps({"configuration": {"path": "/elsewhere"}}))
    result = CliRunner().invoke(
        app, ["run", str(file), "--journal-path", str(journal_path), "--var-file", str(var_file)]
    )
    record = read_journal(journal_path)["run"][0]
    assert record["status"] == "failed"
    assert "expected status 200, got 503" in record["exception"][0]
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(file),
            "--journal-path",
            str(journal_path),
            "--var-file",
            str(var_file),
            "--var",
            "path=/health",
        ],
    )
    assert read_journal(journal_path)["run"][0]["status"] == "succeeded"  # --var wins
