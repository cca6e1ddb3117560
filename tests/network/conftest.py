"""A small network across two agencies: hn_police's own records and what gt_police shared
with it (through a real share: sealed, delivered to hn's inbox over its API, kept).

    hn-p1 Jose Luis Hernandez --member--> hn-org Clica Los Olivos <--member-- hn-p2 Kevin Mejia
    hn-p1 --phone +50499887766-- gt-p1 Pedro Cruz Tzul (shared by gt) --family-- gt-p2 (shared)
    hn-p1 --associate-- hn-x, collected for intelligence: not readable for gangs work
    hn-v1 Vehicle owned by hn-p2; hn-t1 Trip of hn-p2 in hn-v1 (both collected for smuggling)
    hn-vic, hn-p2's sister, a victim (RED, never shared; read here as any record is)
    gt-p3 Jose Luis Hernandez G. (shared by gt): hn-p1 once the linkage clusters them
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from cruce import Node
from cruce.api import create_app
from cruce.audit import Justification
from cruce.share import Directory, Member, NodeKeys

GANGS = Justification("gangs_organized_crime", case_reference="HN-2026-0042",
                      text="mapping Clica Los Olivos")
ENVELOPE = {"dataset": "casos", "purpose": "gangs_organized_crime", "handling_code": "H1",
            "tlp": "AMBER", "source_reliability": "B", "information_accuracy": "2",
            "retain_until": "2031-12-31", "subject_category": "suspect"}
PHONE = "+50499887766"


def entity(eid: str, schema: str, **props: str | list[str]) -> dict[str, Any]:
    return {"id": eid, "schema": schema,
            "properties": {k: v if isinstance(v, list) else [v] for k, v in props.items()}}


SMUGGLING = {"envelope": {"purpose": "trafficking_smuggling"}}
HN = [
    entity("hn-org", "Organization", name="Clica Los Olivos"),
    entity("hn-p1", "Person", name="Jose Luis Hernandez Garcia", phone=PHONE),
    entity("hn-p2", "Person", name="Kevin Alexander Mejia Orellana"),
    entity("hn-m1", "Membership", member="hn-p1", organization="hn-org", role="palabrero"),
    entity("hn-m2", "Membership", member="hn-p2", organization="hn-org", role="soldado"),
    entity("hn-v1", "Vehicle", name="Toyota Hilux", registrationNumber="HAB-1234", owner="hn-p2")
    | SMUGGLING,
    entity("hn-t1", "Trip", name="Tegucigalpa - San Pedro Sula", vehicle="hn-v1",
           involved="hn-p2", startDate="2026-02-01") | SMUGGLING,
    entity("hn-a1", "Associate", person="hn-p1", associate="hn-x"),
    entity("hn-x", "Person", name="Informante Siete") | {"envelope": {"purpose": "intelligence"}},
    entity("hn-vic", "Person", name="Ana Maria Mejia") | {"envelope": {"subject_category": "victim"}},
    entity("hn-f1", "Family", person="hn-p2", relative="hn-vic", relationship="hermana"),
]
GT = [
    entity("gt-p1", "Person", name="Pedro Cruz Tzul", phone=PHONE),
    entity("gt-p2", "Person", name="Maria Tzul de Cruz"),
    entity("gt-f1", "Family", person="gt-p1", relative="gt-p2", relationship="esposa"),
    entity("gt-p3", "Person", name="Jose Luis Hernandez G.", birthDate="1990-03-05"),
]


def write_lines(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


@dataclass
class World:
    hn: Node
    gt: Node
    folder: Path

    @property
    def db(self) -> Path:
        return self.folder / "hn.duckdb"


def _member(agency: str, keys: NodeKeys) -> Member:
    now, pub = datetime.now(UTC), keys.public()
    return Member(agency, agency[:2].upper(), f"http://{agency}.test/", pub.signing,
                  pub.encryption, now - timedelta(days=1), now + timedelta(days=365))


def share_from_gt(hn: Node, gt: Node) -> None:
    """gt_police shares its three records with hn_police, delivered to hn's API inbox."""
    authority = Ed25519PrivateKey.generate()
    keys = {a: NodeKeys.generate() for a in ("hn_police", "gt_police")}
    signed = Directory.sign([_member(a, k) for a, k in keys.items()], authority, serial=1,
                            issued_at=datetime.now(UTC))
    directory = Directory.load(signed, authority.public_key())
    hn.configure_sharing(keys["hn_police"], directory)
    gt.configure_sharing(keys["gt_police"], directory)
    inbox = TestClient(create_app(hn, every=None), raise_server_exceptions=False)
    why = Justification("gangs_organized_crime", case_reference="GT-2026-7", text="joint case")
    done = gt.sharing.disclose([e["id"] for e in GT], ["hn_police"], why,
                               post=lambda url, body: inbox.post("/api/v1/shares/inbox",
                                                                 content=body))
    assert done.sent == {"hn_police": sorted(e["id"] for e in GT)}, done.refused


def build_world(folder: Path) -> tuple[Node, Node]:
    hn = Node.open(folder / "hn.duckdb", agency="hn_police", user="setup")
    gt = Node.open(folder / "gt.duckdb", agency="gt_police", user="setup")
    hn.ingest(write_lines(folder / "hn.jsonl", HN), envelope={**ENVELOPE, "agency": "hn_police"})
    gt.ingest(write_lines(folder / "gt.jsonl", GT), envelope={**ENVELOPE, "agency": "gt_police"})
    share_from_gt(hn, gt)
    return hn, gt


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    hn, gt = build_world(tmp_path)
    yield World(hn.as_user("ana.lopez", "analyst"), gt, tmp_path)
    hn.close()
    gt.close()


@pytest.fixture()
def hn_db(tmp_path: Path) -> Path:
    """hn_police's node file, closed (for the command line), with gt's share received."""
    for node in build_world(tmp_path):
        node.close()
    return tmp_path / "hn.duckdb"
