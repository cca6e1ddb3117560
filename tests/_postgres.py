"""A fresh PostgreSQL schema for a test, dropped afterwards, and the store URL whose
search_path is it: the one place store, link, security and node tests get a PostgreSQL store.
No server at CRUCE_TEST_POSTGRES: the test is skipped, saying why."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

POSTGRES = os.environ.get("CRUCE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def with_search_path(base: str, schema: str) -> str:
    """`base` with `schema` as the search_path of every connection made from it."""
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def admin_connection() -> psycopg.Connection:
    """An autocommit connection to the test server (the test is skipped if there is none)."""
    try:
        return psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {POSTGRES}: {str(exc).splitlines()[0]}")


@contextmanager
def fresh_schema(prefix: str = "cruce_test") -> Iterator[str]:
    """A new, empty schema named `prefix_<random>`, dropped with all it holds afterwards."""
    schema = f"{prefix}_{secrets.token_hex(6)}"
    with admin_connection() as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield schema
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def fresh_store_url(prefix: str = "cruce_test") -> Iterator[str]:
    """The URL of a store in a new, empty schema (see `fresh_schema`)."""
    with fresh_schema(prefix) as schema:
        yield with_search_path(POSTGRES, schema)
