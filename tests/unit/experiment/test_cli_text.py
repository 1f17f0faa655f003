"""What `chaoslab run`/`validate` print: user text is shown as written, never read as markup."""

from __future__ import annotations

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
