"""The HTML page and its SVG charts, as text (the browser test checks they draw)."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chaoslab.report import Frame, activity_chart, latency_chart, render_html, write_report
from chaoslab.report._charts import nice_step
from chaoslab.report._data import FaultWindow, GuardEvent, MetricSlice, ReportData
from tests.unit.report._sample import sample_journal


def test_page_is_self_contained() -> None:
    page = render_html(sample_journal(tripped=True), sample_journal(worse=0.3, title="Last week"))
    # Nothing fetched: no script, no external stylesheet, image or font.
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page
    assert "url(" not in page
    assert page.count('class="chart"') == 4  # latency, errors, throughput, activities


def test_page_shows_what_happened() -> None:
    page = render_html(sample_journal(tripped=True), sample_journal(worse=0.3, title="Last week"))
    for text in (
        "Redis degradation keeps the API answering",
        'data-status="interrupted"',
        "Guard rail “error-rate” tripped at 38s",
        "redis-latency",
        "redis-reset",
        "Faults and recovery",
        "Compared with the baseline run",
        "Last week",
        "chaoslib.exceptions.ActivityFailed: boom",
        "remove-all-toxics",
        "Steady-state hypothesis",
    ):
        assert text in page, text
    assert page.count('class="fault-window"') == 2 * 4  # two windows on each of four panels
    assert page.count('class="guard-trip"') == 4


def test_untrusted_text_is_escaped() -> None:
    journal = sample_journal()
    journal["experiment"]["title"] = "<script>alert(1)</script>"
    journal["chaoslab"]["fault_windows"][0]["name"] = "<img src=x onerror=alert(1)>"
    journal["run"][0]["output"] = "</pre><script>bad()</script>"
    page = render_html(journal)
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_errors_by_kind_are_listed_when_the_journal_has_them() -> None:
    journal = sample_journal()
    slices = journal["chaoslab"]["loads"][0]["slices"]
    slices[36]["errors_by_kind"] = {"HTTP 503": 30, "timeout": 2}
    slices[37]["errors_by_kind"] = {"HTTP 503": 20}
    page = render_html(journal)
    assert "Errors by kind:\nHTTP 503 \u00d7 50, timeout \u00d7 2." in page
    assert "Errors by kind" not in render_html(sample_journal())


def test_journal_without_metrics_renders_without_charts() -> None:
    journal = sample_journal()
    del journal["chaoslab"]
    page = render_html(journal)
    assert 'class="chart"' not in page
    assert "No load ran during this experiment" in page


def test_latency_chart_draws_each_series_and_breaks_on_gaps() -> None:
    slices = [
        MetricSlice(t=t, requests=1, p50=0.01, p90=0.02, p99=0.05, max=0.08) for t in range(10)
    ]
    slices[5] = MetricSlice(t=5)  # nothing completed that second
    frame = Frame(
        length=10.0,
        faults=[FaultWindow(name="f", start=2, end=4)],
        trips=[GuardEvent(at=6.0, rail="p99")],
    )
    svg = latency_chart(slices, frame)
    paths = dict(re.findall(r'<path class="series (\w+)"[^>]* d="([^"]*)"', svg))
    assert set(paths) == {"p50", "p90", "p99", "max"}
    assert paths["p99"].count("M") == 2  # the gap at t=5 breaks the line
    assert paths["p99"].count("L") == 7
    assert 'class="fault-window"' in svg
    assert "guard rail: p99" in svg


def test_activity_chart_rows() -> None:
    data = ReportData.from_journal(sample_journal())
    svg = activity_chart(data.metrics.timeline, Frame(length=60))
    assert svg.count('class="row-label"') == 5
    assert 'class="activity failed method"' in svg


@pytest.mark.parametrize(("span", "step"), [(60, 10.0), (600, 100.0), (5, 1.0), (1, 0.2)])
def test_nice_steps(span: float, step: float) -> None:
    assert nice_step(span, 6) == step


def test_write_report_and_cli(tmp_path: Path) -> None:
    import json

    journal = tmp_path / "journal.json"
    journal.write_text(json.dumps(sample_journal(tripped=True)), encoding="utf-8")
    base = tmp_path / "base.json"
    base.write_text(json.dumps(sample_journal(worse=0.3)), encoding="utf-8")
    html, summary, data = write_report(journal, tmp_path / "out" / "r.html", baseline=base)
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert json.loads(summary.read_text(encoding="utf-8")) == data
    assert summary.name == "r.json"

    import chaoslab.cli._report  # noqa: F401 - registers `chaoslab report`
    from chaoslab.cli._app import app

    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "report",
            str(journal),
            "-o",
            str(tmp_path / "c.html"),
            "--baseline",
            str(base),
            "--json",
            str(tmp_path / "s.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.html").exists()
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["baseline"]
    assert "12,000" in result.output
    result = runner.invoke(app, ["report", str(tmp_path / "missing.json")])
    assert result.exit_code == 1
    assert "no such journal file" in " ".join(result.output.split())
    assert "Traceback" not in result.output

    # A journal that is not an object: one line naming the file, markup-like names kept.
    odd = tmp_path / "[run].json"
    odd.write_text("[1]", encoding="utf-8")
    result = runner.invoke(app, ["report", str(odd), "-o", str(tmp_path / "d.html")])
    assert result.exit_code == 1
    assert f"error: {odd}: a journal is a JSON object" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_open_fault_window_and_several_loads() -> None:
    journal = sample_journal()
    journal["chaoslab"]["fault_windows"][1]["end"] = None  # never removed before the end
    second = dict(journal["chaoslab"]["loads"][0], name="admin")
    journal["chaoslab"]["loads"].append(second)
    page = render_html(journal)
    assert "Load “admin”" in page
    assert page.count('data-chart="latency"') == 2
    # The open window is shaded to the end of the run: 35 s to 60 s of 60 s.
    widths = re.findall(r'class="fault-window" x="[^"]+" y="\d+" width="([^"]+)"', page)
    assert f"{880 * 25 / 60:.1f}" in widths
