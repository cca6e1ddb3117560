"""Hostile tests of provenance and protection (issue 10, findings 1, 2, 3 and 13), on three real
nodes over HTTP: a recipient's analyst relabels a received record, a member node's package
overwrites, reattributes or erases another node's records, an analyst lowers the protection of
the agency's own record, a protective change stays behind at the recipients."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.nodes._harness import RunningNode
from tests.security._provenance_nodes import (
    PURPOSE,
    WHY,
    call,
    events,
    eventually,
    fresh,
    person,
    record,
    share,
    three_nodes,
    upload,
)
from tests.share.share_support import make_record

from cruce.records import Record
from cruce.share import Directory, NodeKeys, seal
from cruce.share._notice import seal_notice

__all__ = ["three_nodes"]  # the fixture, imported for pytest

Nodes = dict[str, RunningNode]


def shared(sender: RunningNode, receiver: RunningNode, key: str, role: str = "analyst",
           **extra: Any) -> None:
    """Share one record and wait until the receiver holds it (delivery may be retried)."""
    answer = share(sender, role, [key], [receiver.agency], **extra)
    assert answer.status_code == 200, answer.text
    eventually(lambda: record(receiver, key) is not None)


def envelope(node: RunningNode, record_id: str) -> dict[str, Any]:
    found = record(node, record_id)
    assert found is not None, f"{node.agency} does not hold {record_id}"
    return dict(found["envelope"])


# -- finding 1: a recipient relabels a received record and passes it on ------------------------
def test_a_recipient_cannot_relabel_a_received_record_as_its_own(three_nodes: Nodes) -> None:
    hn, gt = three_nodes["hn_police"], three_nodes["gt_police"]
    key = fresh("prov-amber")
    assert upload(hn, "analyst", person(key, "hn_police")).status_code == 200
    shared(hn, gt, key)
    assert share(gt, "analyst", [key], ["sv_police"]).status_code == 403  # AMBER, H2

    hostile = person(key, "gt_police", tlp="GREEN", code="H0", name="Persona Renombrada")
    answer = upload(gt, "analyst", hostile)
    assert answer.status_code == 409, answer.text
    assert key in answer.json()["error"]["message"]
    assert "hn_police" in answer.json()["error"]["message"]
    held = envelope(gt, key)
    assert (held["agency"], held["tlp"], held["handling_code"]) == ("hn_police", "AMBER", "H2")
    assert record(gt, key)["properties"]["name"] == ["Persona Prueba"]  # type: ignore[index]
    assert share(gt, "analyst", [key], ["sv_police"]).status_code == 403
    assert record(three_nodes["sv_police"], key) is None


def test_a_batch_with_one_relabelled_record_stores_the_others(three_nodes: Nodes) -> None:
    hn, gt = three_nodes["hn_police"], three_nodes["gt_police"]
    key, own = fresh("prov-batch"), fresh("gt-own")
    assert upload(hn, "analyst", person(key, "hn_police")).status_code == 200
    shared(hn, gt, key)
    answer = upload(gt, "analyst", person(key, "gt_police", tlp="GREEN", code="H0"),
                    person(own, "gt_police"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 1
    [refused] = answer.json()["refused"]
    assert refused["id"] == key and "hn_police" in refused["reason"]
    assert envelope(gt, key)["agency"] == "hn_police"
    assert envelope(gt, own)["agency"] == "gt_police"


def test_a_released_victim_cannot_be_reingested_and_released_onward(three_nodes: Nodes) -> None:
    hn, gt, sv = (three_nodes[a] for a in ("hn_police", "gt_police", "sv_police"))
    key = fresh("prov-victim")
    assert upload(hn, "analyst", person(key, "hn_police", category="victim")).status_code == 200
    shared(hn, gt, key, "supervisor",
           release="identification requested by PNC Guatemala, case GT-77")
    hostile = person(key, "gt_police", tlp="GREEN", code="H0", category="suspect")
    assert upload(gt, "supervisor", hostile).status_code == 409
    held = envelope(gt, key)
    assert (held["agency"], held["subject_category"], held["tlp"]) == (
        "hn_police", "victim", "RED")
    onward = share(gt, "supervisor", [key], ["sv_police"], release="onward, as gt's own")
    assert onward.status_code == 403, onward.text
    assert record(sv, key) is None


def test_the_logged_justification_of_an_api_ingest_is_the_requests(three_nodes: Nodes) -> None:
    gt = three_nodes["gt_police"]
    key = fresh("gt-why")
    headers = {"X-Cruce-Purpose": "intelligence", "X-Cruce-Case": "GT-CASE-9",
               "X-Cruce-Why": "register of the Mixco arrests"}
    answer = upload(gt, "analyst", person(key, "gt_police"), **headers)
    assert answer.status_code == 200, answer.text
    [collected] = [e for e in events(gt, key) if e["op"] == "collection"]
    assert collected["justification"]["purpose"] == "intelligence"
    assert collected["justification"]["case_reference"] == "GT-CASE-9"
    assert collected["justification"]["text"] == "register of the Mixco arrests"


# -- finding 3: an analyst alone lowers the protection of the agency's own records ------------
def test_an_analyst_cannot_turn_a_victim_into_a_shareable_suspect(three_nodes: Nodes) -> None:
    hn = three_nodes["hn_police"]
    key = fresh("prov-own-victim")
    assert upload(hn, "analyst", person(key, "hn_police", category="victim")).status_code == 200
    again = upload(hn, "analyst", person(key, "hn_police", tlp="GREEN", code="H0"))
    assert again.status_code == 200, again.text
    assert again.json()["kept_stricter"] == 1
    held = envelope(hn, key)
    assert (held["subject_category"], held["tlp"], held["is_shareable"]) == (
        "victim", "RED", False)
    assert share(hn, "analyst", [key], ["gt_police"]).status_code == 403


def test_only_a_supervisor_lowers_protection_and_the_log_says_why(three_nodes: Nodes) -> None:
    hn = three_nodes["hn_police"]
    key = fresh("prov-lower")
    assert upload(hn, "analyst", person(key, "hn_police", category="victim")).status_code == 200
    suspect = person(key, "hn_police", tlp="GREEN", code="H0")
    why = "misfiled: the court confirmed a suspect, case HN-77"
    denied = upload(hn, "analyst", suspect, **{"X-Cruce-Lower": why})
    assert denied.status_code == 403, denied.text
    assert envelope(hn, key)["subject_category"] == "victim"
    lowered = upload(hn, "supervisor", suspect, **{"X-Cruce-Lower": why})
    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["lowered"] == 1
    held = envelope(hn, key)
    assert (held["subject_category"], held["tlp"], held["handling_code"]) == (
        "suspect", "GREEN", "H0")
    logged = [e for e in events(hn, key) if e["op"] == "alteration" and "lowered" in e["details"]]
    assert len(logged) == 1
    details = logged[0]["details"]
    assert {"subject_category", "tlp", "is_shareable", "handling_code"} <= set(details["lowered"])
    assert details["lowered_why"] == why and details["lowered_by"] == "user.supervisor"


LOWERINGS = {
    # field: (stored envelope, re-ingested envelope, the field's stored value kept)
    "tlp": ({"tlp": "AMBER"}, {"tlp": "GREEN"}, ("tlp", "AMBER")),
    "handling_code": ({"code": "H2"}, {"code": "H0"}, ("handling_code", "H2")),
    "shareable": ({"shareable": False}, {"shareable": True}, ("is_shareable", False)),
    "retention": ({"retain": "2030-01-01"}, {"retain": "2040-01-01"},
                  ("retain_until", "2030-01-01")),
    "purpose": ({}, {"purpose": "border_security"}, ("purpose", PURPOSE)),
}


@pytest.mark.parametrize("field", sorted(LOWERINGS))
def test_an_analyst_reingest_keeps_the_stricter_value(three_nodes: Nodes, field: str) -> None:
    hn = three_nodes["hn_police"]
    stored, lower, (name, kept) = LOWERINGS[field]
    key = fresh(f"prov-{field}")
    assert upload(hn, "analyst", person(key, "hn_police", **stored)).status_code == 200
    again = upload(hn, "analyst", person(key, "hn_police", **{**stored, **lower}))
    assert again.status_code == 200, again.text
    assert again.json()["kept_stricter"] == 1
    assert envelope(hn, key)[name] == kept
    if field == "purpose":  # not shareable for the purpose it was never collected for
        border = call(hn, "analyst", "POST", "/api/v1/shares",
                      {"records": [key], "recipients": ["gt_police"]},
                      **{"X-Cruce-Purpose": "border_security"})
        assert border.status_code == 403, border.text


def test_a_csv_record_reingested_under_another_purpose_keeps_its_purpose(
    three_nodes: Nodes,
) -> None:
    hn = three_nodes["hn_police"]
    hits = call(hn, "analyst", "GET", "/api/v1/search?q=hernandez+garcia").json()
    found = [h for h in hits if h["schema"] == "Person"]
    assert found, hits
    hit = found[0]
    line = {"id": hit["id"], "schema": "Person", "properties": hit["properties"],
            "envelope": {**{k: hit["envelope"][k] for k in (
                "agency", "dataset", "handling_code", "tlp", "source_reliability",
                "information_accuracy", "retain_until", "subject_category")},
                "purpose": "border_security"}}
    again = upload(hn, "analyst", line)
    assert again.status_code == 200, again.text
    assert envelope(hn, hit["id"])["purpose"] == hit["envelope"]["purpose"]


# -- finding 13: a record reclassified as a victim stays shareable at its recipients ----------
def test_a_record_reclassified_as_victim_is_withdrawn_from_its_recipients(
    three_nodes: Nodes,
) -> None:
    hn, gt, sv = (three_nodes[a] for a in ("hn_police", "gt_police", "sv_police"))
    key = fresh("prov-reclass")
    assert upload(hn, "analyst", person(key, "hn_police", tlp="GREEN", code="H0")).status_code \
        == 200
    shared(hn, gt, key)
    answer = upload(hn, "analyst", person(key, "hn_police", category="victim"))
    assert answer.status_code == 200, answer.text  # the write committed: never an error
    assert answer.json()["withdrawals"]["withdrawn"] == 1
    assert envelope(hn, key)["subject_category"] == "victim"
    eventually(lambda: record(gt, key) is None)
    onward = share(gt, "supervisor", [key], ["sv_police"])
    assert onward.status_code == 404, onward.text
    assert record(sv, key) is None


def test_a_correction_refused_by_the_rules_is_reported_not_raised(three_nodes: Nodes) -> None:
    hn, gt = three_nodes["hn_police"], three_nodes["gt_police"]
    key = fresh("prov-corr")
    assert upload(hn, "analyst", person(key, "hn_police")).status_code == 200
    shared(hn, gt, key)
    renamed = person(key, "hn_police", name="Persona Corregida")
    other = {**WHY, "X-Cruce-Purpose": "intelligence"}  # not the record's purpose
    with hn.client("analyst", **other) as client:
        answer = client.post("/api/v1/records", content=(json.dumps(renamed) + "\n").encode(),
                             headers={"Content-Type": "application/x-ndjson"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["updated"] == 1
    assert answer.json()["corrections"]["corrected"] == 1
    eventually(lambda: record(gt, key)["properties"]["name"]  # type: ignore[index]
               == ["Persona Corregida"])


# -- finding 2: a member node overwrites, reattributes or erases another node's records -------
def sv_keys(node: RunningNode) -> tuple[NodeKeys, Directory]:
    from cruce._node import authority_key

    keys = NodeKeys.load_or_generate(Path(node.env["CRUCE_KEYS_DIR"]))
    directory = Directory.load(Path(node.env["CRUCE_DIRECTORY"]),
                               authority_key(Path(node.env["CRUCE_AUTHORITY_KEY"])))
    return keys, directory


def sv_package(sv: RunningNode, to: str, *records: Record) -> bytes:
    """A package genuinely sealed with sv_police's own directory key: an insider member."""
    keys, directory = sv_keys(sv)
    return seal(list(records), keys, "sv_police", [directory.member(to)], uuid.uuid4(),
                datetime.now(UTC), purpose=PURPOSE)


def post(node: RunningNode, path: str, data: bytes) -> httpx.Response:
    return httpx.post(f"{node.base_url}{path}", content=data, timeout=30)


def test_a_member_cannot_overwrite_or_erase_the_receivers_own_record(three_nodes: Nodes) -> None:
    hn, sv = three_nodes["hn_police"], three_nodes["sv_police"]
    key = fresh("prov-hn-own")
    assert upload(hn, "analyst", person(key, "hn_police")).status_code == 200
    forged = make_record(key, name="Nombre Agregado", agency="sv_police", tlp="GREEN",
                         handling_code="H0", purpose=PURPOSE)
    answer = post(hn, "/api/v1/shares/inbox", sv_package(sv, "hn_police", forged))
    assert answer.status_code == 409, answer.text
    held = record(hn, key)
    assert held is not None and held["properties"]["name"] == ["Persona Prueba"]
    assert (held["envelope"]["agency"], held["envelope"]["handling_code"]) == ("hn_police", "H2")
    keys, _ = sv_keys(sv)
    notice = seal_notice(keys, "sv_police", "hn_police", [key], "erase it")
    assert post(hn, "/api/v1/shares/notices", notice).status_code == 200
    assert record(hn, key) is not None


@pytest.mark.parametrize("claimed", ["us_border", "gt_police"])
def test_a_member_cannot_attribute_records_to_another_agency(three_nodes: Nodes,
                                                             claimed: str) -> None:
    hn, sv = three_nodes["hn_police"], three_nodes["sv_police"]
    key = fresh(f"prov-claim-{claimed}")
    forged = make_record(key, agency=claimed, tlp="AMBER", handling_code="H2", purpose=PURPOSE)
    answer = post(hn, "/api/v1/shares/inbox", sv_package(sv, "hn_police", forged))
    # Not a member, or a member's record without that member's attestation: refused for good
    # (test_provenance_forgery.py).
    assert answer.status_code == 409, answer.text
    assert claimed in answer.json()["error"]["message"]
    assert record(hn, key) is None


def test_a_red_record_in_a_package_is_refused_on_arrival(three_nodes: Nodes) -> None:
    hn, sv = three_nodes["hn_police"], three_nodes["sv_police"]
    red, green = fresh("prov-red"), fresh("prov-green")
    package = sv_package(sv, "hn_police",
                         make_record(red, agency="sv_police", tlp="RED", purpose=PURPOSE),
                         make_record(green, agency="sv_police", tlp="GREEN", purpose=PURPOSE))
    answer = post(hn, "/api/v1/shares/inbox", package)
    assert answer.status_code == 200, answer.text
    assert record(hn, red) is None
    assert record(hn, green) is not None
