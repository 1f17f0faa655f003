"""Seams into real clients: httpx transports, redis-py and psycopg connections.

See `docs/httpx.md` and `docs/adapters.md` for the point naming schemes and
how each fault is applied.
"""

from chaoslab.adapters._httpx import (
    HTTPX_FAULTS,
    AsyncChaosTransport,
    ChaosTransport,
    http_point_name,
)
from chaoslab.adapters._httpx_streams import StreamCutter
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
    "ChaosPgConnection",
    "ChaosPgCursor",
    "ChaosPgPool",
    "ChaosRedisBlockingPool",
    "ChaosRedisConnection",
    "ChaosRedisPool",
    "ChaosTransport",
    "InjectedOperationalError",
    "InjectedPoolTimeout",
    "InjectedRedisConnectionError",
    "InjectedRedisMaxConnectionsError",
    "InjectedRedisTimeoutError",
    "StreamCutter",
    "http_point_name",
    "injected_pg_error",
    "pg_error",
    "pg_point_name",
    "redis_point_name",
]
