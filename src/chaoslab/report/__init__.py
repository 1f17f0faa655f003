"""Reports: a journal rendered to one self-contained HTML page and a JSON summary.

Example:
    >>> from chaoslab.report import render_html
    >>> page = render_html({"experiment": {"title": "Redis latency"}, "status": "completed"})
    >>> "Redis latency" in page
    True
"""

from chaoslab.report._charts import (
    Frame,
    activity_chart,
    error_chart,
    latency_chart,
    throughput_chart,
)
from chaoslab.report._data import ReportData
from chaoslab.report._render import load_journal, render_html, write_report
from chaoslab.report._summary import Comparison, LoadStats, compare, load_stats, summarize

__all__ = [
    "Comparison",
    "Frame",
    "LoadStats",
    "ReportData",
    "activity_chart",
    "compare",
    "error_chart",
    "latency_chart",
    "load_journal",
    "load_stats",
    "render_html",
    "summarize",
    "throughput_chart",
    "write_report",
]
