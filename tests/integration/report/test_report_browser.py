"""The report page in headless Chromium: it loads offline and its charts draw."""

import json
from pathlib import Path
from typing import Any

import pytest

from chaoslab.report import write_report
from tests.integration.report._browser import CHROMIUM, chromium, count_color
from tests.unit.report._sample import sample_journal

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (apt-get install -y chromium); "
    "the HTML is still checked as text by tests/unit/report",
)

ORANGE_P99 = (0xEA, 0x58, 0x0C)
RED_ERRORS = (0xDC, 0x26, 0x26)
BLUE_THROUGHPUT = (0x25, 0x63, 0xEB)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("report")
    journal, base = folder / "journal.json", folder / "base.json"
    journal.write_text(json.dumps(sample_journal(tripped=True)), encoding="utf-8")
    base.write_text(json.dumps(sample_journal(worse=0.3, title="Last week")), encoding="utf-8")
    html, _, _ = write_report(journal, folder / "report.html", baseline=base)
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1100, "height": 1400})
        requests: list[str] = []

        # Anything but the file itself would be a network fetch: record and refuse it.
        def guard(route: Any) -> None:
            requests.append(route.request.url)
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", guard)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.goto(html.resolve().as_uri())
        tab.wait_for_load_state("load")
        yield tab, requests, errors
        context.close()


def test_page_loads_offline_without_errors(page: Any) -> None:
    tab, requests, errors = page
    assert [url for url in requests if not url.startswith("file:")] == []
    assert errors == []
    assert tab.title() == "Redis degradation keeps the API answering · chaoslab report"


def test_every_chart_has_a_real_size(page: Any) -> None:
    tab, _, _ = page
    boxes = tab.eval_on_selector_all(
        "svg.chart",
        "els => els.map(e => [e.dataset.chart, e.getBoundingClientRect().width,"
        " e.getBoundingClientRect().height])",
    )
    assert [b[0] for b in boxes] == ["latency", "errors", "throughput", "activities"]
    for kind, width, height in boxes:
        assert width > 800, kind
        assert height > 100, kind


def test_series_are_drawn_as_long_lines(page: Any) -> None:
    tab, _, _ = page
    lengths = dict(
        tab.eval_on_selector_all(
            "svg.chart path.series",
            "els => els.map(e => [e.getAttribute('class').replace('series ', ''),"
            " e.getTotalLength()])",
        )
    )
    for series in ("p50", "p90", "p99", "max", "errors", "throughput", "baseline-p99"):
        assert lengths[series] > 500, series  # a line across most of an ~880 px plot


def test_fault_windows_and_guard_trip_are_visible(page: Any) -> None:
    tab, _, _ = page
    widths = tab.eval_on_selector_all(
        "svg[data-chart=latency] rect.fault-window", "els => els.map(e => e.getBBox().width)"
    )
    # 15 s and 5 s out of 60 s on an 880 px axis.
    assert widths == [pytest.approx(220, abs=2), pytest.approx(73.3, abs=2)]
    trips = tab.eval_on_selector_all(
        "svg.chart g.guard-trip line", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert len(trips) == 4
    assert min(trips) > 50
    label = tab.text_content("svg[data-chart=latency] g.guard-trip text")
    assert label == "guard rail: error-rate"


def test_chart_pixels_show_the_series_colours(page: Any, tmp_path: Path) -> None:
    tab, _, _ = page
    latency = tab.locator("svg[data-chart=latency]").screenshot()
    errors = tab.locator("svg[data-chart=errors]").screenshot()
    throughput = tab.locator("svg[data-chart=throughput]").screenshot()
    assert count_color(latency, ORANGE_P99) > 300
    assert count_color(errors, RED_ERRORS) > 300
    assert count_color(throughput, BLUE_THROUGHPUT) > 300
    # An empty chart has none of them: the check can fail.
    assert count_color(throughput, ORANGE_P99, tolerance=10) == 0
