"""The exception tree of chaoslab.

Toolkit errors (chaoslab itself refusing or failing) are kept apart from
injected faults (exceptions chaoslab raises on purpose, inside the system
under test)::

    ChaoslabError
    ├── ConfigError (ValueError)        bad input: fault/schedule/target data, files, API bodies
    ├── UnsupportedFaultError (ConfigError)  a layer cannot apply the fault it was given
    ├── ResilienceError                 a strategy refused or gave up
    │   ├── CircuitOpenError            (chaoslab.resilience)
    │   ├── RetriesExhausted            (chaoslab.resilience)
    │   └── ...                         bulkhead full, rate limited, timeout rejected
    ├── ProxyError                      (chaoslab.proxy)
    ├── ServiceError                    (chaoslab.services)
    └── ExperimentError                 (chaoslab.experiment)

    InjectedFault                       mixin on every exception an injected fault raises
    ├── InjectedError                   a generic injected failure
    ├── InjectedTimeout (TimeoutError)
    ├── InjectedConnectionRefused (ConnectionRefusedError)
    ├── InjectedConnectionReset (ConnectionResetError)
    ├── InjectedHTTPStatus              an HTTP status raised at a non-HTTP injection point
    └── InjectedStreamDrop (ConnectionResetError)

Injected exceptions subclass the built-in a real failure would raise, so code
under test handles them exactly as it handles the real thing, and tests can
still tell them apart with `isinstance(exc, InjectedFault)`.

This module imports nothing of chaoslab.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ChaoslabError",
    "ConfigError",
    "ExperimentError",
    "InjectedConnectionRefused",
    "InjectedConnectionReset",
    "InjectedError",
    "InjectedFault",
    "InjectedHTTPStatus",
    "InjectedStreamDrop",
    "InjectedTimeout",
    "ProxyError",
    "ResilienceError",
    "ServiceError",
    "UnsupportedFaultError",
]


class ChaoslabError(Exception):
    """Base of every error chaoslab itself raises (not injected faults)."""


class ConfigError(ChaoslabError, ValueError):
    """Bad input. `problems` lists (path, message) pairs, all of them at once.

    Example:
        >>> err = ConfigError([("fault.seconds", "must be >= 0, got -1")])
        >>> str(err)
        'fault.seconds: must be >= 0, got -1'
    """

    def __init__(self, problems: Sequence[tuple[str, str]] | str) -> None:
        if isinstance(problems, str):
            problems = [("", problems)]
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        super().__init__(
            "\n".join(f"{path}: {msg}" if path else msg for path, msg in self.problems)
        )


class UnsupportedFaultError(ConfigError):
    """The injection point, adapter or proxy cannot apply this fault."""


class ResilienceError(ChaoslabError):
    """A resilience strategy refused a call or gave up on it."""


class ProxyError(ChaoslabError):
    """The fault proxy failed or refused a request."""


class ServiceError(ChaoslabError):
    """A managed service (Redis, PostgreSQL, a process) failed to start or act."""


class ExperimentError(ChaoslabError):
    """An experiment could not be loaded or run."""


class InjectedFault(Exception):
    """Mixin on every exception raised by an injected fault."""

    fault: object | None = None


class InjectedError(InjectedFault, RuntimeError):
    """A generic injected failure."""


class InjectedTimeout(InjectedFault, TimeoutError):
    """The injected call never answered within its deadline."""


class InjectedConnectionRefused(InjectedFault, ConnectionRefusedError):
    """An injected refused connection."""


class InjectedConnectionReset(InjectedFault, ConnectionResetError):
    """An injected connection reset."""


class InjectedStreamDrop(InjectedFault, ConnectionResetError):
    """An injected stream that stopped mid-way."""


class InjectedHTTPStatus(InjectedFault, RuntimeError):
    """An HTTP status injected at a point that does not speak HTTP."""

    def __init__(self, status: int, retry_after: float | None = None, body: bytes = b"") -> None:
        self.status = status
        self.retry_after = retry_after
        self.body = body
        detail = f" (Retry-After: {retry_after:g})" if retry_after is not None else ""
        super().__init__(f"injected HTTP {status}{detail}")
