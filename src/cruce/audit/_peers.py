"""Peers cross-check each other's audit logs: a node answers with its latest signed head, its
log key and a consistency proof from the size the asking peer last saw; the asking node checks
that the head extends every head it saw before (moved here from share/_node.py unchanged)."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from cruce.errors import AuditChainBroken, NotFound, SignatureInvalid

if TYPE_CHECKING:
    from cruce.audit._log import AuditLog
    from cruce.share._directory import Directory
    from cruce.share._keys import NodeKeys
    from cruce.share._transport import Get
    from cruce.store import Store


def peer_head_answer(log: AuditLog | None, agency: str, known_size: int) -> bytes:
    """This node's latest signed audit head, its log key and a consistency proof from the
    size the asking peer last saw (the answer is signed with this node's directory key)."""
    from cryptography.hazmat.primitives import serialization

    if log is None:
        raise NotFound("this node keeps no audit log")
    head = log.head()
    proof = None
    if 0 < known_size <= head.tree_size:
        proof = log.prove_consistency(known_size, head.tree_size).to_dict()
    key = log.public_key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    return json.dumps({"agency": agency, "head": head.to_dict(), "consistency": proof,
                       "log_public_key": key.decode("ascii")}, sort_keys=True).encode()


def check_peer(
    store: Store, keys: NodeKeys, directory: Directory, own_agency: str, agency: str, get: Get,
    guard: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> dict[str, Any]:
    """Fetch a peer's signed audit head and check it extends every head seen before.

    A peer that rewrote its history, shrank its log or changed its log key is caught
    (AuditChainBroken). `guard` (the server's store lock) is not held while asking.
    """
    from cruce.audit import ConsistencyProof, SignedTreeHead, check_peer_head
    from cruce.share._requests import sign_request, verify_answer

    member = directory.member(agency)
    with guard():
        last = store._query(
            "SELECT tree_size, head, log_key FROM peer_heads WHERE agency = ? "
            "ORDER BY tree_size DESC LIMIT 1", (agency,))
    known = int(last[0][0]) if last else 0
    path = f"/api/v1/audit/peer-head?known_size={known}"
    headers = sign_request(keys, own_agency, "GET", path, target=agency)
    body, signature = get(member.endpoint.rstrip("/") + path, headers)
    verify_answer(member, body, signature)
    data = json.loads(body)
    head = SignedTreeHead.from_dict(data["head"])
    key = str(data["log_public_key"]).encode("ascii")
    if last:
        if str(last[0][2]) != key.decode("ascii"):
            raise AuditChainBroken(f"{agency} now signs its audit heads with another key")
        old = SignedTreeHead.from_dict(json.loads(str(last[0][1])))
        if head.tree_size == old.tree_size:
            if head.root_hash != old.root_hash:
                raise AuditChainBroken(f"{agency} shows two different logs of one size")
        elif old.tree_size == 0:  # every log extends the empty one
            if not head.verify(key):
                raise SignatureInvalid(f"{agency}'s audit head does not verify")
        else:
            proof = ConsistencyProof.from_dict(data["consistency"] or {})
            check_peer_head(key, old, head, proof)
    elif not head.verify(key):
        raise SignatureInvalid(f"{agency}'s audit head does not verify under its log key")
    with guard():
        store._execute(
            "INSERT INTO peer_heads VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
            (agency, head.tree_size, json.dumps(head.to_dict()), key.decode("ascii")))
    return {"agency": agency, "tree_size": head.tree_size, "previous_size": known}
