"""Fixtures: N real cruce nodes (one process each, 127.0.0.1 only), on DuckDB files or on
PostgreSQL (one fresh schema per node, dropped afterwards; audit log in CRUCE_AUDIT_DIR).

    def test_x(start_nodes):
        hn, gt = start_nodes("hn_police", "gt_police")

`start_nodes` is module-scoped: a module's tests share its nodes, started once per backend.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from tests._postgres import POSTGRES, admin_connection, with_search_path
from tests.nodes._harness import (
    RunningNode,
    agency_export,
    form_compact,
    make_env,
    prepare_all,
    start_all,
)

StartNodes = Callable[..., list[RunningNode]]


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def start_nodes(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartNodes]:
    """A factory: start_nodes(*agencies) -> running, prepared nodes (stopped at teardown)."""
    started: list[RunningNode] = []
    schemas: list[str] = []
    admin: psycopg.Connection | None = None

    def store_for(agency: str, folder: Path) -> str:
        nonlocal admin
        if backend == "duckdb":
            return str(folder / f"{agency}.duckdb")
        if admin is None:
            admin = admin_connection()
        schema = f"cruce_node_{agency}_{secrets.token_hex(4)}"
        admin.execute(f"CREATE SCHEMA {schema}")
        schemas.append(schema)
        return with_search_path(POSTGRES, schema)

    def start(*agencies: str, extra: dict[str, list[Path]] | None = None) -> list[RunningNode]:
        nodes: list[RunningNode] = []
        exports: list[Path] = []
        for agency in agencies:
            folder = tmp_path_factory.mktemp(f"{backend}_{agency}")
            audit_dir = (folder / f"{agency}.duckdb.audit" if backend == "duckdb"
                         else folder / "audit")
            node = RunningNode(
                agency=agency, backend=backend, db=store_for(agency, folder),
                audit_dir=audit_dir, log_file=folder / "server.log",
                env=make_env(audit_dir if backend == "postgres" else None),
                extra=list((extra or {}).get(agency, [])),
            )
            nodes.append(node)
            exports.append(agency_export(folder / "export", agency))
        prepare_all(nodes, exports)
        form_compact(nodes, tmp_path_factory.mktemp(f"{backend}_compact"))
        started.extend(nodes)
        start_all(nodes)
        return nodes

    try:
        yield start
    finally:
        for node in started:
            node.stop()
        if admin is not None:
            with admin:
                for schema in schemas:
                    admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
