from __future__ import annotations

import csv
from pathlib import Path

from cruce import Node
from cruce.demo import generate_bench_csv
from cruce.demo._police import HN_PERSONAS


def test_bench_csv_has_the_hn_layout_and_ingests_cleanly(tmp_path: Path) -> None:
    files = generate_bench_csv(tmp_path / "bench" / "personas.csv", rows=4000, seed=1)
    assert files.mapping == tmp_path / "bench" / "personas.mapping.yml"
    with files.csv.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == HN_PERSONAS
    assert len(rows) == 4001
    assert len({r[0] for r in rows[1:]}) == 4000
    with Node.open(":memory:", agency="hn_police") as node:
        result = node.ingest(files.csv, mapping=files.mapping)
        assert (result.rows, result.rejected) == (4000, 0)
        assert dict(node.stats("schema"))["Person"] == 4000
