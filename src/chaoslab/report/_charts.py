"""Charts as inline SVG, drawn in Python: no script, no network, nothing to vendor.

Every chart shares one time axis (seconds since the run started), so the
latency, error-rate, throughput and activity panels line up, with fault
windows shaded and labelled and guard-rail trips marked on each.

Each `<svg>` carries `class="chart"` and `data-chart="<kind>"`; each series
is a `<path class="series <name>">`, so a browser test can check what drew.

Example:
    >>> from chaoslab.report._data import MetricSlice
    >>> slices = [MetricSlice(t=t, requests=10, p50=0.01, p99=0.02 * (t + 1)) for t in range(5)]
    >>> svg = latency_chart(slices, Frame(length=5.0))
    >>> svg.startswith('<svg') and 'class="series p99"' in svg
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from chaoslab.report._data import FaultWindow, GuardEvent, MetricSlice, TimelineEntry
from chaoslab.report._format import fmt_latency, fmt_time

__all__ = ["Frame", "activity_chart", "error_chart", "latency_chart", "throughput_chart"]

WIDTH = 960
LEFT, RIGHT = 64, 16
PLOT_W = WIDTH - LEFT - RIGHT
COLORS = {"p50": "#2563eb", "p90": "#0d9488", "p95": "#7c3aed", "p99": "#ea580c", "max": "#dc2626"}
SERIES = ("p50", "p90", "p99", "max")


@dataclass(frozen=True)
class Frame:
    """What every panel shares: the run's length, its fault windows and guard trips."""

    length: float
    faults: Sequence[FaultWindow] = ()
    trips: Sequence[GuardEvent] = ()
    recovered: Sequence[tuple[str, float]] = ()

    def x(self, t: float) -> float:
        """Seconds to a horizontal pixel."""
        return LEFT + max(0.0, min(t, self.length)) / max(self.length, 1e-9) * PLOT_W


@dataclass
class _Svg:
    kind: str
    height: int
    top: int = 24
    bottom: int = 26
    parts: list[str] = field(default_factory=list)

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom

    def add(self, part: str) -> None:
        self.parts.append(part)

    def render(self, title: str) -> str:
        head = (
            f'<svg class="chart" data-chart="{self.kind}" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {WIDTH} {self.height}" width="100%" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
            f'<text x="{LEFT}" y="15" class="chart-title">{escape(title)}</text>'
        )
        return head + "".join(self.parts) + "</svg>"


def nice_step(span: float, target: int = 8) -> float:
    """A round tick step giving at most about `target` ticks over `span`.

    Example:
        >>> nice_step(100), nice_step(7), nice_step(0.3)
        (20.0, 1.0, 0.05)
    """
    raw = max(span, 1e-9) / target
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= raw:
            return float(round(m * power, 12))
    return float(10 * power)  # pragma: no cover - the loop always returns


def _frame_parts(svg: _Svg, frame: Frame, *, label_faults: bool) -> None:
    """Time grid, fault windows, guard trips and recovery marks."""
    y0, y1 = svg.top, svg.top + svg.plot_h
    for i, w in enumerate(frame.faults):
        xa, xb = frame.x(w.start), frame.x(w.end if w.end is not None else frame.length)
        tip = f"{w.name} ({w.kind}) {fmt_time(w.start)} to {fmt_time(w.end) if w.end else 'end'}"
        svg.add(
            f'<rect class="fault-window" x="{xa:.1f}" y="{y0}" width="{max(xb - xa, 1.5):.1f}" '
            f'height="{svg.plot_h}"><title>{escape(tip)}</title></rect>'
        )
        if label_faults:
            svg.add(_label("fault-label", xa, y0 + 12 + 12 * (i % 3), w.name))
    step = nice_step(frame.length)
    t = 0.0
    while t <= frame.length + 1e-9:
        x = frame.x(t)
        svg.add(f'<line class="grid" x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y1}"/>')
        svg.add(
            f'<text class="tick" x="{x:.1f}" y="{y1 + 16}" text-anchor="middle">'
            f"{fmt_time(t)}</text>"
        )
        t += step
    for trip in frame.trips:
        x = frame.x(trip.at)
        label = _label("", x, y1 - 6, f"guard rail: {trip.rail}") if label_faults else ""
        svg.add(
            f'<g class="guard-trip"><line x1="{x:.1f}" y1="{y0 - 4}" x2="{x:.1f}" y2="{y1}"/>'
            f"{label}<title>{escape(trip.message or trip.condition)}</title></g>"
        )
    for name, at in frame.recovered:
        x = frame.x(at)
        svg.add(
            f'<path class="recovered" d="M{x:.1f},{y1} l-5,7 h10 z">'
            f"<title>{escape(name)} recovered at {fmt_time(at)}</title></path>"
        )


def _label(cls: str, x: float, y: float, text: str) -> str:
    """Text right of `x`, or left of it when it would run past the plot's edge."""
    width = 6.5 * len(text)  # a conservative estimate at 11 px
    attr = f' class="{cls}"' if cls else ""
    if x + 4 + width > WIDTH - RIGHT:
        return f'<text{attr} x="{x - 4:.1f}" y="{y}" text-anchor="end">{escape(text)}</text>'
    return f'<text{attr} x="{x + 4:.1f}" y="{y}">{escape(text)}</text>'


def _path(
    points: Sequence[tuple[float, float | None]], frame: Frame, y: Callable[[float], float]
) -> str:
    """An SVG path through the points, broken where a value is missing."""
    out: list[str] = []
    pen_down = False
    for t, v in points:
        if v is None or t > frame.length:  # a longer baseline run is cut at our end
            pen_down = False
            continue
        out.append(f"{'L' if pen_down else 'M'}{frame.x(t):.1f},{y(v):.1f}")
        pen_down = True
    return " ".join(out)


def _log_scale(values: Sequence[float], svg: _Svg) -> tuple[Callable[[float], float], list[float]]:
    positive = [v for v in values if v > 0] or [0.001]
    lo = 10 ** math.floor(math.log10(min(positive)))
    hi = 10 ** math.ceil(math.log10(max(positive)))
    if hi / lo < 10:
        hi = lo * 10
    span = math.log10(hi) - math.log10(lo)

    def y(v: float) -> float:
        frac = (math.log10(max(v, lo)) - math.log10(lo)) / span
        return svg.top + svg.plot_h * (1 - frac)

    ticks = [lo * 10**k for k in range(round(span) + 1)]
    return y, ticks


def latency_chart(
    slices: Sequence[MetricSlice],
    frame: Frame,
    *,
    baseline: Sequence[MetricSlice] = (),
    title: str = "Latency percentiles (log scale)",
) -> str:
    """p50/p90/p99/max per second on a log scale; a baseline run's p99 dashed."""
    svg = _Svg("latency", 260)
    values = [v for s in [*slices, *baseline] for k in SERIES if (v := getattr(s, k)) is not None]
    y, ticks = _log_scale(values, svg)
    for tick in ticks:
        svg.add(
            f'<line class="grid" x1="{LEFT}" y1="{y(tick):.1f}" x2="{WIDTH - RIGHT}" '
            f'y2="{y(tick):.1f}"/><text class="tick" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{fmt_latency(tick)}</text>'
        )
    _frame_parts(svg, frame, label_faults=True)
    if baseline:
        pts = [(s.t + 0.5, s.p99) for s in baseline]
        svg.add(f'<path class="series baseline-p99" d="{_path(pts, frame, y)}"/>')
    for key in SERIES:
        pts = [(s.t + 0.5, getattr(s, key)) for s in slices]
        svg.add(f'<path class="series {key}" stroke="{COLORS[key]}" d="{_path(pts, frame, y)}"/>')
    _legend(
        svg, [(k, COLORS[k]) for k in SERIES] + ([("baseline p99", "#6b7280")] if baseline else [])
    )
    return svg.render(title)


def _legend(svg: _Svg, items: Sequence[tuple[str, str]]) -> None:
    x = WIDTH - RIGHT - 96 * len(items)
    for name, color in items:
        svg.add(
            f'<rect x="{x}" y="6" width="14" height="4" fill="{color}"/>'
            f'<text class="legend" x="{x + 18}" y="12">{escape(name)}</text>'
        )
        x += 96


def _linear_panel(
    kind: str,
    title: str,
    points: Sequence[tuple[float, float | None]],
    frame: Frame,
    *,
    fmt: Callable[[float], str],
    floor_max: float,
    baseline: Sequence[tuple[float, float | None]] = (),
) -> str:
    svg = _Svg(kind, 150)
    top = max([floor_max] + [v for _, v in [*points, *baseline] if v is not None]) * 1.15

    def y(v: float) -> float:
        return svg.top + svg.plot_h * (1 - v / top)

    step = nice_step(top, 4)
    tick = 0.0
    while tick <= top + 1e-12:
        svg.add(
            f'<line class="grid" x1="{LEFT}" y1="{y(tick):.1f}" x2="{WIDTH - RIGHT}" '
            f'y2="{y(tick):.1f}"/><text class="tick" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{fmt(tick)}</text>'
        )
        tick += step
    _frame_parts(svg, frame, label_faults=False)
    if baseline:
        svg.add(f'<path class="series baseline" d="{_path(baseline, frame, y)}"/>')
    d = _path(points, frame, y)
    svg.add(f'<path class="series {kind}" d="{d}"/>')
    return svg.render(title)


def error_chart(
    slices: Sequence[MetricSlice], frame: Frame, *, baseline: Sequence[MetricSlice] = ()
) -> str:
    """Error rate per second, in percent."""
    return _linear_panel(
        "errors",
        "Error rate",
        [(s.t + 0.5, s.error_rate * 100 if s.requests else None) for s in slices],
        frame,
        fmt=lambda v: f"{v:g} %",
        floor_max=5.0,
        baseline=[(s.t + 0.5, s.error_rate * 100 if s.requests else None) for s in baseline],
    )


def throughput_chart(
    slices: Sequence[MetricSlice], frame: Frame, *, baseline: Sequence[MetricSlice] = ()
) -> str:
    """Completed requests per second."""
    return _linear_panel(
        "throughput",
        "Throughput (completed requests/s)",
        [(s.t + 0.5, s.throughput) for s in slices],
        frame,
        fmt=lambda v: f"{v:g}",
        floor_max=1.0,
        baseline=[(s.t + 0.5, s.throughput) for s in baseline],
    )


_PHASE_ORDER = ("hypothesis-before", "method", "hypothesis-during", "hypothesis-after", "rollback")


def activity_chart(entries: Sequence[TimelineEntry], frame: Frame) -> str:
    """One row per activity (and phase); a bar per time it ran, coloured by outcome."""
    rows: dict[tuple[str, str], list[TimelineEntry]] = {}
    for e in sorted(entries, key=lambda e: (_phase_rank(e.phase), e.start)):
        rows.setdefault((e.phase, e.name), []).append(e)
    svg = _Svg("activities", 24 + 26 + 22 * max(len(rows), 1))
    _frame_parts(svg, frame, label_faults=False)
    for i, ((phase, name), runs) in enumerate(rows.items()):
        y = svg.top + 4 + 22 * i
        svg.add(f'<text class="row-label" x="{LEFT + 4}" y="{y + 12}">{escape(name)}</text>')
        for e in runs:
            xa = frame.x(e.start)
            xb = frame.x(e.end if e.end is not None else frame.length)
            status = e.status or "cut"
            tip = f"{name} [{phase}] {fmt_time(e.start)} to {fmt_time(e.end) if e.end else 'end'}: "
            svg.add(
                f'<rect class="activity {escape(status)} {escape(phase)}" x="{xa:.1f}" '
                f'y="{y}" width="{max(xb - xa, 2.0):.1f}" height="16" rx="3">'
                f"<title>{escape(tip + status)}</title></rect>"
            )
    return svg.render("Activities")


def _phase_rank(phase: str) -> int:
    return _PHASE_ORDER.index(phase) if phase in _PHASE_ORDER else len(_PHASE_ORDER)
