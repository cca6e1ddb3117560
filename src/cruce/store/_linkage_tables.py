"""The node's linkage tables in its store: trained models, scored pairs, clusters, judgements.

`cruce.link` reads and writes them only through these public methods (a part of `Store`),
never through the store's backend hooks. None of them reads record content: pairs, clusters
and judgements hold record ids, scores, model versions and reviewers' reasons, so they log no
consultation. What a linkage run reads of the records themselves goes through
`Store.read_for_linkage`, which logs the combination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from cruce.store._backend import Backend


class JudgementRow(NamedTuple):
    """A reviewer's judgement on a pair, as stored (appended, never overwritten)."""

    left_id: str
    right_id: str
    verdict: str
    username: str
    reason: str
    created_at: datetime


class PairRow(NamedTuple):
    """A scored pair of one run: the model that scored it and its explanation (JSON text of
    [{field, level, weight}]: evidence levels, no record content)."""

    left_id: str
    right_id: str
    probability: float
    model_version: str
    explanation: str


_PAIR_COLUMNS = ("left_id", "right_id", "probability", "model_version", "explanation")


class LinkageTables(Backend):
    """The store's public methods for entity resolution (a part of `Store`)."""

    def known_record_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these ids name a stored record (ids only: no content is read)."""
        if not ids:
            return set()
        marks = ", ".join("?" for _ in ids)
        rows = self._query(f"SELECT id FROM records WHERE id IN ({marks})", tuple(ids))
        return {str(r[0]) for r in rows}

    def add_judgement(
        self, left_id: str, right_id: str, verdict: str, username: str, agency: str,
        reason: str,
    ) -> int:
        """Append a reviewer's judgement; returns its sequence number."""
        with self.transaction():
            seq = int(self._query("SELECT COALESCE(MAX(seq), 0) + 1 FROM judgements")[0][0])
            self._execute(
                "INSERT INTO judgements VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                (seq, left_id, right_id, verdict, username, agency, reason),
            )
        return seq

    def judgement_rows(self) -> list[JudgementRow]:
        """Every judgement in the order it was made."""
        rows = self._query(
            "SELECT left_id, right_id, verdict, username, reason, created_at FROM judgements "
            "ORDER BY seq"
        )
        return [JudgementRow(str(a), str(b), str(v), str(u), str(r), at)
                for a, b, v, u, r, at in rows]

    def pair_scores(self) -> dict[tuple[str, str], float]:
        """The stored run's match probability of each scored pair."""
        rows = self._query("SELECT left_id, right_id, probability FROM link_pairs")
        return {(str(a), str(b)): float(p) for a, b, p in rows}

    def pairs_by_uncertainty(self) -> list[PairRow]:
        """The stored run's pairs, those nearest probability 0.5 (least sure) first."""
        rows = self._query(
            f"SELECT {', '.join(_PAIR_COLUMNS)} FROM link_pairs "
            "ORDER BY abs(probability - 0.5), left_id, right_id"
        )
        return [PairRow(str(a), str(b), float(p), str(v), str(e)) for a, b, p, v, e in rows]

    def canonical_id_of(self, record_id: str) -> str | None:
        """The cluster a record belongs to in the stored run, if any."""
        rows = self._query("SELECT canonical_id FROM clusters WHERE record_id = ?", (record_id,))
        return str(rows[0][0]) if rows else None

    def canonical_ids(self) -> dict[str, str]:
        """record id -> canonical (cluster) id of the stored run."""
        rows = self._query("SELECT record_id, canonical_id FROM clusters")
        return {str(r): str(c) for r, c in rows}

    def model_versions(self) -> list[str]:
        """The version of every model a run stored, oldest first."""
        rows = self._query("SELECT version FROM link_models ORDER BY created_at, version")
        return [str(r[0]) for r in rows]

    def save_link_run(
        self, version: str, model_json: str, records: int,
        pairs: Sequence[PairRow], clusters: Mapping[str, str],
    ) -> None:
        """Store one run in one transaction: its model (once per version), its pairs and
        clusters, replacing the previous run's."""
        with self.transaction():
            if not self._query("SELECT 1 FROM link_models WHERE version = ?", (version,)):
                self._execute(
                    "INSERT INTO link_models VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
                    (version, model_json, records),
                )
            self._execute("DELETE FROM link_pairs")
            self._append_rows("link_pairs", _PAIR_COLUMNS, pairs)
            self._execute("DELETE FROM clusters")
            self._append_rows("clusters", ("record_id", "canonical_id", "model_version"),
                              [(record, cid, version) for record, cid in clusters.items()])
