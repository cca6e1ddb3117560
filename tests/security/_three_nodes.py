"""A compact of real DuckDB node processes on 127.0.0.1 (tests/nodes/_harness.py), each
prepared with the fixture export, its keys and the signed directory, then started; stopped
when done. The one setup of the security tests that need several nodes talking:

    @pytest.fixture(scope="module")
    def chain(tmp_path_factory):
        with running_compact(tmp_path_factory, ("hn_police", "sv_police", "us_border"),
                             "chain") as nodes:
            yield nodes
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.nodes._harness import (
    RunningNode,
    agency_export,
    duckdb_node,
    form_compact,
)


def prepare_one_at_a_time(nodes: Sequence[RunningNode], exports: Sequence[Path]) -> None:
    """Each node's CLI set-up in turn, with room for a loaded machine (three ingests at once
    can take more than a minute each there)."""
    for node, export in zip(nodes, exports, strict=True):
        node.prepare(export, timeout=300)


def start_together(nodes: Sequence[RunningNode]) -> None:
    """Start every node at once, each given three minutes to answer (a loaded machine starts
    three interpreters slowly); a node that fails to start is named."""
    threads = [threading.Thread(target=node.start, args=(180,)) for node in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for node in nodes:
        assert node.process is not None and node.process.poll() is None, node.agency


@contextmanager
def running_compact(
    tmp_path_factory: pytest.TempPathFactory, agencies: Sequence[str], prefix: str,
) -> Iterator[dict[str, RunningNode]]:
    """The running nodes of `agencies`, by agency: prepared (init, the fixture export, one
    user per role), joined into one compact and started; stopped when done."""
    nodes = [duckdb_node(agency, tmp_path_factory.mktemp(f"{prefix}_{agency}"))
             for agency in agencies]
    exports = [agency_export(Path(node.db).parent / "export", node.agency) for node in nodes]
    try:
        prepare_one_at_a_time(nodes, exports)
        form_compact(nodes, tmp_path_factory.mktemp(f"{prefix}_compact"))
        start_together(nodes)
        yield {node.agency: node for node in nodes}
    finally:
        for node in nodes:
            node.stop()
