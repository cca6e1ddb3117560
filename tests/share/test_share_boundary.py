"""Sharing reaches the store only through its public methods (the ShareTables mixin): no
backend hook (`_query`, `_execute`, `_select`, `_append_rows`, ...) is called from share/."""

from __future__ import annotations

import re
from pathlib import Path

import cruce.share

HOOK = re.compile(r"\.(_query|_execute|_select|_append_rows|_bulk_upsert|_put_fragments|"
                  r"_fragments_elsewhere|_begin|_emit)\(")
# Modules other helpers are still moving onto the public methods (see git log).
PENDING = {"_provenance.py"}


def test_no_module_of_share_calls_a_store_hook() -> None:
    folder = Path(cruce.share.__file__).parent
    calls = {path.name: HOOK.findall(path.read_text(encoding="utf-8"))
             for path in sorted(folder.glob("*.py")) if path.name not in PENDING}
    assert {name: found for name, found in calls.items() if found} == {}
