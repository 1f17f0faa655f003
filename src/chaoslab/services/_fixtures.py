"""pytest fixtures of chaoslab.services (registered through the pytest11 entry point).

Session-scoped servers, shared by every test, with per-test isolation:

- `redis_server` / `redis_url`: one Redis for the session; `redis_url` flushes
  it before each test and gives its URL.
- `postgres_server` / `postgres_url`: one PostgreSQL for the session; each test
  gets a fresh database copied from a template (the template holds whatever
  `postgres_schema` returns, once per session), dropped afterwards.
- `redis_factory` / `postgres_factory`: private servers a test may kill, pause
  or restart without disturbing the others; closed when the test ends.

Heavy imports (redis, psycopg, the servers) happen inside the fixtures, so that
merely having chaoslab installed costs a test run nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from chaoslab.services import PostgresServer, ProcessService, RedisServer

__all__ = [
    "postgres_factory",
    "postgres_schema",
    "postgres_server",
    "postgres_url",
    "redis_factory",
    "redis_server",
    "redis_url",
]

_TEMPLATE = "chaoslab_template"
_database_numbers = itertools.count(1)


def _ensure_up(server: ProcessService) -> None:
    # A test that paused or killed a shared server must not break the next one.
    if server.state == "paused":
        server.resume()
    elif not server.running:
        server.start()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real Redis for the whole session (prefer `redis_url` in tests)."""
    from chaoslab.services import RedisServer

    with RedisServer(name="redis-session") as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of the session Redis, flushed (FLUSHALL) before this test."""
    import redis

    _ensure_up(redis_server)
    with redis.Redis.from_url(redis_server.url, socket_timeout=5) as client:
        client.flushall()
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_schema() -> str:
    """SQL run once in the template every per-test database is copied from.

    Override it in a conftest.py to give each test your tables::

        @pytest.fixture(scope="session")
        def postgres_schema() -> str:
            return "CREATE TABLE sessions (id text PRIMARY KEY, state jsonb)"
    """
    return ""


@pytest.fixture(scope="session")
def postgres_server(postgres_schema: str) -> Iterator[PostgresServer]:
    """One real PostgreSQL for the whole session (prefer `postgres_url` in tests)."""
    from chaoslab.services import PostgresServer

    with PostgresServer(name="postgres-session") as server:
        server.create_database(_TEMPLATE)
        if postgres_schema.strip():
            server.execute(postgres_schema, database=_TEMPLATE)
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh database for this test, copied from the template."""
    _ensure_up(postgres_server)
    name = f"chaoslab_test_{next(_database_numbers)}"
    url = postgres_server.create_database(name, template=_TEMPLATE)
    yield url
    _ensure_up(postgres_server)
    postgres_server.drop_database(name)


@pytest.fixture
def redis_factory() -> Iterator[Callable[..., RedisServer]]:
    """Start private Redis servers (keyword arguments as `RedisServer`); closed after the test.

    Example::

        def test_restart(redis_factory):
            server = redis_factory()
            server.kill()
            server.start()
    """
    from chaoslab.services import RedisServer

    servers: list[RedisServer] = []

    def make(**kwargs: Any) -> RedisServer:
        server = RedisServer(**kwargs)
        servers.append(server)
        return server.start()

    yield make
    _close_all(servers)


@pytest.fixture
def postgres_factory() -> Iterator[Callable[..., PostgresServer]]:
    """Start private PostgreSQL servers (keyword arguments as `PostgresServer`)."""
    from chaoslab.services import PostgresServer

    servers: list[PostgresServer] = []

    def make(**kwargs: Any) -> PostgresServer:
        server = PostgresServer(**kwargs)
        servers.append(server)
        return server.start()

    yield make
    _close_all(servers)


def _close_all(servers: list[Any]) -> None:
    errors: list[BaseException] = []
    for server in reversed(servers):
        try:
            server.close()
        except Exception as exc:  # noqa: BLE001 - close every server, then report
            errors.append(exc)
    if errors:
        raise errors[0]
