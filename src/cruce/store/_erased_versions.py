"""What a node remembers of records its providers erased or withdrew: for each, the provider and
the version time at or below which no copy may come back (an erasure's "never again").

Without it, a member that kept the provider's genuine attestation of an erased record could
send that old version again, and it would be taken as new: the attestation proves the provider
wrote it once, not that the provider still stands by it. Only a digest of the id is kept (the
erasure leaves no content and no id here); the provider's own later share clears it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from cruce.store._backend import Backend


def _digest(record_id: str) -> str:
    return hashlib.sha256(record_id.encode("utf-8")).hexdigest()


class ErasedVersions(Backend):
    """The store's public methods for erasure floors (a part of `Store`)."""

    def keep_erased_versions(self, floors: Mapping[str, tuple[str, str]]) -> None:
        """Remember, per erased record id, (provider, version): no copy of that provider's
        record attested at or before that version is taken again (the later floor wins)."""
        if not floors:
            return
        digests = {_digest(i): floor for i, floor in floors.items()}
        held = self._erased(list(digests))
        rows = [(d, p, v) for d, (p, v) in digests.items()
                if d not in held or held[d][1] < v]
        if not rows:
            return
        self._execute("DELETE FROM erased_versions WHERE id_digest IN "
                      "(SELECT unnest(CAST(? AS VARCHAR[])))", ([r[0] for r in rows],))
        self._execute(
            "INSERT INTO erased_versions SELECT unnest(CAST(? AS VARCHAR[])), "
            "unnest(CAST(? AS VARCHAR[])), unnest(CAST(? AS VARCHAR[]))",
            ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]))

    def erased_versions(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """(provider, version) of the floor kept for each of these ids (absent: none)."""
        if not ids:
            return {}
        by_digest = {_digest(i): i for i in ids}
        return {by_digest[d]: floor for d, floor in self._erased(list(by_digest)).items()}

    def clear_erased_versions(self, ids: Sequence[str]) -> None:
        """The provider shared these records itself again: its new version stands."""
        if ids:
            self._execute("DELETE FROM erased_versions WHERE id_digest IN "
                          "(SELECT unnest(CAST(? AS VARCHAR[])))", ([_digest(i) for i in ids],))

    def _erased(self, digests: list[str]) -> dict[str, tuple[str, str]]:
        rows = self._query("SELECT id_digest, provider, version FROM erased_versions WHERE "
                           "id_digest IN (SELECT unnest(CAST(? AS VARCHAR[])))", (digests,))
        return {str(r[0]): (str(r[1]), str(r[2])) for r in rows}
