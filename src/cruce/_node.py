"""The Node facade: one agency's node. The CLI and the server call only this."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from cruce._files import node_folder
from cruce._why import checked
from cruce.audit import AccessEvent, Actor, AuditLog, Justification, Operation
from cruce.audit._pins import close_log, pin_log
from cruce.errors import InvalidInput, NotFound, PermissionDenied
from cruce.ingest import IngestResult, Progress, ingest_file, load_mapping
from cruce.ingest._jsonl import peek_agency
from cruce.records import Record
from cruce.records._purposes import readable
from cruce.records._search import fold
from cruce.share import Directory, NodeKeys
from cruce.share._directory_checks import take_directory
from cruce.share._node import Sharing
from cruce.store import RecordQuery, Store, open_store
from cruce.store._policy import Lowering, Writer


class Found(list[Record]):
    """The records a search returned; `withheld` counts the matches its purpose may not read."""

    def __init__(self, records: Iterable[Record] = (), withheld: int = 0) -> None:
        super().__init__(records)
        self.withheld = withheld


class Exported(Iterator[Record]):
    """An export's records, streamed; `withheld` counts those its purpose may not read."""

    def __init__(self, records: Iterator[Record], withheld: int) -> None:
        self._records = records
        self.withheld = withheld

    def __next__(self) -> Record:
        return next(self._records)


class Node:
    """One agency's node over its store.

    >>> node = Node.open(":memory:", agency="hn_police")
    >>> node.agency
    'hn_police'
    """

    def __init__(
        self, store: Store, user: str = "system", role: str = "operator",
        audit: AuditLog | None = None
    ) -> None:
        from cruce.link._node import Linkage

        self.store = store
        self.user = user
        self.role = role
        self.audit = audit
        self._agency: str | None = None
        self.linkage = Linkage(self)
        self._sharing: Sharing | None = None

    @property
    def sharing(self) -> Sharing:
        """Disclosures to other agencies and shares received (needs keys and the directory)."""
        if self._sharing is None:
            self._sharing = _sharing_from_env(self)
        return self._sharing

    @property
    def is_sharing(self) -> bool:
        """Is this node a member of the compact (keys and directory configured)?"""
        return self._sharing is not None or bool(
            os.environ.get("CRUCE_DIRECTORY") and os.environ.get("CRUCE_AUTHORITY_KEY"))

    def erase(self, record_ids: Sequence[str], why: Justification) -> dict[str, int]:
        """Erase records; every agency they were shared with gets an erasure notice, queued in
        the same transaction, directory or not (delivered once the node has the directory)."""
        from cruce.share._erasure import erasure_without_directory
        from cruce.share._party import Party

        if self.is_sharing:
            return self.sharing.erase(record_ids, why)
        party = Party(lambda: self.agency, self.user, self.role)
        return erasure_without_directory(self.store, party).erase(record_ids, why)

    def propagate_corrections(
        self, batch: str, why: Justification, withdrawn: Sequence[str] = ()
    ) -> dict[str, dict[str, int]]:
        """After an ingest, in its transaction: every agency that received a record it altered
        gets the new version (the rules are checked again), or a withdrawal if the record may
        no longer be shared at all (`withdrawn`: it became a victim's, not shareable or RED).
        A correction the rules refuse is counted, never raised: the write stands.

        A node without the directory (now) still queues the withdrawals, signed with its own
        keys as its erasure notices are, delivered once it has one: a protective change is
        never lost. Its corrections need the recipients' keys: counted as not corrected."""
        from cruce.share._provenance import WITHDRAWAL, propagate

        ids = self.store.disclosed_from_batch(batch)
        if not ids:  # nothing the batch wrote had left the node: no keys or directory needed
            return _follow(0, 0, 0, 0)
        if self.is_sharing:
            return propagate(self.sharing, self.store, ids, withdrawn, why)
        from cruce.share._erasure import erasure_without_directory
        from cruce.share._party import Party

        gone = set(withdrawn)
        pulls = {recipient: [i for i in held if i in gone]
                 for recipient, held in self.store.recipients_of(ids).items()}
        pulls = {recipient: pull for recipient, pull in pulls.items() if pull}
        party = Party(lambda: self.agency, self.user, self.role)
        erasure_without_directory(self.store, party).notify(pulls, WITHDRAWAL)
        pulled = {i for pull in pulls.values() for i in pull}
        return _follow(0, 0, len(pulled), len([i for i in ids if i not in gone]))

    def expire(self, why: Justification) -> dict[str, int]:
        """Erase records past retention (and notify their recipients, as erase does)."""
        ids = self.store.expired_ids(date.today())
        return self.erase(ids, why) if ids else {"erased": 0, "notices": 0}

    def log_audit_read(self, what: str, why: Justification) -> None:
        """Reading the audit log is itself logged: what was read and why."""
        if self.audit is None:
            raise NotFound("this node keeps no audit log")
        self.audit.append(AccessEvent(Operation.CONSULTATION, self.actor, why,
                                      details={"audit_log": what}))

    def as_user(self, user: str, role: str) -> Node:
        """The same node acting for another user (the API's per-request view)."""
        view = Node(self.store, user, role, self.audit)
        if self._sharing is not None:
            view.configure_sharing(self._sharing.keys, self._sharing.directory)
        return view

    def configure_sharing(self, keys: NodeKeys, directory: Directory) -> Sharing:
        self._sharing = Sharing(self, keys, directory)
        return self._sharing

    @classmethod
    def open(
        cls,
        db: str | Path,
        *,
        agency: str | None = None,
        user: str = "system",
        role: str = "operator",
        audit_dir: Path | None = None,
    ) -> Node:
        """Open a node: its store and, beside a store file, its tamper-evident audit log.

        Every access event goes to the audit log and is durable before the operation it
        describes commits (an operation rolled back after its event leaves a logged attempt;
        never an operation without its event).
        """
        audit_dir = audit_dir or default_audit_dir(db)
        audit = AuditLog.open(audit_dir) if audit_dir is not None else None
        try:
            node = cls(open_store(db, sink=audit), user, role, audit)
        except BaseException:
            if audit is not None:
                audit.close()
            raise
        if audit is not None:
            try:  # the log's key and size as the store remembers them (cruce.audit._pins)
                pin_log(node.store, audit)
            except BaseException:
                audit.close()  # nothing of a refused log is pinned
                node.store.close()
                raise
        if agency is not None:
            node.claim(agency)
        return node

    def close(self) -> None:
        try:
            if self.audit is not None:
                close_log(self.store, self.audit)  # its final head's size, pinned in the store
        finally:
            self.store.close()

    def __enter__(self) -> Node:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- identity ---------------------------------------------------------------------------
    @property
    def agency(self) -> str | None:
        # Read once: an agency, once claimed, never changes (claim refuses another).
        if self._agency is None:
            self._agency = self.store.get_setting("agency")
        return self._agency

    def claim(self, agency: str) -> None:
        """Bind the node to its agency, once: a node holds one agency's own data."""
        current = self.agency
        if current is None:
            self.store.set_setting("agency", agency)
            self._agency = agency
        elif current != agency:
            raise PermissionDenied(f"this node belongs to {current!r}, not {agency!r}")

    @property
    def actor(self) -> Actor:
        return Actor(self.agency or "unknown", self.user, self.role)

    # -- ingest -----------------------------------------------------------------------------
    def ingest(
        self,
        path: Path,
        *,
        mapping: Path | None = None,
        dataset: str | None = None,
        envelope: dict[str, Any] | None = None,
        rejects: Path | None = None,
        progress: Progress = lambda step: None,
        why: Justification | None = None,
        lower: str | None = None,
        upload: bool = False,
    ) -> IngestResult:
        """Ingest one file as one transaction (see `cruce.ingest.ingest_file`), logged under
        `why` if given. Records held from another agency are refused; a stored record's
        protection is only raised, unless a supervisor gives `lower` (the justification).

        In the same transaction, every agency that received a record the file altered gets
        the new version, or a withdrawal if it may no longer be shared (`follow` of the
        result): the command line and the API write through here alike. `upload`: the file
        is an API upload's temporary copy, recorded as `upload:<batch id>`."""
        if mapping is not None:
            for ds in load_mapping(mapping):
                if dataset is None or ds.dataset == dataset:
                    self.claim(ds.agency)
        else:
            agency = (envelope or {}).get("agency") or self.agency or peek_agency(path)
            if not agency:
                raise InvalidInput("JSON lines need an agency: pass --agency or run cruce init")
            self.claim(str(agency))
            envelope = {**(envelope or {}), "agency": agency}
        writer = self._writer(lower)
        with self.store.transaction():
            result = ingest_file(
                self.store,
                path,
                actor=self.actor,
                mapping=mapping,
                dataset=dataset,
                envelope=envelope,
                rejects=rejects,
                progress=progress,
                why=why,
                writer=writer,
                upload=upload,
            )
            # Corrections go under the justification the write was logged with.
            logged = result.justification or Justification("", text="correction by the provider")
            follow = self.propagate_corrections(result.batch, logged, result.outcome.withdrawn)
        return replace(result, follow=follow)

    def _writer(self, lower: str | None) -> Writer:
        """This node's own ingest, lowering protection only for a supervisor who says why."""
        if lower is None:
            return Writer(self.agency or "")
        if self.role != "supervisor":
            raise PermissionDenied(f"the {self.role} role may not lower the protection of "
                                   "stored records (allowed: supervisor)")
        if not lower.strip():
            raise InvalidInput("lowering protection needs the supervisor's justification")
        return Writer(self.agency or "", lowering=Lowering(self.user, lower.strip()))

    def sources_of(self, mapping: Path) -> list[tuple[str, Path]]:
        """(dataset, file) for every query of a mapping file that names its file."""
        return [
            (ds.dataset, q.path)
            for ds in load_mapping(mapping)
            for q in ds.queries
            if q.path is not None
        ]

    # -- reads (each one is a logged consultation, limited to the stated purpose) ---------------
    def get(self, record_id: str, why: Justification) -> Record:
        """One record, if its purpose is compatible with the stated one (see
        `cruce.records._purposes`); otherwise refused, naming the rule, and nothing is read."""
        why = checked(why)
        allowed = readable(why.purpose)
        found = self.store.read(RecordQuery(ids=[record_id], purposes=allowed), self.actor, why)
        if found:
            return found[0]
        if self.store.count_matching(RecordQuery(ids=[record_id])):
            raise PermissionDenied(
                f"record {record_id!r} was collected for a purpose not compatible with "
                f"{why.purpose} (purpose limitation, Directive 2016/680 Art. 4(1)(b))")
        raise NotFound(f"no record with id {record_id!r}")

    def search(
        self, text: str, why: Justification, *, schema: str | None = None, limit: int = 20
    ) -> Found:
        """Records whose names hold every word, among those the stated purpose may read;
        `withheld` counts the matches it may not (they are neither read nor logged as read)."""
        if not fold(text).split():  # '_', '%', '%00' fold to nothing: no filter at all
            raise InvalidInput("search needs a name or words to look for")
        why = checked(why)
        query = RecordQuery(text=text, schema=schema, limit=limit)
        allowed = replace(query, purposes=readable(why.purpose))
        records = self.store.read(allowed, self.actor, why)
        return Found(records, self._withheld(query, allowed))

    def export(
        self, why: Justification, *, schema: str | None = None, dataset: str | None = None,
        collected_for: Sequence[str] | None = None,
    ) -> Exported:
        """Stream the records the stated purpose may read (one logged consultation), only
        those collected for `collected_for` if given; `withheld` counts the others the
        filters select."""
        why = checked(why)
        query = RecordQuery(schema=schema, dataset=dataset, purposes=collected_for)
        may = readable(why.purpose)
        allowed = replace(query, purposes=[p for p in collected_for or may if p in may])
        withheld = self._withheld(query, allowed)
        return Exported(self.store.iter_read(allowed, self.actor, why), withheld)

    def _withheld(self, query: RecordQuery, allowed: RecordQuery) -> int:
        every = replace(query, limit=None)
        return self.store.count_matching(every) - self.store.count_matching(
            replace(allowed, limit=None))

    def stats(self, *group_by: str) -> list[tuple[Any, ...]]:
        """Aggregate counts only; no record is read."""
        return self.store.counts(*group_by)


def _follow(corrected: int, recipients: int, withdrawn: int,
            not_corrected: int) -> dict[str, dict[str, int]]:
    """What an ingest's recipients were sent, in `share._provenance.propagate`'s shape."""
    return {"corrections": {"corrected": corrected, "recipients": recipients},
            "withdrawals": {"withdrawn": withdrawn, "not_corrected": not_corrected}}


def _sharing_from_env(node: Node) -> Sharing:
    """Keys beside the store (or CRUCE_KEYS_DIR); the directory named by CRUCE_DIRECTORY and
    verified with the compact authority's key in CRUCE_AUTHORITY_KEY."""
    directory_file = os.environ.get("CRUCE_DIRECTORY")
    authority = os.environ.get("CRUCE_AUTHORITY_KEY")
    if not directory_file or not authority:
        raise InvalidInput("sharing needs the compact directory: set CRUCE_DIRECTORY (the signed "
                           "file) and CRUCE_AUTHORITY_KEY (the authority's public key file)")
    keys_dir = node_folder(node.store.url, "keys")
    if keys_dir is None:
        raise InvalidInput("an in-memory node keeps no keys: set CRUCE_KEYS_DIR")
    keys = NodeKeys.load_or_generate(keys_dir)
    public = authority_key(Path(authority))
    directory = Directory.load(Path(directory_file), public)
    # This node's own compact, not older than one it took, warned of coming expiries.
    take_directory(directory, public, node.agency, keys, node.store)
    return Sharing(node, keys, directory)


def authority_key(path: Path) -> bytes:
    """The compact authority's public key, from a PEM file or 32 raw bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the compact authority's key "
                           f"(CRUCE_AUTHORITY_KEY): {exc.strerror}") from None
    if not data.startswith(b"-----BEGIN"):
        return data
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"{path} is not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def default_audit_dir(db: str | Path) -> Path | None:
    """The audit log lives beside a store file (`node.duckdb` -> `node.duckdb.audit/`); a
    server store names its own with CRUCE_AUDIT_DIR; an in-memory store keeps events in it
    (see `cruce._files.node_folder`, the one derivation every command and the server use)."""
    return node_folder(db, "audit")
