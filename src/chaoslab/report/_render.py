"""Rendering: a journal (and optionally a baseline journal) to one HTML file and a JSON summary.

The page is self-contained: the stylesheet is inlined from the package's
templates and the charts are inline SVG, so it opens offline, from a mail
attachment or a CI artifact.

Example:
    >>> html = render_html({"experiment": {"title": "Cache restart"}, "status": "completed"})
    >>> "<title>Cache restart" in html and "http" not in html.split("<body")[0]
    True
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from chaoslab.errors import ConfigError
from chaoslab.report._charts import (
    Frame,
    activity_chart,
    error_chart,
    latency_chart,
    throughput_chart,
)
from chaoslab.report._data import MetricSlice, ReportData
from chaoslab.report._format import fmt_delta_pct, fmt_latency, fmt_pct, fmt_ratio, fmt_time
from chaoslab.report._summary import compare, load_stats, summarize, trim

__all__ = ["load_journal", "render_html", "write_report"]

_MAX_OUTPUT = 4000  # characters of an activity's output shown in the page


def load_journal(path: str | os.PathLike[str]) -> ReportData:
    """Read and validate a journal file; `ConfigError` names the file and the fields."""
    file = Path(path)
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([(str(file), "no such journal file")]) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError([(str(file), f"not a JSON journal: {exc}")]) from None
    try:
        return ReportData.from_journal(raw)
    except ConfigError as exc:
        # A problem with the whole journal has no field path: name the file alone.
        raise ConfigError(
            [(f"{file}: {p}" if p else str(file), msg) for p, msg in exc.problems]
        ) from None


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("chaoslab.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        latency=fmt_latency,
        pct=fmt_pct,
        ratio=fmt_ratio,
        at=fmt_time,
        delta=fmt_delta_pct,
        output=_output,
    )
    return env


def _output(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, default=repr)
    if len(text) > _MAX_OUTPUT:
        text = text[:_MAX_OUTPUT] + f"\n… ({len(text) - _MAX_OUTPUT} more characters)"
    return text


def _charts(
    slices: Sequence[MetricSlice], frame: Frame, baseline: Sequence[MetricSlice]
) -> dict[str, Markup]:
    # Our own SVG, with every label escaped where it is drawn.
    return {
        "latency": Markup(latency_chart(slices, frame, baseline=baseline)),  # noqa: S704
        "errors": Markup(error_chart(slices, frame, baseline=baseline)),  # noqa: S704
        "throughput": Markup(throughput_chart(slices, frame, baseline=baseline)),  # noqa: S704
    }


def _context(data: ReportData, baseline: ReportData | None) -> dict[str, Any]:
    m = data.metrics
    frame = Frame(
        length=data.run_length,
        faults=m.fault_windows,
        trips=m.guard_events,
        recovered=[
            (w.fault, w.recovered_at) for w in m.recovery.windows if w.recovered_at is not None
        ],
    )
    base_slices = (
        [s for ld in baseline.metrics.loads for s in trim(ld.slices, baseline.metrics.duration)]
        if baseline
        else []
    )
    loads = [
        {
            "series": load,
            "stats": load_stats(load.slices, m.duration),
            "charts": _charts(trim(load.slices, m.duration), frame, base_slices),
        }
        for load in m.loads
        if load.slices
    ]
    activities = Markup(activity_chart(m.timeline, frame)) if m.timeline else None  # noqa: S704
    return {
        "data": data,
        "m": m,
        "loads": loads,
        "activities_chart": activities,
        "baseline": baseline,
        "comparison": compare(data, baseline) if baseline else [],
        "summary": summarize(data, baseline),
    }


def render_html(
    journal: dict[str, Any] | ReportData, baseline: dict[str, Any] | ReportData | None = None
) -> str:
    """The report page for `journal` (parsed JSON or `ReportData`), compared with `baseline`."""
    data = journal if isinstance(journal, ReportData) else ReportData.from_journal(journal)
    base = (
        baseline
        if isinstance(baseline, ReportData) or baseline is None
        else ReportData.from_journal(baseline)
    )
    template = _environment().get_template("report.html.j2")
    return str(template.render(**_context(data, base)))


def write_report(
    journal: str | os.PathLike[str],
    output: str | os.PathLike[str] = "chaoslab-report.html",
    *,
    baseline: str | os.PathLike[str] | None = None,
    summary: str | os.PathLike[str] | None = None,
) -> tuple[Path, Path, dict[str, Any]]:
    """Write the HTML report and its JSON summary (default: the output with `.json`).

    Returns the two paths and the summary.
    """
    data = load_journal(journal)
    base = load_journal(baseline) if baseline is not None else None
    html_path = Path(output)
    json_path = Path(summary) if summary is not None else html_path.with_suffix(".json")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(data, base), encoding="utf-8")
    result = summarize(data, base)
    json_path.write_text(json.dumps(result, indent=2, default=repr) + "\n", encoding="utf-8")
    return html_path, json_path, result
