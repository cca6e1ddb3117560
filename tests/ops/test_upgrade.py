"""Upgrades: a node written by an earlier cruce opens, migrates and keeps everything; a store
written by a newer cruce is refused in one line, untouched.

The fixtures (tests/ops/fixtures/node-<commit>.tar.gz) are nodes made by cruce as it was at
that commit, with the suite's synthetic hn_police export, a user and a judgement
(tests/ops/fixtures/make_fixture.sh says how).
"""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest
from tests._postgres import POSTGRES, fresh_schema, with_search_path
from typer.testing import CliRunner

from cruce import Node, justification
from cruce.cli import app
from cruce.errors import CruceError
from cruce.store import open_store
from cruce.store._schema import DIALECTS, MIGRATIONS

FIXTURES = Path(__file__).parent / "fixtures"
# commit -> the schema version that cruce wrote
OLD_NODES = {"b253f9c": 5, "15fc49f": 10, "2883103": 13}
# commit -> SHA-256 of its migrations joined by NUL (computed at that commit)
OLD_MIGRATIONS = {
    "b253f9c": "f89896e850374bee5e7a450cf38ddb3bbaab05579d060222502a17ce99f010f2",
    "15fc49f": "291d6260a5fb74a5e510965d7b358d55c8c285c7daba76b2c30c61d333c95096",
    "2883103": "246fdf98e10ac5bd0dba35e3de448dfdf40cd2402fd24c5b14d9e3df8211fd5e",
}
WHY = justification("gangs_organized_crime", "HN-2026-0042", "upgrade check")
runner = CliRunner()


def unpack(commit: str, into: Path) -> Path:
    with tarfile.open(FIXTURES / f"node-{commit}.tar.gz") as tar:
        tar.extractall(into, filter="data")
    return into / "node.duckdb"


def schema_version(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as conn:
        return int(conn.execute("SELECT max(version) FROM schema_migrations").fetchall()[0][0])


@pytest.mark.parametrize("commit", sorted(OLD_NODES))
def test_a_node_from_an_earlier_release_upgrades_with_its_data(commit: str, tmp_path: Path) -> None:
    db = unpack(commit, tmp_path)
    assert schema_version(db) == OLD_NODES[commit]
    with Node.open(db, user="analyst1", role="analyst") as node:
        assert node.agency == "hn_police"
        assert node.store.count() == 9
        [jose] = node.search("hernandez jose", WHY)
        assert jose.entity.caption == "Hernandez Garcia Jose Luis"
        assert [u.name for u in node.store.list_users()] == ["ana.lopez"]
        [judged] = node.store.judgement_rows()
        assert judged.verdict == "different"
    assert schema_version(db) == len(MIGRATIONS)
    # The old log goes on: the upgrade's own consultation is appended and all of it verifies.
    verified = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert verified.exit_code == 0, verified.output


@pytest.mark.postgres
@pytest.mark.parametrize("commit", sorted(OLD_NODES))
def test_a_postgres_store_at_an_earlier_schema_upgrades_with_its_data(
    commit: str, tmp_path: Path
) -> None:
    """The old release's rows, in PostgreSQL tables at its schema version, then opened."""
    db = unpack(commit, tmp_path)
    version = OLD_NODES[commit]
    with fresh_schema() as schema:
        url = with_search_path(POSTGRES, schema)
        copy_at_version(db, url, version)
        store = open_store(url)
        try:
            assert store.count() == 9
            assert store.get_setting("agency") == "hn_police"
            assert [u.name for u in store.list_users()] == ["ana.lopez"]
            assert len(store.judgement_rows()) == 1
            got = store._query("SELECT max(version) FROM schema_migrations")[0][0]
            assert got == len(MIGRATIONS)
        finally:
            store.close()


def copy_at_version(db: Path, url: str, version: int) -> None:
    """PostgreSQL tables as the first `version` migrations made them, holding db's rows."""
    with psycopg.connect(url, autocommit=True) as pg, duckdb.connect(str(db), read_only=True) as dd:
        pg.execute("CREATE TABLE schema_migrations "
                   "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
        for n, sql in enumerate(MIGRATIONS[:version], start=1):
            for statement in filter(str.strip, sql.format(**DIALECTS["postgres"]).split(";")):
                pg.execute(statement)  # type: ignore[call-overload]
            pg.execute("INSERT INTO schema_migrations VALUES (%s, now())", (n,))
        tables = [r[0] for r in dd.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_name <> 'schema_migrations'").fetchall()]
        for table in tables:
            columns = [r[0] for r in dd.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()]
            rows = dd.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            if rows:
                marks = ", ".join("%s" for _ in columns)
                with pg.cursor() as cur:
                    cur.executemany(  # type: ignore[call-overload]
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


@pytest.mark.parametrize("commit", sorted(OLD_NODES))
def test_a_released_migration_is_never_edited(commit: str) -> None:
    """A node that ran a migration never runs its edit: changes come as new migrations, so the
    migrations of each earlier release are a prefix of this one's, byte for byte."""
    ran = "\x00".join(MIGRATIONS[: OLD_NODES[commit]]).encode()
    assert hashlib.sha256(ran).hexdigest() == OLD_MIGRATIONS[commit]


# -- a newer store ----------------------------------------------------------------------------
@pytest.fixture()
def newer_db(tmp_path: Path) -> Iterator[Path]:
    db = tmp_path / "node.duckdb"
    with Node.open(db, agency="hn_police"):
        pass
    with duckdb.connect(str(db)) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (?, now())", [len(MIGRATIONS) + 1])
    yield db


def test_an_older_cruce_refuses_a_newer_store_in_one_line(newer_db: Path) -> None:
    with pytest.raises(CruceError) as caught:
        open_store(newer_db)
    assert str(caught.value) == (
        f"store {newer_db} has schema version {len(MIGRATIONS) + 1}, newer than this cruce "
        f"knows ({len(MIGRATIONS)}): run the cruce release that wrote it or a later one "
        "(never an older one)")
    assert schema_version(newer_db) == len(MIGRATIONS) + 1


def test_every_command_refuses_a_newer_store(newer_db: Path) -> None:
    result = runner.invoke(app, ["stats", "--db", str(newer_db)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: store {newer_db} has schema version")


@pytest.mark.postgres
def test_a_newer_postgres_store_is_refused() -> None:
    with fresh_schema() as schema:
        url = with_search_path(POSTGRES, schema)
        open_store(url).close()
        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute("INSERT INTO schema_migrations VALUES (%s, now())", (len(MIGRATIONS) + 1,))
        with pytest.raises(CruceError, match="newer than this cruce knows"):
            open_store(url)
