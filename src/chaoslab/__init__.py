"""chaoslab: chaos engineering for Python services.

Build resilience into a service, then prove it holds under faults: in
pytest, in CI and in game days. The names most tests need are here; each
capability lives in its own subpackage (`chaoslab.faults`, `chaoslab.inject`,
`chaoslab.resilience`, `chaoslab.proxy`, `chaoslab.services`,
`chaoslab.experiment`, ...). The resilience strategy `Timeout` lives in
`chaoslab.resilience`; `chaoslab.Timeout` is the fault.

Example:
    >>> import chaoslab
    >>> chaos = chaoslab.FaultInjector(seed=7)
    >>> with chaos.inject("llm.*", chaoslab.HTTPStatus(429, retry_after=1), chaoslab.FirstN(1)):
    ...     [f.describe() for f in chaos.fire("llm.complete")]
    ['http 429 (Retry-After 1)']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaoslab._lazy import lazy_exports as _lazy_exports
from chaoslab._version import __version__

if TYPE_CHECKING:
    from chaoslab.clock import Clock, SystemClock, VirtualClock
    from chaoslab.errors import (
        ChaoslabError,
        ConfigError,
        InjectedFault,
        UnsupportedFaultError,
    )
    from chaoslab.faults import (
        AfterN,
        Always,
        ConnectionRefused,
        ConnectionReset,
        DropMidStream,
        Error,
        EveryNth,
        Fault,
        FirstN,
        Hang,
        HTTPStatus,
        Latency,
        Malformed,
        Probability,
        Ramp,
        Schedule,
        Target,
        Timeout,
        Window,
        fault_from_data,
        schedule_from_data,
    )
    from chaoslab.inject import FaultInjector, Injection, current_injector, injectable
    from chaoslab.observe import Event, EventBus, EventRecorder
    from chaoslab.resilience import (
        Bulkhead,
        Cache,
        CircuitBreaker,
        CircuitOpenError,
        CircuitState,
        Fallback,
        Pipeline,
        RateLimiter,
        RetriesExhausted,
        Retry,
    )

# Names load on first use: the pytest plugin imports this package in every
# pytest session of every project that installs chaoslab, and the eager
# imports (pydantic models, the strategies) cost a quarter of a second there.
_LAZY: dict[str, str] = {
    "AfterN": "chaoslab.faults",
    "Always": "chaoslab.faults",
    "Bulkhead": "chaoslab.resilience",
    "Cache": "chaoslab.resilience",
    "ChaoslabError": "chaoslab.errors",
    "CircuitBreaker": "chaoslab.resilience",
    "CircuitOpenError": "chaoslab.resilience",
    "CircuitState": "chaoslab.resilience",
    "Clock": "chaoslab.clock",
    "ConfigError": "chaoslab.errors",
    "ConnectionRefused": "chaoslab.faults",
    "ConnectionReset": "chaoslab.faults",
    "DropMidStream": "chaoslab.faults",
    "Error": "chaoslab.faults",
    "Event": "chaoslab.observe",
    "EventBus": "chaoslab.observe",
    "EventRecorder": "chaoslab.observe",
    "EveryNth": "chaoslab.faults",
    "Fallback": "chaoslab.resilience",
    "Fault": "chaoslab.faults",
    "FaultInjector": "chaoslab.inject",
    "FirstN": "chaoslab.faults",
    "HTTPStatus": "chaoslab.faults",
    "Hang": "chaoslab.faults",
    "InjectedFault": "chaoslab.errors",
    "Injection": "chaoslab.inject",
    "Latency": "chaoslab.faults",
    "Malformed": "chaoslab.faults",
    "Pipeline": "chaoslab.resilience",
    "Probability": "chaoslab.faults",
    "Ramp": "chaoslab.faults",
    "RateLimiter": "chaoslab.resilience",
    "RetriesExhausted": "chaoslab.resilience",
    "Retry": "chaoslab.resilience",
    "Schedule": "chaoslab.faults",
    "SystemClock": "chaoslab.clock",
    "Target": "chaoslab.faults",
    "Timeout": "chaoslab.faults",
    "UnsupportedFaultError": "chaoslab.errors",
    "VirtualClock": "chaoslab.clock",
    "Window": "chaoslab.faults",
    "current_injector": "chaoslab.inject",
    "fault_from_data": "chaoslab.faults",
    "injectable": "chaoslab.inject",
    "schedule_from_data": "chaoslab.faults",
}


__all__ = [
    "AfterN",
    "Always",
    "Bulkhead",
    "Cache",
    "ChaoslabError",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "Clock",
    "ConfigError",
    "ConnectionRefused",
    "ConnectionReset",
    "DropMidStream",
    "Error",
    "Event",
    "EventBus",
    "EventRecorder",
    "EveryNth",
    "Fallback",
    "Fault",
    "FaultInjector",
    "FirstN",
    "HTTPStatus",
    "Hang",
    "InjectedFault",
    "Injection",
    "Latency",
    "Malformed",
    "Pipeline",
    "Probability",
    "Ramp",
    "RateLimiter",
    "RetriesExhausted",
    "Retry",
    "Schedule",
    "SystemClock",
    "Target",
    "Timeout",
    "UnsupportedFaultError",
    "VirtualClock",
    "Window",
    "__version__",
    "current_injector",
    "fault_from_data",
    "injectable",
    "schedule_from_data",
]

__getattr__, __dir__ = _lazy_exports(__name__, _LAZY, globals())
