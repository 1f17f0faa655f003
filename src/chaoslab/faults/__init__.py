"""The fault vocabulary: what goes wrong (faults), when (schedules), where (targets)."""

from chaoslab.faults._data import fault_from_data, schedule_from_data, target_from_data
from chaoslab.faults._faults import (
    ConnectionRefused,
    ConnectionReset,
    DropMidStream,
    Error,
    Fault,
    Hang,
    HTTPStatus,
    Latency,
    Malformed,
    Timeout,
)
from chaoslab.faults._schedules import (
    AfterN,
    AllOf,
    Always,
    AnyOf,
    EveryNth,
    FirstN,
    Not,
    Probability,
    Ramp,
    Schedule,
    Tick,
    Window,
)
from chaoslab.faults._targets import Target

__all__ = [
    "AfterN",
    "AllOf",
    "Always",
    "AnyOf",
    "ConnectionRefused",
    "ConnectionReset",
    "DropMidStream",
    "Error",
    "EveryNth",
    "Fault",
    "FirstN",
    "HTTPStatus",
    "Hang",
    "Latency",
    "Malformed",
    "Not",
    "Probability",
    "Ramp",
    "Schedule",
    "Target",
    "Tick",
    "Timeout",
    "Window",
    "fault_from_data",
    "schedule_from_data",
    "target_from_data",
]
