"""A hub with thousands of links is expanded a page at a time ("and 2,500 more"), each page
after the cursor the previous one gave, until every link has been seen once."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.network.conftest import GANGS
from tests.network.hub import hub_node

from cruce import Node
from cruce.errors import InvalidInput
from cruce.network import Ask, Network

MEMBERS = 3000


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = hub_node(tmp_path_factory.mktemp("hub"), MEMBERS)
    yield node.as_user("ana.lopez", "analyst")
    node.close()


def members_of(doc: dict) -> set[str]:
    return {n["id"] for n in doc["nodes"] if n["id"].startswith("hub-p")}


def test_a_hub_shows_one_page_and_says_how_many_more(hub: Node) -> None:
    doc = Network(hub).neighbourhood("hub-org", GANGS, Ask.build(page_size=100)).to_dict()
    assert len(members_of(doc)) == 100
    [more] = doc["more"]
    assert (more["entity_id"], more["remaining"]) == ("hub-org", MEMBERS - 100)
    assert doc["withheld"] == 0


def test_following_the_cursors_shows_every_member_exactly_once(hub: Node) -> None:
    seen: list[str] = []
    cursor, remaining = None, []
    while True:
        doc = Network(hub).neighbourhood(
            "hub-org", GANGS, Ask.build(page_size=500, cursor=cursor)).to_dict()
        seen.extend(sorted(members_of(doc)))
        if not doc["more"]:
            break
        [more] = doc["more"]
        cursor = more["cursor"]
        remaining.append(more["remaining"])
    assert len(seen) == len(set(seen)) == MEMBERS
    assert remaining == [2500, 2000, 1500, 1000, 500]


def test_a_hub_met_on_the_way_is_paged_too(hub: Node) -> None:
    doc = Network(hub).neighbourhood("hub-p00007", GANGS, Ask.build(depth=2, page_size=50)
                                     ).to_dict()
    assert {"hub-p00007", "hub-org"} <= {n["id"] for n in doc["nodes"]}
    assert len(members_of(doc)) == 50, "one page of the gang's links, the member's among them"
    [more] = doc["more"]
    assert more["entity_id"] == "hub-org" and more["remaining"] == MEMBERS - 50


def test_a_cursor_this_node_did_not_give_is_refused(hub: Node) -> None:
    with pytest.raises(InvalidInput, match="is not one this node gave"):
        Ask.build(cursor="%%%not-base64%%%")
    with pytest.raises(InvalidInput, match="is not one this node gave"):
        Ask.build(cursor=base64.urlsafe_b64encode(b"a\x00/b").decode())
    with pytest.raises(InvalidInput, match="agency \"x' or 1=1\" is not an agency's name"):
        Ask.build(agencies=["x' or 1=1"])


def test_the_hub_fixture_files_stay_in_their_folder(tmp_path: Path) -> None:
    node = hub_node(tmp_path, 3)
    try:
        assert node.store.count() == 7
    finally:
        node.close()


def test_one_request_queries_the_store_as_often_whatever_its_frontier(hub: Node) -> None:
    """Finding S8-2: a level's links are found for its whole frontier in one store query,
    not a full scan per entity; three levels out of a member (the hub and then a page of
    its members), pages of 5 or of 60, make the same number of queries."""
    counts = []
    for page_size in (5, 60):
        queries: list[str] = []
        original = hub.store._query

        def counted(sql: str, params: object = (), _original=original,
                    _queries=queries) -> object:
            _queries.append(sql)
            return _original(sql, params)

        hub.store._query = counted  # type: ignore[method-assign]
        try:
            Network(hub).neighbourhood("hub-p00007", GANGS, Ask.build(depth=3,
                                                                      page_size=page_size))
        finally:
            del hub.store._query
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 20, counts


def test_a_request_past_the_work_budget_is_refused_naming_the_limit(hub: Node) -> None:
    """Three levels out of a member with pages of 500: the third would look for a page of
    links for each of the 499 other members the second reached: refused, naming the limit."""
    with pytest.raises(InvalidInput, match=r"249500 links \(499 entities x page size 500\)"
                                           r".*limit of 100000 per request"):
        Network(hub).neighbourhood("hub-p00007", GANGS, Ask.build(depth=3, page_size=500))
