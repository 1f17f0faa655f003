"""What `chaoslab run`/`validate` print: user text is shown as written, never read as markup."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from chaoslab.cli import _experiment
from chaoslab.cli._app import console


def test_report_hint_keeps_the_extra_in_brackets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A None entry makes `from chaoslab.report import ...` raise ImportError.
    monkeypatch.setitem(sys.modules, "chaoslab.report", None)
    with console.capture() as capture:
        _experiment._render_report(tmp_path / "journal.json", tmp_path / "report.html")
    text = " ".join(capture.get().split())
    assert "install 'chaoslab[experiment]'" in text
    assert f"chaoslab report {tmp_path / 'journal.json'}" in text


def test_problems_table_shows_brackets_in_messages() -> None:
    with console.capture() as capture:
        _experiment._print_problems(
            Path("exp.yaml"), (("method[0].name", "must be one of [probe, action]"),)
        )
    out = capture.get()
    assert "method[0].name" in out
    assert "[probe, action]" in out


@pytest.mark.parametrize("option", ["--journal-path", "--report"])
def test_run_refuses_an_unwritable_output_before_running(tmp_path: Path, option: str) -> None:
    from typer.testing import CliRunner

    from chaoslab.cli._app import _register_commands, app

    file = tmp_path / "exp.json"
    marker = tmp_path / "ran"
    method = [{"type": "action", "name": "a", "provider": {"type": "process", "path": "touch"}}]
    method[0]["provider"]["arguments"] = [str(marker)]  # type: ignore[index]
    file.write_text(json.dumps({"title": "t", "description": "d", "method": method}))
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("")
    args = ["run", str(file), "--journal-path", str(tmp_path / "j.json")]
    _register_commands()
    result = CliRunner().invoke(app, [*args, option, str(not_a_dir / "out")])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a usage error, not a traceback
    flat = "".join(c for c in result.output if not c.isspace() and c != "│")  # unwrap the box
    assert f"cannotwritein{not_a_dir}:".replace(" ", "") in flat
    assert not marker.exists()  # refused before the experiment ran


def test_run_options_refuse_a_frequency_of_zero_or_less() -> None:
    from chaoslab.experiment import RunOptions

    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="hypothesis frequency"):
            RunOptions(hypothesis_frequency=bad)
    assert RunOptions(hypothesis_frequency=0.5).hypothesis_frequency == 0.5
