"""The bundled example (`chaoslab example`): a fault injected, then a recovery."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from chaoslab.cli import _commands  # noqa: F401 - registers every command on the app
from chaoslab.cli._app import app
from chaoslab.demo._example import run_example


def test_three_503s_then_recovery() -> None:
    result = run_example(seed=7)
    assert [a.outcome for a in result.attempts] == ["http 503"] * 3 + ["ok"]
    assert result.answer == "echo: What is chaos engineering?"
    assert result.faults["http_status"] == 3
    assert result.calls == 4
    # Each retry waits at least the injected Retry-After (1 s) on the virtual clock.
    for before, after in zip(result.attempts, result.attempts[1:], strict=False):
        assert before.backoff >= 1.0
        assert after.started - before.ended == pytest.approx(before.backoff)


def test_same_seed_same_run_different_seed_different_run() -> None:
    assert run_example(seed=3) == run_example(seed=3)
    assert run_example(seed=3).timeline != run_example(seed=4).timeline


def test_gives_up_when_failures_outlast_the_attempts() -> None:
    result = run_example(seed=1, failures=6, max_attempts=6)
    assert result.answer is None
    assert [a.outcome for a in result.attempts] == ["http 503"] * 6
    assert result.attempts[-1].backoff == 0.0


def test_cli_example_prints_the_run() -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["example", "--seed", "7"], env={"COLUMNS": "120"})
    assert first.exit_code == 0, first.output
    assert "recovered after 4 attempts" in first.output
    assert first.output.count("http 503") >= 3
    assert "fault timeline" in first.output
    again = runner.invoke(app, ["example", "--seed", "7"], env={"COLUMNS": "120"})
    assert again.output == first.output


def test_cli_example_validates_its_options() -> None:
    result = CliRunner().invoke(app, ["example", "--failures", "9"])
    assert result.exit_code == 2
    assert "--failures" in result.output
