"""One real node process on 127.0.0.1 for the API's hostile tests (tests/nodes/_harness.py):
a DuckDB store with the fixture data, one user per role, a member of a one-node compact.

    from tests.security._api_node import api_node  # noqa: F401  (the fixture)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.nodes._harness import RunningNode, agency_export, duckdb_node, form_compact


def rss_bytes(pid: int) -> int:
    """The resident memory of a process, from /proc/PID/status (VmRSS, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


@pytest.fixture(scope="module")
def api_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    folder = tmp_path_factory.mktemp("api_node")
    node = duckdb_node("hn_police", folder)
    node.prepare(agency_export(folder / "export", "hn_police"))
    form_compact([node], tmp_path_factory.mktemp("api_compact"))
    node.start()
    try:
        yield node
    finally:
        node.stop()
