"""Number formatting shared by the charts, the HTML and the console.

Example:
    >>> fmt_latency(0.0123), fmt_latency(1.5), fmt_latency(0.00085), fmt_latency(None) == DASH
    ('12.3 ms', '1.50 s', '850 µs', True)
    >>> fmt_time(0), fmt_time(45), fmt_time(90), fmt_time(2.5)
    ('0s', '45s', '1m30s', '2.5s')
    >>> fmt_pct(0.0421), fmt_ratio(2.0) == TIMES + "2.00", fmt_delta_pct(0.004)
    ('4.21 %', True, '+0.4 pt')
"""

from __future__ import annotations

__all__ = ["fmt_delta_pct", "fmt_latency", "fmt_pct", "fmt_ratio", "fmt_time"]

DASH = "\u2013"  # en dash: a missing value
TIMES = "\u00d7"  # multiplication sign: a ratio


def fmt_latency(seconds: float | None) -> str:
    """Seconds, in the unit that reads best."""
    if seconds is None:
        return DASH
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.2f} s"


def fmt_time(seconds: float | None) -> str:
    """A point on the run's timeline: `45s`, `1m30s`."""
    if seconds is None:
        return DASH
    if seconds < 60:
        return f"{seconds:.3g}s" if seconds != int(seconds) else f"{int(seconds)}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if rest else f"{minutes}m"


def fmt_pct(fraction: float | None) -> str:
    """A fraction as a percentage."""
    return DASH if fraction is None else f"{fraction * 100:.3g} %"


def fmt_ratio(ratio: float | None) -> str:
    """A ratio, as a multiplication sign and the number."""
    return DASH if ratio is None else f"{TIMES}{ratio:.2f}"


def fmt_delta_pct(delta: float | None) -> str:
    """A change of a rate, in percentage points."""
    return DASH if delta is None else f"{delta * 100:+.3g} pt"
