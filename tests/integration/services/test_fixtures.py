"""The pytest fixtures, exercised by a real inner pytest run in a child process.

The inner suite checks per-test isolation (a flushed Redis, a fresh PostgreSQL
database from a template holding `postgres_schema`), survives a test that kills
and pauses the shared servers, and ends with a failing test that left a private
server paused. Afterwards no server process of that run may be alive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ._procs import wait_gone

INNER = """
import json, os
import psycopg, pytest, redis
from chaoslab.services._cleanup import descendants

def record(*servers):
    with open(os.environ["CHAOSLAB_PIDS_FILE"], "a") as f:
        for s in servers:
            f.write(json.dumps([s.pid, *descendants(s.pid)]) + "\\n")

@pytest.fixture(scope="session")
def postgres_schema():
    return "create table notes (id serial primary key, body text not null)"

def test_redis_first(redis_url, redis_server):
    client = redis.Redis.from_url(redis_url)
    assert client.dbsize() == 0
    client.set("leftover", "1")
    record(redis_server)

def test_redis_second_is_flushed(redis_url):
    assert redis.Redis.from_url(redis_url).dbsize() == 0

def test_postgres_first(postgres_url, postgres_server):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("insert into notes (body) values ('mine')")
        record(postgres_server)

def test_postgres_second_gets_a_fresh_copy_of_the_template(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("select count(*) from notes").fetchone() == (0,)

def test_misuse_kills_and_pauses_the_shared_servers(redis_server, postgres_server):
    redis_server.kill()
    postgres_server.pause()

def test_shared_servers_are_repaired_for_the_next_test(redis_url, postgres_url):
    assert redis.Redis.from_url(redis_url).ping()
    with psycopg.connect(postgres_url, connect_timeout=5) as conn:
        assert conn.execute("select 1").fetchone() == (1,)

def test_factory_servers_are_closed_even_when_the_test_fails(redis_factory, postgres_factory):
    r, p = redis_factory(), postgres_factory()
    conn = psycopg.connect(p.url)
    record(r, p)
    p.pause()
    assert False, "fails on purpose"
"""


def test_fixtures_isolate_tests_repair_shared_servers_and_leave_nothing_running(
    tmp_path: Path,
) -> None:
    """Flushed Redis and fresh databases per test; shared servers repaired after a test
    broke them; private servers closed after a failing test; nothing left running."""
    (tmp_path / "test_inner.py").write_text(INNER)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
    )
    pids_file = tmp_path / "pids.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env={**os.environ, "CHAOSLAB_PIDS_FILE": str(pids_file)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "1 failed, 6 passed" in result.stdout, result.stdout + result.stderr
    assert "fails on purpose" in result.stdout

    groups = [json.loads(line) for line in pids_file.read_text().splitlines()]
    pids = [pid for group in groups for pid in group]
    assert len(groups) == 4
    assert len(pids) >= 4 + 2 * 4  # two postmasters with their workers
    assert wait_gone(pids) == []
