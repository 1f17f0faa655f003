"""End to end: a real run (runner, load generator, injector, in virtual time) to a report."""

import json
from pathlib import Path

import pytest

from chaoslab.report import write_report
from tests.integration.report._browser import CHROMIUM, chromium
from tests.integration.report._gameday import run_gameday


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("gameday")
    journal, base = folder / "journal.json", folder / "baseline.json"
    journal.write_text(json.dumps(run_gameday(rail=True)), encoding="utf-8")
    base.write_text(json.dumps(run_gameday(latency=0.05)), encoding="utf-8")
    html, _, summary = write_report(journal, folder / "report.html", baseline=base)
    return html, summary


def test_summary_of_a_real_run(reports: tuple[Path, dict[str, object]]) -> None:
    _, summary = reports
    assert summary["status"] == "aborted"
    trips = summary["guard_trips"]
    assert isinstance(trips, list)
    (trip,) = trips
    assert trip["rail"] == "error-budget"
    assert 45.0 < trip["at"] < 50.0  # during the resets, which began at 45 s
    loads = summary["loads"]
    assert isinstance(loads, list)
    (load,) = loads
    assert load["p99_median"] == pytest.approx(0.002, rel=0.02)  # healthy most of the time
    assert load["p99_worst"] == pytest.approx(0.2, rel=0.05)  # 150 ms + up to 50 ms of jitter
    assert load["errors"] > 0
    comparison = {row["metric"]: row for row in summary["baseline"]["comparison"]}  # type: ignore[index]
    assert comparison["p99 (worst second)"]["worse"] is True


def test_the_page_of_a_real_run(reports: tuple[Path, dict[str, object]]) -> None:
    html, _ = reports
    page = html.read_text(encoding="utf-8")
    assert "The API survives a slow, then flaky, database" in page
    assert "inject:db-latency" in page
    assert "Guard rail “error-budget” tripped" in page


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_charts_of_a_real_run_draw(reports: tuple[Path, dict[str, object]]) -> None:
    html, _ = reports
    with chromium() as browser:
        tab = browser.new_page(viewport={"width": 1100, "height": 1400})
        tab.goto(html.resolve().as_uri())
        lengths = dict(
            tab.eval_on_selector_all(
                "svg[data-chart=latency] path.series",
                "els => els.map(e => [e.getAttribute('class'), e.getTotalLength()])",
            )
        )
        windows = tab.eval_on_selector_all(
            "svg[data-chart=latency] rect.fault-window", "els => els.map(e => e.getBBox().width)"
        )
    assert lengths["series p99"] > 500
    assert lengths["series baseline-p99"] > 500
    assert len(windows) == 2
    assert all(w > 10 for w in windows)
