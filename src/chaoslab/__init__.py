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

from chaoslab._version import __version__
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
