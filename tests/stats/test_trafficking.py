"""Counter-trafficking statistics: counted inside each node, combined by additive secret
sharing (no node sees another's counts), released with no cell under 11."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cruce import Node
from cruce.audit import Operation
from cruce.errors import DecryptionFailed, InvalidInput
from cruce.share import Member, NodeKeys
from cruce.stats import audit_suppression
from cruce.stats._secure_sum import (
    MODULUS,
    add_shares,
    combine,
    open_share,
    run_round,
    seal_share,
    split,
    with_buckets,
)
from cruce.stats._trafficking import (
    CODEBOOK,
    STATISTICS_WHY,
    VictimCase,
    age_group,
    local_vector,
    tables_of,
    victim_cases,
)
from cruce.store import MemorySink, open_store

AS_OF = dt.date(2026, 12, 1)
MAPPING = """\
gt_pnc_casos:
  cruce:
    agency: gt_pnc
    envelope:
      purpose: trafficking_smuggling
      handling_code: H2
      tlp: AMBER
      source_reliability: B
      information_accuracy: 2
      retention: 5y
  queries:
    - csv_url: casos.csv
      entities:
        persona:
          schema: Person
          keys: [id]
          envelope:
            subject_category:
              column: calidad
              map: {AGRAVIADO: victim, SINDICADO: suspect}
          properties:
            name: {column: nombre}
            birthDate: {column: nacimiento}
            nationality: {column: nacionalidad}
            gender: {column: sexo}
            keywords: {column: explotacion}
            country: {column: pais}
"""
CASES = """\
id,nombre,nacimiento,nacionalidad,sexo,calidad,explotacion,pais
GT-1,Ana Lopez,2011-03-04,hn,female,AGRAVIADO,explotación sexual,gt
GT-2,Rosa Cruz,1999,sv,female,AGRAVIADO,trabajo forzoso,
GT-3,Juan Ajú,,gt,male,AGRAVIADO,,mx
GT-4,Pedro Mejía,1980-01-01,hn,male,SINDICADO,,
"""


def member(agency: str, keys: NodeKeys) -> Member:
    now = datetime.now(UTC)
    pub = keys.public()
    return Member(agency, agency[:2].upper(), f"https://cruce.{agency}.example/", pub.signing,
                  pub.encryption, now - timedelta(days=1), now + timedelta(days=1))


def test_a_node_counts_its_own_victims_in_one_logged_consultation(tmp_path: Path):
    (tmp_path / "mapping.yml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "casos.csv").write_text(CASES, encoding="utf-8")
    sink = MemorySink()
    node = Node(open_store(str(tmp_path / "gt.duckdb"), sink=sink), user="statistician")
    node.ingest(tmp_path / "casos.csv", mapping=tmp_path / "mapping.yml")
    cases = victim_cases(node, as_of=AS_OF, home_country="GT", case_reference="STATS-2026-12")
    assert sorted(cases, key=lambda c: c.route) == [
        VictimCase("GT", "male", "unknown", "unknown", "GT>MX"),
        VictimCase("HN", "female", "9-17", "sexual", "HN>GT"),
        VictimCase("SV", "female", "27-29", "labour", "SV>GT"),  # 1999: from 1 July 1999
    ]
    [read] = [e for e in sink.events if e.operation is Operation.CONSULTATION]
    assert read.justification.text == STATISTICS_WHY
    assert read.justification.case_reference == "STATS-2026-12"


@pytest.mark.parametrize(("birth", "group"), [
    ("2026-11-30", "0-8"), ("2008-12-01", "18-20"), ("2008-12-02", "9-17"), ("1978", "48+"),
    ("2027-01-01", "unknown"), ("not a date", "unknown"), (None, "unknown"),
])
def test_age_groups_are_ctdcs_broad_groups_at_the_round_date(birth, group):
    assert age_group(birth, AS_OF) == group


def cases(seed: int, n: int) -> list[VictimCase]:
    rng = random.Random(seed)
    weights = {"HN": 5, "GT": 4, "SV": 3, "MX": 2, "US": 0.1, "other": 1, "unknown": 0.3}
    out = []
    for _ in range(n):
        origin = rng.choices(list(weights), list(weights.values()))[0]
        out.append(VictimCase(origin, rng.choice(["female", "female", "male", "unknown"]),
                              rng.choice(["9-17", "18-20", "21-23", "24-26", "30-38"]),
                              rng.choice(["sexual", "labour", "labour", "unknown"]),
                              f"{origin}>{rng.choice(['MX', 'GT', 'US'])}"))
    return out


def test_the_combined_tables_are_the_sum_of_the_nodes_and_have_no_cell_under_11():
    nodes = ("gt_pnc", "hn_police", "mx_inm")
    vectors = {node: local_vector(cases(i, 120)) for i, node in enumerate(nodes)}
    keys = {node: NodeKeys.generate() for node in nodes}
    members = {node: member(node, keys[node]) for node in nodes}
    published = run_round(vectors, round_id="2026-12", coordinator="secretariat", keys=keys,
                          members=members)
    together = local_vector([c for i in range(3) for c in cases(i, 120)])
    by_cell = dict(zip(CODEBOOK.cells(), together, strict=True))
    for table in published:
        for key, value in table.values.items():
            if "Total" not in key:
                assert value == by_cell[(table.dims, key)]
    assert sum(len(t.primary) for t in published) > 0  # small cells there were, and withheld
    assert published[0].render(("Total", "Total")) == "360"  # and the totals still published
    assert audit_suppression(published).is_safe


def test_a_share_says_nothing_of_the_counts_it_comes_from():
    """With the same random draws, two nodes with different counts send the same first share:
    it is the draws alone (uniform), whatever the counts."""
    draws = random.Random(3)
    fixed = [draws.randrange(MODULUS)
             for _ in range(len(with_buckets(local_vector(cases(1, 3)))))]

    def same_draws() -> Callable[[int], int]:
        it = iter(fixed)
        return lambda limit: next(it)

    few = split(local_vector(cases(1, 3)), round_id="r", sender="a", holders=["a", "b"],
                randbelow=same_draws())
    many = split(local_vector(cases(2, 500)), round_id="r", sender="a", holders=["a", "b"],
                 randbelow=same_draws())
    assert few[0].values == many[0].values
    assert few[1].values != many[1].values
    assert [(x + y) % MODULUS for x, y in zip(few[0].values, few[1].values, strict=True)] == \
        with_buckets(local_vector(cases(1, 3)))


def test_a_share_opens_only_for_its_holder_in_its_round():
    keys = {n: NodeKeys.generate() for n in ("gt_pnc", "hn_police")}
    share = split(local_vector(cases(1, 5)), round_id="r1", sender="gt_pnc",
                  holders=["gt_pnc", "hn_police"])[1]
    sealed = seal_share(share, member("hn_police", keys["hn_police"]))
    assert open_share(sealed, keys["hn_police"], round_id="r1", sender="gt_pnc",
                      me="hn_police") == share
    with pytest.raises(DecryptionFailed):  # another node's key
        open_share(sealed, keys["gt_pnc"], round_id="r1", sender="gt_pnc", me="hn_police")
    with pytest.raises(DecryptionFailed):  # replayed into another round
        open_share(sealed, keys["hn_police"], round_id="r2", sender="gt_pnc", me="hn_police")


def test_a_round_refuses_a_contributing_coordinator_a_missing_share_and_one_node():
    vectors = {n: local_vector(cases(i, 30)) for i, n in enumerate(("a", "b"))}
    shares = {n: split(v, round_id="r", sender=n, holders=["a", "b"]) for n, v in vectors.items()}
    partials = [add_shares([shares["a"][i], shares["b"][i]], me=h, senders=["a", "b"])
                for i, h in enumerate(("a", "b"))]
    total = combine(partials, coordinator="secretariat", senders=["a", "b"])
    assert total == [x + y for x, y in zip(with_buckets(vectors["a"]), with_buckets(vectors["b"]),
                                           strict=True)]
    with pytest.raises(InvalidInput, match="contributes counts itself"):
        combine(partials, coordinator="a", senders=["a", "b"])
    with pytest.raises(InvalidInput, match="holds shares from a; the round needs one from each"):
        add_shares([shares["a"][1]], me="b", senders=["a", "b"])
    with pytest.raises(InvalidInput, match="two or more distinct contributing nodes"):
        split(vectors["a"], round_id="r", sender="a", holders=["a"])


def test_no_contributor_learns_the_others_small_counts_by_subtracting_its_own():
    """A node knows its own counts: from a published cell it learns what the others counted
    together. Cells where that is 1 to 10 are withheld, margins included, and padding one's own
    counts so that nothing is suppressed does not help (the others' 2 stays hidden)."""
    nodes = ("gt_pnc", "hn_police", "mx_inm")
    own = {node: cases(i, 120) for i, node in enumerate(nodes)}
    own["hn_police"] += [VictimCase("HN", "female", "18-20", "sexual", "HN>MX")] * 40  # padding
    vectors = {node: local_vector(c) for node, c in own.items()}
    keys = {node: NodeKeys.generate() for node in nodes}
    members = {node: member(node, keys[node]) for node in nodes}
    published = run_round(vectors, round_id="2026-12", coordinator="secretariat", keys=keys,
                          members=members)
    tables = {node: tables_of(vector) for node, vector in vectors.items()}
    forced = 0
    for table in published:
        forced += len(table.forced)
        for key, value in table.values.items():
            if table.published(key) is None:
                continue
            for node in nodes:
                mine = _with_margin(tables[node][table.dims], key)
                assert not 0 < value - mine < 11, (node, table.dims, key, value - mine)
    assert forced > 0  # there were such cells, and they were withheld
    assert audit_suppression(published).is_safe


def _with_margin(cells: dict[tuple[str, ...], int], key: tuple[str, ...]) -> int:
    """A node's own count of a published cell, interior or margin (Total matches anything)."""
    return sum(v for k, v in cells.items()
               if all(want in ("Total", got) for want, got in zip(key, k, strict=True)))
