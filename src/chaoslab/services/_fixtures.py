"""pytest fixtures of chaoslab.services (registered through the pytest11 entry point).

Session-scoped servers, shared by every test, with per-test isolation:

- `redis_server` / `redis_url`: one Redis for the session; `redis_url` flushes
  it before each test and gives its URL.
- `postgres_server` / `postgres_url`: one PostgreSQL for the session; each test
  gets a fresh database copied from a template (the template holds whatever
  `postgres_schema` returns, once per session), dropped afterwards.
- `redis_factory` / `postgres_factory`: private servers a test may kill, pause
  or restart without disturbing the others; closed when the test ends.
- `redis_via_proxy` / `postgres_via_proxy`: the per-test Redis or database
  behind a chaoslab fault proxy (`chaoslab.proxy`), so a test can add toxics
  (latency, down, reset_peer, ...) between its client and the real server.

Heavy imports (redis, psycopg, the servers) happen inside the fixtures, so that
merely having chaoslab installed costs a test run nothing.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from chaoslab.proxy import Proxy
    from chaoslab.services import PostgresServer, ProcessService, ProxiedService, RedisServer

__all__ = [
    "postgres_factory",
    "postgres_schema",
    "postgres_server",
    "postgres_url",
    "postgres_via_proxy",
    "redis_factory",
    "redis_server",
    "redis_url",
    "redis_via_proxy",
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


@contextlib.contextmanager
def _proxy_to(server: ProcessService, request: pytest.FixtureRequest) -> Iterator[Proxy]:
    from chaoslab.proxy import SyncProxyServer
    from chaoslab.pytest_plugin import test_seed

    # Seeded like the `chaos` fixture: a test replays the same toxicity decisions.
    seed = test_seed(request.getfixturevalue("chaos_seed"), request.node.nodeid)
    with SyncProxyServer(seed=seed % 2**32) as proxies:
        yield proxies.create(server.name, upstream=f"{server.host}:{server.port}")


@pytest.fixture
def redis_via_proxy(
    redis_url: str, redis_server: RedisServer, request: pytest.FixtureRequest
) -> Iterator[ProxiedService[RedisServer]]:
    """The flushed session Redis behind a fault proxy; `.url` goes through the proxy.

    Example::

        def test_slow_redis(redis_via_proxy):
            client = redis.Redis.from_url(redis_via_proxy.url)
            with redis_via_proxy.proxy.latency(100):
                assert client.ping()
    """
    from chaoslab.services import ProxiedService

    with _proxy_to(redis_server, request) as proxy:
        url = f"redis://{proxy.listen}/0"
        yield ProxiedService(server=redis_server, proxy=proxy, url=url, direct_url=redis_url)


@pytest.fixture
def postgres_via_proxy(
    postgres_url: str, postgres_server: PostgresServer, request: pytest.FixtureRequest
) -> Iterator[ProxiedService[PostgresServer]]:
    """This test's fresh database behind a fault proxy; `.url` goes through the proxy.

    Example::

        def test_slow_db(postgres_via_proxy):
            with psycopg.connect(postgres_via_proxy.url) as conn:
                with postgres_via_proxy.proxy.latency(100):
                    conn.execute("select 1")
    """
    from chaoslab.services import ProxiedService

    database = postgres_url.rsplit("/", 1)[1]
    with _proxy_to(postgres_server, request) as proxy:
        url = f"postgresql://postgres@{proxy.listen}/{database}"
        yield ProxiedService(server=postgres_server, proxy=proxy, url=url, direct_url=postgres_url)


def _close_all(servers: list[Any]) -> None:
    errors: list[BaseException] = []
    for server in reversed(servers):
        try:
            server.close()
        except Exception as exc:  # noqa: BLE001 - close every server, then report
            errors.append(exc)
    if errors:
        raise errors[0]
