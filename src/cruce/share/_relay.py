"""Corrections down the chain: a holder that receives a provider's new version of a record it
passed on sends the new version on too, in the transaction that keeps it. Where the rules no
longer let the record go on (its protection was raised), the onward copy is withdrawn instead
(an erasure notice naming the provider's attestation of the newer version: the proof an onward
holder needs to erase on a channel's word): after a protective change no onward holder keeps
the old, laxer copy. The correction itself carries the provider's attestation, as every onward
record does."""

from __future__ import annotations

from cruce.audit import Justification
from cruce.errors import PermissionDenied
from cruce.share._disclosure import Discloser
from cruce.share._erasure import Erasure
from cruce.share._package import Share
from cruce.store import Store

WITHDRAWN = "withdrawn: the provider's correction may not be passed on ({reason})"


class Relay:
    """Pass a provider's corrections on to the agencies this node disclosed the records to."""

    def __init__(self, store: Store, disclosure: Discloser, erasure: Erasure) -> None:
        self.store = store
        self.disclosure = disclosure
        self.erasure = erasure

    def pass_on(self, share: Share) -> dict[str, int]:
        """Call inside the transaction that kept `share`: corrections and withdrawals queued."""
        onward = {r: ids for r, ids in self.store.recipients_of([r.id for r in share.records])
                  .items() if r != share.sender}
        counts = {"corrected": 0, "withdrawn": 0}
        why = Justification(str(share.purpose or "intelligence"),
                            "correction by the providing agency, passed on", share.share_id,
                            f"correction received from {share.sender}")
        for recipient, ids in onward.items():
            try:
                done = self.disclosure.disclose(ids, [recipient], why)
                refused = done.refused.get(recipient, {})
            except PermissionDenied as exc:
                refused = dict.fromkeys(ids, exc.message)
            counts["corrected"] += len(ids) - len(refused)
            if refused:
                reason = "; ".join(sorted(set(refused.values())))[:500]
                # The proof the onward holder needs to erase on this node's word: the
                # provider's attestation of the newer version kept here (no content).
                newer = self.store.attestations(sorted(refused))
                self.erasure.notify({recipient: sorted(refused)}, WITHDRAWN.format(reason=reason),
                                    superseded=newer)
                counts["withdrawn"] += len(refused)
        return counts
