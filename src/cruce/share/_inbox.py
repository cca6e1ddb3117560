"""The inbox: packages addressed to this node, opened, checked and kept with their envelopes,
each share exactly once (deliveries are retried)."""

from __future__ import annotations

from datetime import datetime

from cruce.audit import Justification
from cruce.share._directory import Directory
from cruce.share._keys import NodeKeys
from cruce.share._package import ReplayDetected, Share, open_package
from cruce.share._party import Party
from cruce.share._provenance import admit_or_refuse, provider_proof
from cruce.share._requests import sign_receipt
from cruce.store import Store


class StoreReplayGuard:
    """Share ids already opened here, kept in the node's store (survives restarts).

    `remember` inserts the id if it is new and raises ReplayDetected otherwise, in one
    statement (a primary key): of two opens of one package, only one can go on. Called inside
    the transaction that keeps the records, a failure to keep them forgets the id again.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def seen(self, share_id: str) -> bool:
        return self.store.is_share_opened(share_id)

    def remember(self, share_id: str, until: datetime) -> None:
        if not self.store.remember_share(share_id, until):
            raise ReplayDetected(f"share {share_id} was already opened")


class Inbox:
    """Open and keep what other agencies share with this node."""

    def __init__(self, store: Store, keys: NodeKeys, directory: Directory, party: Party) -> None:
        self.store = store
        self.keys = keys
        self.directory = directory
        self.party = party

    def receive(self, data: bytes) -> tuple[Share | None, str, int]:
        """Open a package addressed to this node and keep its records with their envelopes.

        Returns (share, "received", records written: new or changed here), or (None,
        "already received", 0) for a share this node holds already (deliveries are retried;
        each share is kept exactly once).
        """
        try:
            with self.store.transaction():  # the id is remembered only with the records kept
                share = open_package(data, self.keys, self.party.agency, self.directory,
                                     StoreReplayGuard(self.store))
                written = self._keep(share)
        except ReplayDetected:
            return None, "already received", 0
        return share, "received", written

    def receipt(self, package: bytes) -> str:
        """This node's signed receipt of a delivery it took (the answer's X-Cruce-Receipt)."""
        return sign_receipt(self.keys, self.party.agency, package)

    def shares(self) -> list[tuple[str, str, int, datetime]]:
        """(share id, sender, records, received at) of every share received, oldest first."""
        return self.store.shares_received()

    def _keep(self, share: Share) -> int:
        from cruce.ingest._jsonl import table_of_records

        # One fragment per sender: a newer share of a record (a correction) replaces the older.
        source = f"share-from:{share.sender}"
        # Provenance (share/_provenance.py): what a package may bring, checked on arrival.
        records, refused = admit_or_refuse(share, self.party.agency, self.directory, self.store)
        proofs = {r.id: p for r in records if (p := provider_proof(share, r)) is not None}
        table = table_of_records(records, source)
        why = Justification(
            str(share.purpose or "intelligence"),
            "transfer under the compact",
            share.share_id,
            f"share received from {share.sender}",
        )
        store = self.store
        with store.transaction():
            store.note_share_received(
                share.share_id, share.sender, len(share.records),
                {k: list(v) for k, v in share.conditions.items()}, share.expires_at)
            # The provider's own package replaces the version held and the senders of it: what
            # a channel brought before no longer counts, nor is merged into the provider's.
            own = [r.id for r in records if r.envelope.agency == share.sender]
            held = store.held(own)
            store.drop_relayed_fragments(
                [i for i, h in held.items() if h.agency == share.sender], share.sender)
            result = store.write_table(
                table,
                self.party.node_actor(share.sender),
                why,
                share.share_id,
                {"received_from": share.sender, "share_id": share.share_id,
                 "refused_on_arrival": len(refused)},
                source=source,
            )
            written = {r.id for r in records} - {i for i, _ in result.outcome.refused}
            store.keep_attestations([p for i, p in proofs.items() if i in written])
            # A provider's version without an attestation (a format 2.0 sender) outdates the
            # one kept: the record then goes no further until it is attested again.
            store.forget_attestations(sorted(i for i in written if i not in proofs))
            # The provider's own share after an erasure or withdrawal: its version stands again.
            store.clear_erased_versions(sorted(i for i in own if i in written))
            return result.written
