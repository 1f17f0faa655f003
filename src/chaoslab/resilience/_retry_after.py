"""Reading the wait a failure asks for: `retry_after` attributes and `Retry-After` headers."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

__all__ = ["retry_after_of"]


def retry_after_of(exc: BaseException, wall_now: datetime | None = None) -> float | None:
    """The wait a failure asks for, in seconds, or None.

    Read from a numeric `retry_after` attribute (chaoslab's `InjectedHTTPStatus`,
    `RateLimitedError`, many SDK errors), else from the `Retry-After` header of
    an HTTP 429 or 503 response carried as `exc.response` (httpx's
    `HTTPStatusError`, requests' `HTTPError`): delay-seconds or an HTTP-date.

    Example:
        >>> from chaoslab.errors import InjectedHTTPStatus
        >>> retry_after_of(InjectedHTTPStatus(429, retry_after=2.5))
        2.5
    """
    value = getattr(exc, "retry_after", None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0.0, float(value))
    response = getattr(exc, "response", None)
    if getattr(response, "status_code", None) not in (429, 503):
        return None
    headers = getattr(response, "headers", None)
    header = headers.get("retry-after") if headers is not None else None
    if not isinstance(header, str):
        return None
    return _parse_retry_after(header.strip(), wall_now)


def _parse_retry_after(header: str, wall_now: datetime | None) -> float | None:
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # An HTTP-date is wall-clock time by nature; this is the one wall-clock read.
    now = wall_now if wall_now is not None else datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
