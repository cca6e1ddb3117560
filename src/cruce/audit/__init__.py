"""Tamper-evident audit log: a Certificate-Transparency-style (RFC 9162) Merkle log of access
events, durable with group commit, with Ed25519-signed tree heads that peers cross-check.

    with AuditLog.open(Path("node.duckdb.audit")) as log:
        index = log.append(event)            # returns once the event is on disk
        # in an asyncio task: index = await log.append_async(event)   (the same guarantee)
        head = log.head()                     # signed (size, root, time)
        proof = log.prove_inclusion(index)    # verify_inclusion(leaf, proof, head.root_hash)
    verify_log(Path("node.duckdb.audit"), public_key)   # needs only the public key

Writers in other processes append through the owner's `LogService` (a Unix socket) with a
`LogClient`, under the same guarantee (`cruce audit serve` runs one).
"""

from cruce.audit._client import LogClient
from cruce.audit._errors import AuditChainBrokenAt
from cruce.audit._events import (
    MAX_LISTED_IDS,
    AccessEvent,
    Actor,
    Justification,
    Operation,
    digest_ids,
)
from cruce.audit._log import AuditLog
from cruce.audit._merkle import (
    EMPTY_ROOT,
    ConsistencyProof,
    InclusionProof,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from cruce.audit._query import LogEntry
from cruce.audit._service import LogService
from cruce.audit._sth import SignedTreeHead, check_peer_head, load_public_key
from cruce.audit._verify import VerifyReport, verify_log

__all__ = [
    "EMPTY_ROOT",
    "MAX_LISTED_IDS",
    "AccessEvent",
    "Actor",
    "AuditChainBrokenAt",
    "AuditLog",
    "ConsistencyProof",
    "InclusionProof",
    "Justification",
    "LogClient",
    "LogEntry",
    "LogService",
    "Operation",
    "SignedTreeHead",
    "VerifyReport",
    "check_peer_head",
    "digest_ids",
    "leaf_hash",
    "load_public_key",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
]
