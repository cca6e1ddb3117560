"""Peers cross-check each other's audit logs: a node answers with its latest signed head, its
log key and a consistency proof from the size the asking peer last saw; the asking node checks
that the head extends every head it saw before.

A log never shrinks and never forks, so a peer's head that is smaller than one it showed
before (a log cut short or put back to an earlier copy), of the same size with another root,
under another key, or without a consistency proof linking it to the last head seen, is
`PeerLogBroken`: logged at ERROR, kept in the store's peer checks (`cruce audit peers`), an
administrative event in this node's own log. Only a peer that cannot be reached is "down"
(`PeerUnreachable`); every other failure (a bad signature, a malformed answer) is kept as
"failed" and raised, never taken for a peer that is down.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cruce.audit._errors import PeerLogBroken, PeerUnreachable
from cruce.audit._events import Actor
from cruce.audit._merkle import ConsistencyProof
from cruce.audit._sth import SignedTreeHead, check_peer_head, load_public_key
from cruce.errors import AuditChainBroken, CruceError, InvalidInput, NotFound, SignatureInvalid

if TYPE_CHECKING:
    from cruce.audit._log import AuditLog
    from cruce.share._directory import Directory, Member
    from cruce.share._keys import NodeKeys
    from cruce.share._transport import Get
    from cruce.store import Store
    from cruce.store._peer_tables import SeenHead

log = logging.getLogger(__name__)

Guard = Callable[[], AbstractContextManager[object]]


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
    guard: Guard = nullcontext,
) -> dict[str, Any]:
    """Fetch a peer's signed audit head and check it extends every head seen before.

    Raises PeerLogBroken (a peer that rewrote its history, shrank its log or changed its log
    key), PeerUnreachable (a network error) or another CruceError (an answer that cannot be
    checked); each outcome is kept in the store. `guard` (the server's store lock) is not
    held while asking.
    """
    member = directory.member(agency)
    with guard():
        seen = store.last_peer_head(agency)
    known = seen.tree_size if seen else 0
    by = Actor(own_agency, "peer-check", "system")
    try:
        head, key = _fetch(keys, own_agency, member, known, get)
        _extends(agency, seen, head, key)
    except PeerUnreachable as exc:
        log.warning("peer %s is down: %s", agency, exc.message)
        _keep(store, guard, agency, "down", exc.message, by, None)
        raise
    except AuditChainBroken as exc:
        broken = PeerLogBroken(agency, exc.message)
        log.error("peer audit cross-check: %s", broken.message)
        size = exc.tree_size if isinstance(exc, _Broken) else None
        _keep(store, guard, agency, "broken", broken.message, by, size)
        raise broken from None
    except CruceError as exc:
        log.error("peer audit cross-check of %s failed: %s", agency, exc.message)
        _keep(store, guard, agency, "failed", exc.message, by, None)
        raise
    with guard():
        store.remember_peer_head(agency, head.to_dict(), head.tree_size, key)
    return {"agency": agency, "tree_size": head.tree_size, "previous_size": known}


def _fetch(
    keys: NodeKeys, own_agency: str, member: Member, known: int, get: Get
) -> tuple[_ProvedHead, str]:
    from cruce.share._requests import sign_request, verify_answer

    path = f"/api/v1/audit/peer-head?known_size={known}"
    headers = sign_request(keys, own_agency, "GET", path, target=member.id)
    try:
        body, signature = get(member.endpoint.rstrip("/") + path, headers)
    except Exception as exc:
        if _is_network_error(exc):
            raise PeerUnreachable(member.id, str(exc) or type(exc).__name__) from None
        raise
    verify_answer(member, body, signature)
    try:
        data = json.loads(body)
        head = SignedTreeHead.from_dict(data["head"])
        key = str(data["log_public_key"])
        load_public_key(key)  # a PEM of an Ed25519 key, or InvalidInput
        proof = data.get("consistency")
        consistency = ConsistencyProof.from_dict(proof) if proof else None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"{member.id}'s peer-head answer is malformed ({exc!r})") from None
    return _ProvedHead(head, consistency), key


@dataclass(frozen=True, slots=True)
class _ProvedHead:
    """A peer's head with the consistency proof it sent from the size this node last saw."""

    head: SignedTreeHead
    proof: ConsistencyProof | None

    @property
    def tree_size(self) -> int:
        return self.head.tree_size

    def to_dict(self) -> dict[str, Any]:
        return self.head.to_dict()


def _extends(agency: str, seen: SeenHead | None, new: _ProvedHead, key: str) -> None:
    """Raise AuditChainBroken unless `new` extends the head seen before, under the same key."""
    head = new.head
    if not head.verify(key.encode("ascii")):
        raise SignatureInvalid(f"{agency}'s audit head does not verify under its log key")
    if seen is None:
        return
    if seen.log_key != key:
        raise _Broken(head.tree_size, "it now signs its audit heads with another key")
    old = SignedTreeHead.from_dict(seen.head)
    if head.tree_size < old.tree_size:
        raise _Broken(head.tree_size, (
            f"its log shrank from {old.tree_size} to {head.tree_size} signed "
            "entries: it was cut short or put back to an earlier copy; keep both signed heads "
            "as evidence"))
    if head.tree_size == old.tree_size:
        if head.root_hash != old.root_hash:
            raise _Broken(head.tree_size, (
                f"it shows two different logs of {head.tree_size} entries: its history "
                "was rewritten; keep both signed heads as evidence"))
        return
    if old.tree_size == 0:  # every log extends the empty one
        return
    if new.proof is None:
        raise _Broken(head.tree_size, (
            f"it gave no proof that its log of {head.tree_size} entries extends the "
            f"{old.tree_size} it showed before"))
    try:
        check_peer_head(key.encode("ascii"), old, head, new.proof)
    except AuditChainBroken as exc:
        raise _Broken(head.tree_size, exc.message) from None


class _Broken(AuditChainBroken):
    def __init__(self, tree_size: int, message: str) -> None:
        super().__init__(message)
        self.tree_size = tree_size


def _keep(store: Store, guard: Guard, agency: str, outcome: str, detail: str, by: Actor,
          tree_size: int | None) -> None:
    """Keep the outcome; a store that cannot take it must not hide the finding itself."""
    try:
        with guard():
            store.record_peer_check(agency, outcome, detail, by, tree_size)
    except Exception:  # noqa: BLE001 - logged; the finding is raised all the same
        log.error("could not keep the %s check of peer %s", outcome, agency, exc_info=True)


def _is_network_error(exc: Exception) -> bool:
    """A peer that cannot be reached (refused, reset, timed out), not one that answered."""
    if isinstance(exc, OSError):
        return True
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is a runtime dependency
        return False
    return isinstance(exc, httpx.TransportError)
