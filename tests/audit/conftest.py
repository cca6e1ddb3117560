"""Fixtures for the audit log tests: logs in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_support import make_event

from cruce.audit import AuditLog


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "node.duckdb.audit"


@pytest.fixture
def filled(log_dir: Path) -> Iterator[Path]:
    """A closed log of 20 entries with signed heads at sizes 0, 8 and 20."""
    with AuditLog.open(log_dir, head_interval=3600) as log:
        log.sign_head()
        log.append_many([make_event(i) for i in range(8)])
        log.sign_head()
        for i in range(8, 20):
            log.append(make_event(i))
    yield log_dir
