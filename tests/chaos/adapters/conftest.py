"""Fixtures of the adapter tests: a per-test database with the `accounts` table."""

from __future__ import annotations

import psycopg
import pytest

SCHEMA = "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)"


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    """This test's fresh database, with an empty `accounts` table."""
    with psycopg.connect(postgres_url) as conn:
        conn.execute(SCHEMA)
    return postgres_url
