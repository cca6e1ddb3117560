"""A gang with thousands of members on one node: the hub every expansion has to page."""

from __future__ import annotations

from pathlib import Path

from tests.network.conftest import ENVELOPE, entity, write_lines

from cruce import Node


def hub_lines(members: int) -> list[dict]:
    lines = [entity("hub-org", "Organization", name="Mara del Valle")]
    for n in range(members):
        lines.append(entity(f"hub-p{n:05d}", "Person", name=f"Miembro Numero {n}"))
        lines.append(entity(f"hub-m{n:05d}", "Membership", member=f"hub-p{n:05d}",
                            organization="hub-org"))
    return lines


def hub_node(folder: Path, members: int) -> Node:
    """hn_police's node holding the gang, its members and their memberships."""
    node = Node.open(folder / "hub.duckdb", agency="hn_police", user="setup")
    node.ingest(write_lines(folder / "hub.jsonl", hub_lines(members)),
                envelope={**ENVELOPE, "agency": "hn_police"})
    return node
