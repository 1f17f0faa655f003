"""Seams into real clients: httpx transports, redis-py and psycopg connections.

See `docs/httpx.md` and `docs/adapters.md` for the point naming schemes and
how each fault is applied. The redis-py and psycopg parts (and the Redis
storage for the resilience strategies) load on first use, so that the httpx
seam needs neither library (they come with the `services` extra).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from chaoslab.adapters._httpx import (
    HTTPX_FAULTS,
    AsyncChaosTransport,
    ChaosTransport,
    http_point_name,
)
from chaoslab.adapters._httpx_streams import StreamCutter

if TYPE_CHECKING:
    from chaoslab.adapters._psycopg import (
        PG_CONNECT_POINT,
        PG_FAULTS,
        InjectedOperationalError,
        injected_pg_error,
        pg_error,
        pg_point_name,
    )
    from chaoslab.adapters._psycopg_conn import (
        AsyncChaosPgConnection,
        AsyncChaosPgCursor,
        ChaosPgConnection,
        ChaosPgCursor,
    )
    from chaoslab.adapters._psycopg_pool import (
        PG_POOL_POINT,
        AsyncChaosPgPool,
        ChaosPgPool,
        InjectedPoolTimeout,
    )
    from chaoslab.adapters._redis import (
        REDIS_FAULTS,
        REDIS_POOL_POINT,
        AsyncChaosRedisBlockingPool,
        AsyncChaosRedisConnection,
        AsyncChaosRedisPool,
        ChaosRedisBlockingPool,
        ChaosRedisConnection,
        ChaosRedisPool,
        InjectedRedisConnectionError,
        InjectedRedisMaxConnectionsError,
        InjectedRedisTimeoutError,
        redis_point_name,
    )
    from chaoslab.adapters._redis_backends import (
        CacheBackendFailedOver,
        CacheBackendRestored,
        FallbackBackend,
        RedisCacheBackend,
    )
    from chaoslab.adapters._redis_breaker_store import BreakerStoreFailed, RedisBreakerStore

__all__ = [
    "HTTPX_FAULTS",
    "PG_CONNECT_POINT",
    "PG_FAULTS",
    "PG_POOL_POINT",
    "REDIS_FAULTS",
    "REDIS_POOL_POINT",
    "AsyncChaosPgConnection",
    "AsyncChaosPgCursor",
    "AsyncChaosPgPool",
    "AsyncChaosRedisBlockingPool",
    "AsyncChaosRedisConnection",
    "AsyncChaosRedisPool",
    "AsyncChaosTransport",
    "BreakerStoreFailed",
    "CacheBackendFailedOver",
    "CacheBackendRestored",
    "ChaosPgConnection",
    "ChaosPgCursor",
    "ChaosPgPool",
    "ChaosRedisBlockingPool",
    "ChaosRedisConnection",
    "ChaosRedisPool",
    "ChaosTransport",
    "FallbackBackend",
    "InjectedOperationalError",
    "InjectedPoolTimeout",
    "InjectedRedisConnectionError",
    "InjectedRedisMaxConnectionsError",
    "InjectedRedisTimeoutError",
    "RedisBreakerStore",
    "RedisCacheBackend",
    "StreamCutter",
    "http_point_name",
    "injected_pg_error",
    "pg_error",
    "pg_point_name",
    "redis_point_name",
]

# The private module defining each lazily loaded public name.
_MODULES: dict[str, tuple[str, ...]] = {
    "_psycopg": (
        "PG_CONNECT_POINT",
        "PG_FAULTS",
        "InjectedOperationalError",
        "injected_pg_error",
        "pg_error",
        "pg_point_name",
    ),
    "_psycopg_conn": (
        "AsyncChaosPgConnection",
        "AsyncChaosPgCursor",
        "ChaosPgConnection",
        "ChaosPgCursor",
    ),
    "_psycopg_pool": ("PG_POOL_POINT", "AsyncChaosPgPool", "ChaosPgPool", "InjectedPoolTimeout"),
    "_redis": (
        "REDIS_FAULTS",
        "REDIS_POOL_POINT",
        "AsyncChaosRedisBlockingPool",
        "AsyncChaosRedisConnection",
        "AsyncChaosRedisPool",
        "ChaosRedisBlockingPool",
        "ChaosRedisConnection",
        "ChaosRedisPool",
        "InjectedRedisConnectionError",
        "InjectedRedisMaxConnectionsError",
        "InjectedRedisTimeoutError",
        "redis_point_name",
    ),
    "_redis_backends": (
        "CacheBackendFailedOver",
        "CacheBackendRestored",
        "FallbackBackend",
        "RedisCacheBackend",
    ),
    "_redis_breaker_store": ("BreakerStoreFailed", "RedisBreakerStore"),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chaoslab.adapters' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"chaoslab.adapters.{module}"), name)
    globals()[name] = value  # later reads skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
