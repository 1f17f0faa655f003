"""Real dependencies as child processes: Redis, PostgreSQL, any command.

Each service starts on a free 127.0.0.1 port in a temporary folder, waits until
it is healthy, and can be stopped, killed (-9), paused (SIGSTOP), resumed and
restarted on the same port and data. Every process is cleaned up at exit, on
SIGTERM/SIGHUP, and (on Linux) when the Python process dies.

Example:
    >>> from chaoslab.services import RedisServer
    >>> with RedisServer() as redis_server:  # doctest: +SKIP
    ...     redis_server.url
    'redis://127.0.0.1:50123/0'
"""

from chaoslab.services._binaries import (
    PG_BIN_ENV,
    REDIS_SERVER_ENV,
    SERVICE_USER_ENV,
    ServiceUser,
    find_postgres_bin,
    find_redis_server,
    service_user,
)
from chaoslab.services._events import (
    ServiceEvent,
    ServiceKilled,
    ServicePaused,
    ServiceResumed,
    ServiceStarted,
    ServiceStopped,
)
from chaoslab.services._postgres import PostgresServer
from chaoslab.services._process import ProcessService, ServiceState, free_port
from chaoslab.services._proxied import ProxiedService
from chaoslab.services._readiness import (
    HttpOk,
    LogLine,
    PgAcceptsConnections,
    PortOpen,
    Readiness,
    RedisPong,
)
from chaoslab.services._redis import RedisServer

__all__ = [
    "PG_BIN_ENV",
    "REDIS_SERVER_ENV",
    "SERVICE_USER_ENV",
    "HttpOk",
    "LogLine",
    "PgAcceptsConnections",
    "PortOpen",
    "PostgresServer",
    "ProcessService",
    "ProxiedService",
    "Readiness",
    "RedisPong",
    "RedisServer",
    "ServiceEvent",
    "ServiceKilled",
    "ServicePaused",
    "ServiceResumed",
    "ServiceStarted",
    "ServiceState",
    "ServiceStopped",
    "ServiceUser",
    "find_postgres_bin",
    "find_redis_server",
    "free_port",
    "service_user",
]
