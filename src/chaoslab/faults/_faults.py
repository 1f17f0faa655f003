"""Faults: what goes wrong.

Each fault is a small frozen object, validated when it is built, the same
whether it comes from Python, YAML or the proxy's JSON. A fault says *what*
happens; the injection point that applies it decides *how* (an httpx
transport answers an `HTTPStatus` with a real response, a plain function
raises `InjectedHTTPStatus`).

Example:
    >>> import random
    >>> Latency(0.1, jitter=0.02).sample(random.Random(1)) > 0
    True
    >>> HTTPStatus(429, retry_after=2).status
    429
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass

from chaoslab.faults._friendly import name_fields_in_errors

__all__ = [
    "ConnectionRefused",
    "ConnectionReset",
    "DropMidStream",
    "Error",
    "Fault",
    "HTTPStatus",
    "Hang",
    "Latency",
    "Malformed",
    "Timeout",
]

_CONFIG = ConfigDict(extra="forbid", arbitrary_types_allowed=True, validate_assignment=False)

Distribution = Literal["uniform", "normal", "exponential"]


@dataclass(frozen=True, config=_CONFIG)
class Fault:
    """Base of every fault. `kind` is the name used in data (`{"type": kind}`)."""

    kind: ClassVar[str] = "fault"

    def describe(self) -> str:
        """A short human description, used in timelines and reports."""
        return self.kind


@dataclass(frozen=True, config=_CONFIG)
class Latency(Fault):
    """Delay the call by `seconds`, then let it proceed.

    `jitter` spreads the delay: `uniform` draws from
    [seconds - jitter, seconds + jitter], `normal` uses jitter as the standard
    deviation, `exponential` draws with mean `seconds` (jitter unused). Draws
    come from the injector's seeded generator and never go below zero.

    Example:
        >>> Latency(0.25).sample(random.Random(0))
        0.25
    """

    kind: ClassVar[str] = "latency"
    seconds: float = Field(ge=0, allow_inf_nan=False)
    jitter: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    distribution: Distribution = "uniform"

    def sample(self, rng: random.Random) -> float:
        """Draw one delay in seconds."""
        if self.distribution == "exponential":
            return rng.expovariate(1.0 / self.seconds) if self.seconds > 0 else 0.0
        if self.jitter == 0:
            return self.seconds
        if self.distribution == "normal":
            return max(0.0, rng.gauss(self.seconds, self.jitter))
        return max(0.0, rng.uniform(self.seconds - self.jitter, self.seconds + self.jitter))

    def describe(self) -> str:
        """E.g. `latency 100ms ±10ms`."""
        spread = f" ±{self.jitter * 1000:g}ms" if self.jitter else ""
        return f"latency {self.seconds * 1000:g}ms{spread}"


ExceptionSource = BaseException | type[BaseException] | Callable[[], BaseException]


@dataclass(frozen=True, config=_CONFIG)
class Error(Fault):
    """Raise an exception instead of calling.

    `exception` is an instance (copied on each injection, so tracebacks do
    not pile up), an exception class (instantiated with `message`), or a
    factory returning an exception.

    Example:
        >>> Error(ValueError, message="boom").build()
        ValueError('boom')
    """

    kind: ClassVar[str] = "error"
    exception: Any
    message: str = "injected fault"

    @field_validator("exception")
    @classmethod
    def _check_exception(cls, value: Any) -> Any:
        if isinstance(value, BaseException) or (
            isinstance(value, type) and issubclass(value, BaseException)
        ):
            return value
        if callable(value):
            return value
        raise ValueError(
            "must be an exception instance, an exception class or a factory returning one"
        )

    def build(self) -> BaseException:
        """A fresh exception to raise."""
        source = self.exception
        if isinstance(source, BaseException):
            return copy.copy(source)
        if isinstance(source, type):
            made: BaseException = source(self.message)
            return made
        built = source()
        if not isinstance(built, BaseException):
            raise TypeError(f"exception factory {source!r} returned {built!r}")
        return built

    def describe(self) -> str:
        """E.g. `error ValueError`."""
        source = self.exception
        name = source.__name__ if isinstance(source, type) else type(source).__name__
        if not isinstance(source, BaseException | type):
            name = getattr(source, "__name__", "factory")
        return f"error {name}"


@dataclass(frozen=True, config=_CONFIG)
class HTTPStatus(Fault):
    """Answer with an HTTP status instead of the real response.

    Example:
        >>> HTTPStatus(503, retry_after=1.5).describe()
        'http 503 (Retry-After 1.5)'
    """

    kind: ClassVar[str] = "http_status"
    status: int = Field(default=503, ge=100, le=599)
    retry_after: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    body: bytes = b""
    headers: dict[str, str] = Field(default_factory=dict)

    def describe(self) -> str:
        """E.g. `http 429 (Retry-After 2)`."""
        extra = f" (Retry-After {self.retry_after:g})" if self.retry_after is not None else ""
        return f"http {self.status}{extra}"


@dataclass(frozen=True, config=_CONFIG)
class Timeout(Fault):
    """The call hangs for `after` seconds, then fails with a timeout.

    Example:
        >>> Timeout(5).describe()
        'timeout after 5s'
    """

    kind: ClassVar[str] = "timeout"
    after: float = Field(default=30.0, ge=0, allow_inf_nan=False)

    def describe(self) -> str:
        """E.g. `timeout after 5s`."""
        return f"timeout after {self.after:g}s"


@dataclass(frozen=True, config=_CONFIG)
class Hang(Fault):
    """The call never answers: async callers wait until cancelled.

    Sync callers cannot be cancelled, so they are held for `limit` seconds of
    the clock and then get a timeout; keep it above the caller's own deadline.

    Example:
        >>> Hang().describe()
        'hang'
    """

    kind: ClassVar[str] = "hang"
    limit: float = Field(default=3600.0, gt=0, allow_inf_nan=False)

    def describe(self) -> str:
        """`hang`."""
        return "hang"


@dataclass(frozen=True, config=_CONFIG)
class ConnectionRefused(Fault):
    """The dependency refuses the connection (`ConnectionRefusedError`)."""

    kind: ClassVar[str] = "connection_refused"


@dataclass(frozen=True, config=_CONFIG)
class ConnectionReset(Fault):
    """The connection is reset by the peer (`ConnectionResetError`)."""

    kind: ClassVar[str] = "connection_reset"


@dataclass(frozen=True, config=_CONFIG)
class Malformed(Fault):
    """The answer arrives but does not parse: `payload` replaces it.

    Example:
        >>> Malformed().payload
        b'{"truncated": '
    """

    kind: ClassVar[str] = "malformed"
    payload: bytes = b'{"truncated": '
    content_type: str = "application/json"


@dataclass(frozen=True, config=_CONFIG)
class DropMidStream(Fault):
    """A streamed answer stops after `after_bytes` bytes or `after_events` events.

    Exactly one of the two is given.

    Example:
        >>> DropMidStream(after_events=3).describe()
        'drop after 3 events'
    """

    kind: ClassVar[str] = "drop_mid_stream"
    after_bytes: int | None = Field(default=None, ge=0)
    after_events: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> DropMidStream:
        if (self.after_bytes is None) == (self.after_events is None):
            raise ValueError("give exactly one of after_bytes and after_events")
        return self

    def describe(self) -> str:
        """E.g. `drop after 3 events`."""
        if self.after_events is not None:
            return f"drop after {self.after_events} events"
        return f"drop after {self.after_bytes} bytes"


FAULT_TYPES: dict[str, type[Fault]] = {
    cls.kind: cls
    for cls in (
        Latency,
        Error,
        HTTPStatus,
        Timeout,
        Hang,
        ConnectionRefused,
        ConnectionReset,
        Malformed,
        DropMidStream,
    )
}

for _cls in FAULT_TYPES.values():
    name_fields_in_errors(_cls)
