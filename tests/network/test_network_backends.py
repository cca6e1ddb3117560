"""The same network from a DuckDB store and a PostgreSQL one: the store's neighbour reads
(`ids_mentioning`, `count_mentioning`, `read_neighbours`) behave alike on both."""

from __future__ import annotations

from tests.network.conftest import ENVELOPE, GANGS, HN, entity, write_lines

from cruce import Node
from cruce.network import Ask, Network
from cruce.store import Mention, Scope
from cruce.store._network_reads import Linked


def test_the_network_is_the_same_on_both_backends(store_url: str, tmp_path) -> None:
    lines = [*HN, entity("hn_x_1", "Person", name="Con Guion Bajo", phone="+50411112222"),
             entity("hnxx1", "Person", name="Sin Guion", phone="+50411112222")]
    with Node.open(store_url, agency="hn_police", user="ana.lopez") as node:
        node.ingest(write_lines(tmp_path / "hn.jsonl", lines),
                    envelope={**ENVELOPE, "agency": "hn_police"})
        doc = Network(node).neighbourhood("hn-p1", GANGS, Ask.build(depth=2)).to_dict()
        assert {n["id"] for n in doc["nodes"]} == {"hn-p1", "hn-org", "hn-p2"}
        assert doc["withheld"] == 1
        scope = Scope(("gangs_organized_crime",))
        # `_` in an id is a letter, not LIKE's any-character: hn_x_1 does not match hnxx1.
        assert node.store.ids_mentioning([Mention(("hn_x_1",))], scope) == []
        assert node.store.ids_mentioning([Mention(("+50411112222",))], scope) == ["hn_x_1",
                                                                                   "hnxx1"]
        assert node.store.count_mentioning([Mention(("hn-org",), ("Membership",))], scope,
                                           after="hn-m1") == 1
        # The whole frontier in one query: a page after a cursor, counts, an entity's own
        # record never its link, a value matched whole ("_" a letter), no link: zeros.
        found = node.store.links_mentioning(
            {"hn-org": [Mention(("hn-org",), ("Membership",))],
             "hn_x_1": [Mention(("hn_x_1",)), Mention(("+50411112222",), ("Person",))],
             "nobody": [Mention(("nobody",))]},
            scope, limit=5, starts={"hn-org": "hn-m1"})
        assert (found["hn-org"].ids, found["hn-org"].readable, found["hn-org"].after,
                found["hn-org"].every) == (("hn-m2",), 2, 1, 2)
        assert found["hn_x_1"].ids == ("hnxx1",) and found["hn_x_1"].every == 1
        assert found["nobody"] == Linked()
