"""Hostile tests of provenance a member node cannot forge (issue 10, second red team: gaps a and
b), on three real nodes over HTTP.

a. sv_police, a member with a valid directory key, plants a record under gt_police's name
   (an id gt never shared), alters a record it passes on, replays an older version over a
   newer one, and erases a record it brought on its own word. Each was accepted before: the
   arrival rule trusted the agency a record claimed and the channel that brought it.
b. An id that differs only in case from another agency's record (`HN-…` beside hn's `hn-…`)
   was stored as a new record, locally and on arrival.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.nodes._harness import RunningNode
from tests.security._provenance_nodes import (
    PURPOSE,
    call,
    eventually,
    fresh,
    person,
    record,
    share,
    three_nodes,
    upload,
)
from tests.security.test_provenance_rules import line, store, write

from cruce.errors import Conflict
from cruce.share import Directory, NodeKeys, seal
from cruce.share._attest import record_digest, statement
from cruce.share._canon import b64e
from cruce.share._notice import seal_notice
from cruce.store import Store
from cruce.store._share_tables import Attestation

__all__ = ["store", "three_nodes"]  # the fixtures, imported for pytest

Nodes = dict[str, RunningNode]


def keys_of(node: RunningNode) -> tuple[NodeKeys, Directory]:
    """A node's own keys and the compact's directory, as its operator holds them."""
    from cruce._node import authority_key

    keys = NodeKeys.load_or_generate(Path(node.env["CRUCE_KEYS_DIR"]))
    directory = Directory.load(Path(node.env["CRUCE_DIRECTORY"]),
                               authority_key(Path(node.env["CRUCE_AUTHORITY_KEY"])))
    return keys, directory


def signed_by(node: RunningNode, item: dict[str, Any], version: str) -> Attestation:
    """`node`'s genuine attestation of `item` at `version` (what its packages carry)."""
    keys, _ = keys_of(node)
    digest = record_digest(item)
    signature = keys.signing_key.sign(statement(item["id"], node.agency, version, digest))
    return Attestation(item["id"], node.agency, version, digest, b64e(signature))


def package(sender: RunningNode, to: str, items: list[dict[str, Any]],
            attestations: dict[str, Attestation]) -> bytes:
    """A package genuinely sealed with the sender's own directory key: an insider member."""
    keys, directory = keys_of(sender)
    return seal(items, keys, sender.agency, [directory.member(to)], uuid.uuid4(),
                datetime.now(UTC), purpose=PURPOSE, attestations=attestations)


def post(node: RunningNode, path: str, data: bytes) -> httpx.Response:
    return httpx.post(f"{node.base_url}{path}", content=data, timeout=30)


def message(answer: httpx.Response) -> str:
    return str(answer.json()["error"]["message"])


def green(key: str, agency: str, name: str = "Persona Prueba") -> dict[str, Any]:
    """A GREEN/H0 suspect: the provider's standing permission lets it go on."""
    return person(key, agency, tlp="GREEN", code="H0", name=name)


def held_from(node: RunningNode, key: str) -> dict[str, Any]:
    found = record(node, key)
    assert found is not None, f"{node.agency} does not hold {key}"
    return found


def passed_on(nodes: Nodes, key: str) -> None:
    """hn shares a GREEN/H0 record with sv, and sv passes it on to gt (standing permission)."""
    hn, sv, gt = (nodes[a] for a in ("hn_police", "sv_police", "gt_police"))
    assert upload(hn, "analyst", green(key, "hn_police")).status_code == 200
    assert share(hn, "analyst", [key], ["sv_police"]).status_code == 200
    eventually(lambda: record(sv, key) is not None)
    answer = share(sv, "analyst", [key], ["gt_police"])
    assert answer.status_code == 200, answer.text
    eventually(lambda: record(gt, key) is not None)
    assert held_from(gt, key)["envelope"]["agency"] == "hn_police"


# -- a: a record planted under another member's name -------------------------------------------
def test_a_member_cannot_plant_a_record_under_another_members_name(three_nodes: Nodes) -> None:
    hn, sv = three_nodes["hn_police"], three_nodes["sv_police"]
    key = fresh("gt-never-shared")
    planted = green(key, "gt_police", name="Persona Plantada")
    answer = post(hn, "/api/v1/shares/inbox", package(sv, "hn_police", [planted], {}))
    assert answer.status_code == 409, answer.text
    assert "attestation" in message(answer) and "gt_police" in message(answer)
    assert record(hn, key) is None
    # An attestation sv signed itself, claiming to be gt's, verifies under no key of gt's.
    forged = signed_by(sv, planted, datetime.now(UTC).isoformat())._replace(
        provider="gt_police")
    answer = post(hn, "/api/v1/shares/inbox",
                  package(sv, "hn_police", [planted], {key: forged}))
    assert answer.status_code == 409, answer.text
    assert record(hn, key) is None


def test_a_channel_cannot_alter_a_record_it_passes_on(three_nodes: Nodes) -> None:
    hn, sv, gt = (three_nodes[a] for a in ("hn_police", "sv_police", "gt_police"))
    key = fresh("prov-altered")
    passed_on(three_nodes, key)
    original = green(key, "hn_police")
    version = held_from(hn, key)["envelope"]["updated_at"]
    genuine = signed_by(hn, original, version)  # hn's real attestation, as sv received it
    altered = green(key, "hn_police", name="Nombre Cambiado")
    answer = post(gt, "/api/v1/shares/inbox", package(sv, "gt_police", [altered],
                                                      {key: genuine}))
    assert answer.status_code == 409, answer.text
    assert "attestation" in message(answer)
    assert held_from(gt, key)["properties"]["name"] == ["Persona Prueba"]


def test_an_older_version_is_not_replayed_over_a_newer_one(three_nodes: Nodes) -> None:
    hn, sv, gt = (three_nodes[a] for a in ("hn_police", "sv_police", "gt_police"))
    key = fresh("prov-replay")
    passed_on(three_nodes, key)
    first = green(key, "hn_police")
    old_version = held_from(hn, key)["envelope"]["updated_at"]
    corrected = upload(hn, "analyst", green(key, "hn_police", name="Persona Corregida"))
    assert corrected.status_code == 200, corrected.text
    # hn's correction reaches sv, and sv passes it on to gt with hn's attestation of it.
    eventually(lambda: held_from(gt, key)["properties"]["name"] == ["Persona Corregida"])
    replay = package(sv, "gt_police", [first], {key: signed_by(hn, first, old_version)})
    answer = post(gt, "/api/v1/shares/inbox", replay)
    assert answer.status_code == 409, answer.text
    assert "older" in message(answer)
    assert held_from(gt, key)["properties"]["name"] == ["Persona Corregida"]


def test_a_channel_cannot_erase_what_it_brought_on_its_own_word(three_nodes: Nodes) -> None:
    hn, sv, gt = (three_nodes[a] for a in ("hn_police", "sv_police", "gt_police"))
    key = fresh("prov-erase")
    passed_on(three_nodes, key)
    keys, _ = keys_of(sv)
    own_word = seal_notice(keys, "sv_police", "gt_police", [key], "erase it")
    assert post(gt, "/api/v1/shares/notices", own_word).status_code == 200
    # Nor with hn's attestation of the very version gt holds (not a newer one).
    version = held_from(hn, key)["envelope"]["updated_at"]
    same = signed_by(hn, green(key, "hn_police"), version)
    withdrawal = seal_notice(keys, "sv_police", "gt_police", [key], "withdrawn",
                             superseded={key: same})
    assert post(gt, "/api/v1/shares/notices", withdrawal).status_code == 200
    assert record(gt, key) is not None
    # hn's own erasure, relayed by sv with hn's signed notice inside, does reach gt.
    erased = call(hn, "supervisor", "POST", "/api/v1/records/erase", {"records": [key]})
    assert erased.status_code == 200, erased.text
    eventually(lambda: record(gt, key) is None)


def test_a_member_cannot_bring_back_what_the_provider_erased(three_nodes: Nodes) -> None:
    """Third red team (P1): sv kept hn's genuine attestation of a record hn then erased; sent
    to gt again after the erasure, it was taken as new (nothing was left to compare it with)."""
    hn, sv, gt = (three_nodes[a] for a in ("hn_police", "sv_police", "gt_police"))
    key = fresh("prov-erased-replay")
    passed_on(three_nodes, key)
    original = green(key, "hn_police")
    genuine = signed_by(hn, original, held_from(hn, key)["envelope"]["updated_at"])
    erased = call(hn, "supervisor", "POST", "/api/v1/records/erase", {"records": [key]})
    assert erased.status_code == 200, erased.text
    eventually(lambda: record(gt, key) is None and record(sv, key) is None)
    answer = post(gt, "/api/v1/shares/inbox", package(sv, "gt_police", [original],
                                                      {key: genuine}))
    assert answer.status_code == 409, answer.text
    assert "erased or withdrawn" in message(answer)
    assert record(gt, key) is None
    # The provider's own share of the record, ingested again, brings it back: its word stands.
    assert upload(hn, "analyst", green(key, "hn_police", name="Otra Vez")).status_code == 200
    assert share(hn, "analyst", [key], ["gt_police"]).status_code == 200
    eventually(lambda: record(gt, key) is not None)
    assert held_from(gt, key)["properties"]["name"] == ["Otra Vez"]


def test_a_member_cannot_bring_back_what_the_provider_withdrew(three_nodes: Nodes) -> None:
    """Third red team (C2): hn reclassifies a record it had shared as a victim; the withdrawal
    reaches sv and gt; sv's replay of the old shareable version must not revive it at gt."""
    hn, sv, gt = (three_nodes[a] for a in ("hn_police", "sv_police", "gt_police"))
    key = fresh("prov-withdrawn-replay")
    passed_on(three_nodes, key)
    original = green(key, "hn_police")
    genuine = signed_by(hn, original, held_from(hn, key)["envelope"]["updated_at"])
    victim = person(key, "hn_police", category="victim")
    assert upload(hn, "analyst", victim).status_code == 200
    eventually(lambda: record(gt, key) is None and record(sv, key) is None)
    answer = post(gt, "/api/v1/shares/inbox", package(sv, "gt_police", [original],
                                                      {key: genuine}))
    assert answer.status_code == 409, answer.text
    assert "erased or withdrawn" in message(answer)
    assert record(gt, key) is None


def test_the_providers_own_share_replaces_what_a_channel_brought(three_nodes: Nodes) -> None:
    hn, sv, gt = (three_nodes[a] for a in ("hn_police", "sv_police", "gt_police"))
    key = fresh("prov-direct")
    passed_on(three_nodes, key)
    assert upload(hn, "analyst", green(key, "hn_police", name="Persona Directa")).status_code \
        == 200
    assert share(hn, "analyst", [key], ["gt_police"]).status_code == 200
    eventually(lambda: held_from(gt, key)["properties"]["name"] == ["Persona Directa"])
    # sv no longer counts as having brought it: even with hn's attestation of a newer version
    # (which would let the channel withdraw its onward copy), sv's notice erases nothing.
    assert held_from(sv, key)["properties"]["name"] == ["Persona Directa"]  # sv's copy too
    keys, _ = keys_of(sv)
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    newer = signed_by(hn, green(key, "hn_police", name="Persona Directa"), later)
    withdrawal = seal_notice(keys, "sv_police", "gt_police", [key], "withdrawn",
                             superseded={key: newer})
    answer = post(gt, "/api/v1/shares/notices", withdrawal)
    assert answer.status_code == 200, answer.text
    assert answer.json()["erased"] == 0
    assert held_from(gt, key)["properties"]["name"] == ["Persona Directa"]


# -- b: an id that differs only in case from another agency's ----------------------------------
def test_an_id_differing_only_in_case_is_refused_locally(three_nodes: Nodes) -> None:
    hn, gt = three_nodes["hn_police"], three_nodes["gt_police"]
    key = fresh("hn").lower()
    assert upload(hn, "analyst", person(key, "hn_police")).status_code == 200
    assert share(hn, "analyst", [key], ["gt_police"]).status_code == 200
    eventually(lambda: record(gt, key) is not None)
    answer = upload(gt, "analyst", person(key.upper(), "gt_police", tlp="GREEN", code="H0"))
    assert answer.status_code == 409, answer.text
    assert key in message(answer) and "hn_police" in message(answer)
    assert record(gt, key.upper()) is None
    own = fresh("gt-own")  # gt's own ids in any case stay gt's business
    assert upload(gt, "analyst", person(own, "gt_police")).status_code == 200
    assert upload(gt, "analyst", person(own.upper(), "gt_police")).status_code == 200


def test_an_id_differing_only_in_case_is_refused_on_arrival(three_nodes: Nodes) -> None:
    hn, gt, sv = (three_nodes[a] for a in ("hn_police", "gt_police", "sv_police"))
    key = fresh("hn").lower()
    assert upload(hn, "analyst", person(key, "hn_police")).status_code == 200
    assert share(hn, "analyst", [key], ["gt_police"]).status_code == 200
    eventually(lambda: record(gt, key) is not None)
    twin = green(key.upper(), "sv_police")
    answer = post(gt, "/api/v1/shares/inbox", package(sv, "gt_police", [twin], {}))
    assert answer.status_code == 409, answer.text
    assert "differs only in case" in message(answer)
    assert record(gt, key.upper()) is None


def test_a_correction_the_channel_may_not_pass_on_withdraws_the_onward_copy(
    three_nodes: Nodes,
) -> None:
    hn, gt = three_nodes["hn_police"], three_nodes["gt_police"]
    key = fresh("prov-raised")
    passed_on(three_nodes, key)
    raised = person(key, "hn_police", tlp="GREEN", code="H2")  # onward now needs hn's consent
    assert upload(hn, "analyst", raised).status_code == 200
    eventually(lambda: record(gt, key) is None)  # sv withdrew it, with hn's attestation


def test_a_store_keeps_one_attestation_per_record(store_url: str) -> None:
    from cruce.store import open_store

    store = open_store(store_url)
    try:
        when = datetime(2026, 1, 1, tzinfo=UTC)
        first = [Attestation(f"r-{i}", "hn_police", when.isoformat(), "d" * 64, "s") for i in
                 range(3)]
        later = Attestation("r-1", "hn_police", (when + timedelta(days=1)).isoformat(),
                            "e" * 64, "t")
        with store.transaction():
            store.keep_attestations(first)
            store.keep_attestations([later])
        held = store.attestations(["r-0", "r-1", "r-2", "r-9"])
        assert held == {"r-0": first[0], "r-1": later, "r-2": first[2]}
        with store.transaction():
            store.forget_attestations(["r-0", "r-1", "r-2"])
        assert store.attestations(["r-0", "r-1", "r-2"]) == {}
    finally:
        store.close()


def test_a_store_refuses_an_id_that_folds_onto_another_agencys(store: Store) -> None:
    from cruce.store._policy import Writer

    from_hn = Writer("gt_police", "hn_police")
    write(store, line("hn-1a", "hn_police"), source="share-from:hn_police", writer=from_hn)
    with pytest.raises(Conflict, match="'HN-1A' differs only in case.*'hn-1a'.*hn_police"):
        write(store, line("HN-1A", "gt_police"))
    with pytest.raises(Conflict, match="differs only in case"):  # nor from another member
        write(store, line("Hn-1A", "sv_police"), source="share-from:sv_police",
              writer=Writer("gt_police", "sv_police"))
    done = write(store, line("HN-1A", "hn_police"), source="share-from:hn_police",
                 writer=from_hn)  # the provider's own ids, in any case, are its business
    assert done.inserted == 1
    write(store, line("gt-7", "gt_police"))
    assert write(store, line("GT-7", "gt_police")).inserted == 1


def test_a_large_erasure_goes_out_in_notices_a_relay_can_carry(tmp_path: Path) -> None:
    """A relayed notice carries its provider's notice too: each stays far below the 2 MB a
    node takes for a notice, however many records an erasure names."""
    from cruce.share._erasure import NOTICE_IDS, Erasure
    from cruce.share._party import Party
    from cruce.store import open_store

    store = open_store(tmp_path / "hn.duckdb")
    try:
        keys = NodeKeys.load_or_generate(tmp_path / "keys")
        erasure = Erasure(store, keys, None, Party(lambda: "hn_police", "u", "supervisor"))
        ids = [f"hn-{i:060d}" for i in range(2 * NOTICE_IDS + 7)]
        with store.transaction():
            erasure.notify({"sv_police": ids}, "retention ended")
        waiting = store.outbox_waiting()
        assert sorted(len(json_ids(w.package)) for w in waiting) == [7, NOTICE_IDS, NOTICE_IDS]
        relay = seal_notice(keys, "sv_police", "gt_police", json_ids(waiting[0].package),
                            "retention ended", relayed=waiting[0].package)
        assert len(relay) < 2 * 1024 * 1024
    finally:
        store.close()


def json_ids(notice: bytes) -> list[str]:
    import json

    return list(json.loads(notice.rpartition(b"\n")[0])["record_ids"])


def test_a_store_from_before_attestations_is_migrated(tmp_path: Path) -> None:
    import duckdb

    from cruce.store import open_store
    from cruce.store._schema import MIGRATIONS

    path = tmp_path / "old.duckdb"
    open_store(path).close()
    version = next(i for i, sql in enumerate(MIGRATIONS, start=1) if "attestations" in sql)
    with duckdb.connect(str(path)) as old:  # as a store written before migration 13
        old.execute("DROP TABLE attestations")
        old.execute("DROP TABLE erased_versions")  # migration 14, after it
        old.execute("DELETE FROM schema_migrations WHERE version >= ?", (version,))
    store = open_store(path)
    try:
        proof = Attestation("r-1", "hn_police", "2026-01-01T00:00:00+00:00", "d" * 64, "s")
        with store.transaction():
            store.keep_attestations([proof])
        assert store.attestations(["r-1"]) == {"r-1": proof}
    finally:
        store.close()
