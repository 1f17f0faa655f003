"""The attributes of each toxic type: one pydantic model per type.

Names, units and defaults are Toxiproxy's (integers, milliseconds, KB/s with
1 KB = 1000 B, microseconds for the slicer's delay). Unlike Toxiproxy, values
are validated when a toxic is created or updated: a negative, non-integer or
unknown attribute is refused with a `ConfigError` naming it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chaoslab.errors import ConfigError

__all__ = [
    "BandwidthAttributes",
    "BlackholeAttributes",
    "CorruptAttributes",
    "DropAttributes",
    "HttpDelayAttributes",
    "HttpStatusAttributes",
    "LatencyAttributes",
    "LimitDataAttributes",
    "NoopAttributes",
    "ResetPeerAttributes",
    "SlicerAttributes",
    "SlowCloseAttributes",
    "SseCutAttributes",
    "TimeoutAttributes",
    "ToxicAttributes",
    "validation_problems",
]

# Toxiproxy decodes attributes into Go int64: JSON floats and booleans are
# refused there too, so strict integers keep the two servers in agreement.
Millis = Annotated[int, Field(strict=True, ge=0, le=86_400_000)]
Count = Annotated[int, Field(strict=True, ge=0)]


class ToxicAttributes(BaseModel):
    """Base of every attribute model: frozen, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoopAttributes(ToxicAttributes):
    """`noop`: no attributes; passes everything through."""


class LatencyAttributes(ToxicAttributes):
    """`latency`: each chunk waits `latency` ms, plus or minus up to `jitter` ms."""

    latency: Millis = 0
    jitter: Millis = 0


class BandwidthAttributes(ToxicAttributes):
    """`bandwidth`: at most `rate` KB/s (1 KB = 1000 B); 0 lets nothing through."""

    rate: Count = 0


class SlowCloseAttributes(ToxicAttributes):
    """`slow_close`: on end of stream, wait `delay` ms before passing it on."""

    delay: Millis = 0


class TimeoutAttributes(ToxicAttributes):
    """`timeout`: drop all data; close after `timeout` ms without data (0: never)."""

    timeout: Millis = 0


class ResetPeerAttributes(ToxicAttributes):
    """`reset_peer`: `timeout` ms after the first data, reset the connection (RST)."""

    timeout: Millis = 0


class SlicerAttributes(ToxicAttributes):
    """`slicer`: cut chunks into pieces of about `average_size` bytes.

    Sizes vary by up to `size_variation` bytes; `delay` µs passes between pieces.
    """

    average_size: Annotated[int, Field(strict=True, ge=1)] = 1
    size_variation: Count = 0
    delay: Annotated[int, Field(strict=True, ge=0, le=86_400_000_000)] = 0

    @model_validator(mode="after")
    def _variation_below_average(self) -> SlicerAttributes:
        if self.size_variation >= self.average_size:
            raise ValueError(
                f"size_variation must be < average_size ({self.average_size}), "
                f"got {self.size_variation}"
            )
        return self


class LimitDataAttributes(ToxicAttributes):
    """`limit_data`: pass `bytes` bytes per connection and direction, then close."""

    bytes: Count = 0


class BlackholeAttributes(ToxicAttributes):
    """`blackhole`: read and drop everything, never close (a half-open peer)."""


class CorruptAttributes(ToxicAttributes):
    """`corrupt`: flip one random bit in each byte with `probability` (seeded)."""

    probability: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.01


class DropAttributes(ToxicAttributes):
    """`drop`: reset the connection after `bytes` bytes or `after` ms, whichever first.

    Unset (null) means no limit of that kind; at least one must be set.
    """

    bytes: Count | None = None
    after: Millis | None = None

    @model_validator(mode="after")
    def _one_limit(self) -> DropAttributes:
        if self.bytes is None and self.after is None:
            raise ValueError("set bytes or after (or both)")
        return self


class HttpStatusAttributes(ToxicAttributes):
    """`http_status`: answer each HTTP/1.x request with `status` instead of forwarding it.

    `retry_after` (seconds) adds a Retry-After header; `body` and `headers`
    are sent as given; the proxy then closes the connection.
    """

    status: Annotated[int, Field(strict=True, ge=100, le=599)] = 503
    retry_after: Annotated[int, Field(strict=True, ge=0)] | None = None
    body: str = ""
    headers: dict[str, str] = Field(default_factory=dict)


class HttpDelayAttributes(ToxicAttributes):
    """`http_delay`: hold the first byte of each response for `delay` ms."""

    delay: Millis = 1000


class SseCutAttributes(ToxicAttributes):
    """`sse_cut`: pass `events` complete server-sent events, then reset the connection."""

    events: Count = 1


def validation_problems(exc: ValidationError, prefix: str) -> list[tuple[str, str]]:
    """Turn a pydantic error into ConfigError problems with dotted paths."""
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        path = f"{prefix}.{loc}" if loc else prefix
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown attribute"
        problems.append((path, msg))
    return problems


def parse_attributes(
    model: type[ToxicAttributes], data: Any, *, base: ToxicAttributes | None = None
) -> ToxicAttributes:
    """Validate `data` (a mapping or None) into `model`, merged over `base`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([("attributes", f"must be an object, got {type(data).__name__}")])
    merged = {**(base.model_dump() if base is not None else {}), **data}
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(validation_problems(exc, "attributes")) from None
