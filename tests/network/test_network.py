"""Network investigation through the Network facade: what an analyst on hn_police's node sees
around a gang member, across hn's records and what gt_police shared."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import networkx as nx
import pytest
from tests.network.conftest import GANGS, PHONE, World

from cruce.audit import Justification
from cruce.errors import InvalidInput, NotFound, PermissionDenied
from cruce.network import Ask, Format, Network, write_network


def ids(doc: dict) -> set[str]:
    return {n["id"] for n in doc["nodes"]}


def relations(doc: dict) -> set[tuple[str, str, str]]:
    return {(k["source"], k["relation"], k["target"]) for k in doc["links"]}


def test_depth_one_shows_the_gang_and_the_person_of_another_agency_sharing_the_phone(
        world: World) -> None:
    doc = Network(world.hn).neighbourhood("hn-p1", GANGS).to_dict()
    assert ids(doc) == {"hn-p1", "hn-org", "gt-p1", f"phone:{PHONE}"}
    assert relations(doc) == {("hn-p1", "membership", "hn-org"),
                              ("hn-p1", "phone", f"phone:{PHONE}"),
                              ("gt-p1", "phone", f"phone:{PHONE}")}
    agencies = {n["id"]: n.get("agency") for n in doc["nodes"]}
    assert agencies["gt-p1"] == "gt_police" and agencies["hn-org"] == "hn_police"
    [membership] = [k for k in doc["links"] if k["relation"] == "membership"]
    assert membership["via"] == "hn-m1"
    assert {e["id"] for e in doc["entities"]} == {"hn-p1", "hn-org", "gt-p1", "hn-m1"}
    assert all("envelope" in e for e in doc["entities"]), "FtM entities with their envelopes"


def test_depth_two_reaches_fellow_members_and_the_family_another_agency_shared(
        world: World) -> None:
    doc = Network(world.hn).neighbourhood("hn-p1", GANGS, Ask.build(depth=2)).to_dict()
    assert ids(doc) == {"hn-p1", "hn-org", "gt-p1", f"phone:{PHONE}", "hn-p2", "gt-p2"}
    assert ("gt-p1", "family", "gt-p2") in relations(doc)
    level = {n["id"]: n.get("level") for n in doc["nodes"]}
    assert (level["hn-p1"], level["hn-org"], level["hn-p2"]) == (0, 1, 2)
    deeper = Network(world.hn).neighbourhood("hn-p1", GANGS, Ask.build(depth=3)).to_dict()
    assert {("hn-v1", "vehicle", "hn-p2"), ("hn-t1", "trip", "hn-v1")} <= relations(deeper)


def test_a_record_collected_for_intelligence_is_never_shown_only_counted(world: World) -> None:
    view = Network(world.hn).neighbourhood("hn-p1", GANGS)
    text = json.dumps(view.to_dict())
    assert "hn-x" not in text and "Informante" not in text
    assert view.to_dict()["withheld"] == 1
    read = {i for e in world.hn.audit.iter_events() if e.event["op"] == "consultation"
            for i in e.event["record_ids"]}
    assert "hn-x" not in read, "a record the purpose may not read is never read for the user"


def test_the_withheld_record_is_shown_for_the_purpose_that_may_read_it(world: World) -> None:
    intelligence = Justification("intelligence", case_reference="INT-9")
    doc = Network(world.hn).neighbourhood("hn-x", intelligence).to_dict()
    assert ids(doc) == {"hn-x"}, "its associate was collected for gangs work: not readable"
    assert doc["withheld"] == 1


def test_a_root_the_purpose_may_not_read_is_refused_as_reading_it_directly_is(
        world: World) -> None:
    with pytest.raises(PermissionDenied) as direct:
        world.hn.get("hn-x", GANGS)
    with pytest.raises(PermissionDenied) as network:
        Network(world.hn).neighbourhood("hn-x", GANGS)
    assert str(network.value) == str(direct.value)
    with pytest.raises(NotFound, match="no record with id 'nobody'"):
        Network(world.hn).neighbourhood("nobody", GANGS)


def test_every_level_read_is_a_justified_consultation_naming_the_expansion(world: World) -> None:
    before = world.hn.audit.size
    Network(world.hn).neighbourhood("hn-p1", GANGS, Ask.build(depth=2))
    events = [e.event for e in world.hn.audit.iter_events() if e.index >= before]
    assert events and all(e["op"] == "consultation" for e in events)
    assert all(e["justification"]["case_reference"] == "HN-2026-0042" for e in events)
    assert all(e["actor"]["user"] == "ana.lopez" for e in events)
    levels = {e["details"].get("depth") for e in events if e["details"].get("network") == "hn-p1"}
    assert levels == {1, 2}
    read = {i for e in events for i in e["record_ids"]}
    assert {"hn-p1", "hn-org", "gt-p1", "hn-m1", "hn-p2", "gt-p2", "gt-f1"} <= read


def test_relations_and_agencies_filter_the_network(world: World) -> None:
    network = Network(world.hn)
    members = network.neighbourhood("hn-p1", GANGS, Ask.build(depth=2, relations=["membership"]))
    assert ids(members.to_dict()) == {"hn-p1", "hn-org", "hn-p2"}
    phones = network.neighbourhood("hn-p1", GANGS, Ask.build(relations=["phone"]))
    assert ids(phones.to_dict()) == {"hn-p1", "gt-p1", f"phone:{PHONE}"}
    own = network.neighbourhood("hn-p1", GANGS, Ask.build(depth=2, agencies=["hn_police"]))
    assert {n.get("agency") for n in own.to_dict()["nodes"]} == {"hn_police"}
    assert "gt-p1" not in ids(own.to_dict())
    with pytest.raises(InvalidInput, match="relation 'friends' is not one of membership"):
        Ask.build(relations=["friends"])
    with pytest.raises(InvalidInput, match="depth 9: give 1 to 3"):
        Ask.build(depth=9)


def test_a_shortest_path_joins_a_gang_member_to_a_relative_held_by_another_agency(
        world: World) -> None:
    view = Network(world.hn).path("hn-p2", "gt-p2", GANGS, depth=3)
    assert view.path == ["hn-p2", "hn-org", "hn-p1", f"phone:{PHONE}", "gt-p1", "gt-p2"]
    with pytest.raises(NotFound, match="no path between 'hn-p2' and 'gt-p2'"):
        Network(world.hn).path("hn-p2", "gt-p2", GANGS, depth=1)


def test_brokers_and_communities_come_with_the_network(world: World) -> None:
    doc = Network(world.hn).neighbourhood("hn-p1", GANGS, Ask.build(depth=2)).to_dict()
    assert doc["brokers"][0]["id"] in {"hn-p1", f"phone:{PHONE}"}, "the bridge between agencies"
    assert all(n["community"] is not None for n in doc["nodes"])
    assert sum(len(c) for c in doc["communities"]) == len(doc["nodes"])


def test_the_gexf_is_ftm_graph_that_gephi_and_networkx_read(world: World) -> None:
    view = Network(world.hn).neighbourhood("hn-p1", GANGS, Ask.build(depth=2))
    out = world.folder / "net.gexf"
    write_network(view, Format.GEXF, out)
    ET.parse(out)  # well-formed XML
    graph = nx.read_gexf(out)
    labels = {data["label"] for _, data in graph.nodes(data=True)}
    assert {"Jose Luis Hernandez Garcia", "Pedro Cruz Tzul", "Clica Los Olivos"} <= labels
    agencies = {data.get("agency") for _, data in graph.nodes(data=True)}
    assert {"hn_police", "gt_police"} <= agencies
    kinds = {data.get("schema") for _, _, data in graph.edges(data=True)}
    assert {"Membership", "Family", "phone"} <= kinds
    assert out.stat().st_mode & 0o077 == 0, "private to its owner"


def test_csv_and_json_exports_hold_the_same_links(world: World) -> None:
    view = Network(world.hn).neighbourhood("hn-p1", GANGS, Ask.build(depth=2))
    write_network(view, Format.CSV, world.folder / "net.csv")
    write_network(view, Format.JSON, world.folder / "net.json")
    lines = (world.folder / "net.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ("source,source_caption,source_agency,relation,target,target_caption,"
                        "target_agency,via,label")
    assert "hn-p1,Jose Luis Hernandez Garcia,hn_police,membership,hn-org,Clica Los Olivos," \
           "hn_police,hn-m1,Membership" in lines
    doc = json.loads((world.folder / "net.json").read_text(encoding="utf-8"))
    assert len(doc["links"]) == len(lines) - 1


def test_the_linkage_joins_the_same_person_seen_by_two_agencies(world: World) -> None:
    network = Network(world.hn)
    assert "gt-p3" not in ids(network.neighbourhood("hn-p1", GANGS).to_dict())
    world.hn.store.save_link_run("model-test", "{}", 2, [], {"hn-p1": "c-1", "gt-p3": "c-1"})
    doc = network.neighbourhood("hn-p1", GANGS, Ask.build(relations=["same_person"])).to_dict()
    assert ids(doc) == {"hn-p1", "gt-p3"}
    assert relations(doc) == {("gt-p3", "same_person", "hn-p1")}


PURPOSES = ["gangs_organized_crime", "trafficking_smuggling", "border_security", "intelligence"]


@pytest.mark.parametrize("purpose", PURPOSES)
def test_the_network_never_shows_what_a_direct_read_would_refuse(world: World,
                                                                 purpose: str) -> None:
    why = Justification(purpose, case_reference="HN-2026-0042")
    readable, refused = set(), set()
    for record_id in ("hn-org", "hn-p1", "hn-p2", "hn-x", "hn-vic", "hn-m1", "hn-m2", "hn-v1",
                      "hn-t1", "hn-a1", "hn-f1", "gt-p1", "gt-p2", "gt-f1", "gt-p3"):
        try:
            world.hn.get(record_id, why)
            readable.add(record_id)
        except PermissionDenied:
            refused.add(record_id)
    assert readable and refused
    for root in sorted(readable):
        doc = Network(world.hn).neighbourhood(root, why, Ask.build(depth=3)).to_dict()
        shown = {e["id"] for e in doc["entities"]} | {n["id"] for n in doc["nodes"]}
        assert not shown & refused, (root, shown & refused)
        # A refused id appears only as a readable record names it (an Associate its associate):
        # never as a node, a link's end, or a record of its own.
        graph = json.dumps([doc["nodes"], doc["links"], doc["brokers"], doc["communities"]])
        assert not [i for i in refused if f'"{i}"' in graph], root
    for root in sorted(refused):
        with pytest.raises(PermissionDenied):
            Network(world.hn).neighbourhood(root, why)


def test_a_victim_is_shown_as_a_direct_read_shows_it_with_its_protection(world: World) -> None:
    doc = Network(world.hn).neighbourhood("hn-p2", GANGS).to_dict()
    [victim] = [n for n in doc["nodes"] if n["id"] == "hn-vic"]
    direct = world.hn.get("hn-vic", GANGS).envelope
    assert (victim["subject_category"], victim["tlp"]) == ("victim", "RED")
    assert (str(direct.subject_category), str(direct.tlp)) == ("victim", "RED")


def test_people_sharing_an_address_are_linked_events_at_one_crossing_are_not(tmp_path) -> None:
    from tests.network.conftest import ENVELOPE, entity, write_lines

    from cruce import Node

    lines = [entity("p-1", "Person", name="Rosa Tzul", address="Colonia Kennedy 4"),
             entity("p-2", "Person", name="Juan Tzul", address="Colonia Kennedy 4"),
             entity("p-3", "Person", name="Luis Paz"),
             entity("e-1", "Event", name="Cruce", address="Aduana Corinto", involved="p-1"),
             entity("e-2", "Event", name="Cruce", address="Aduana Corinto", involved="p-3")]
    with Node.open(tmp_path / "n.duckdb", agency="hn_police", user="ana") as node:
        node.ingest(write_lines(tmp_path / "n.jsonl", lines),
                    envelope={**ENVELOPE, "agency": "hn_police"})
        view = Network(node).neighbourhood("p-1", GANGS, Ask.build(depth=3))
        write_network(view, Format.GEXF, tmp_path / "n.gexf")
    doc = view.to_dict()
    assert ids(doc) == {"p-1", "p-2", "e-1", "address:Colonia Kennedy 4"}
    assert "p-3" not in ids(doc) and "e-2" not in ids(doc)
    gexf = nx.read_gexf(tmp_path / "n.gexf")
    assert not [n for n in gexf.nodes if "Corinto" in n]
