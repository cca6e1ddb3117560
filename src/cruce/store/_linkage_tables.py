"""The node's linkage tables in its store: trained models, scored pairs, clusters, judgements.

`cruce.link` reads and writes them only through these public methods (a mixin of `Store`),
never through the store's backend hooks. None of them reads record content: pairs, clusters
and judgements hold record ids, scores, model versions and reviewers' reasons, so they log no
consultation. What a linkage run reads of the records themselves goes through
`Store.read_for_linkage`, which logs the combination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, NamedTuple, Protocol


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


class _Backend(Protocol):
    """What the mixin needs of the store it is mixed into."""

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def _append_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None: ...

    def transaction(self) -> AbstractContextManager[None]: ...


_PAIR_COLUMNS = ("left_id", "right_id", "probability", "model_version", "explanation")


class LinkageTables:
    """The store's public methods for entity resolution (a mixin of `Store`)."""

    def known_record_ids(self: _Backend, ids: Sequence[str]) -> set[str]:
        """Which of these ids name a stored record (ids only: no content is read)."""
        if not ids:
            return set()
        marks = ", ".join("?" for _ in ids)
        rows = self._query(f"SELECT id FROM records WHERE id IN ({marks})", tuple(ids))
        return {str(r[0]) for r in rows}

    def add_judgement(
        self: _Backend, left_id: str, right_id: str, verdict: str, username: str, agency: str,
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

    def judgement_rows(self: _Backend) -> list[JudgementRow]:
        """Every judgement in the order it was made."""
        rows = self._query(
            "SELECT left_id, right_id, verdict, username, reason, created_at FROM judgements "
            "ORDER BY seq"
        )
        return [JudgementRow(str(a), str(b), str(v), str(u), str(r), at)
                for a, b, v, u, r, at in rows]

    def pair_scores(self: _Backend) -> dict[tuple[str, str], float]:
        """The stored run's match probability of each scored pair."""
        rows = self._query("SELECT left_id, right_id, probability FROM link_pairs")
        return {(str(a), str(b)): float(p) for a, b, p in rows}

    def pairs_by_uncertainty(self: _Backend) -> list[PairRow]:
        """The stored run's pairs, those nearest probability 0.5 (least sure) first."""
        rows = self._query(
            f"SELECT {', '.join(_PAIR_COLUMNS)} FROM link_pairs "
            "ORDER BY abs(probability - 0.5), left_id, right_id"
        )
        return [PairRow(str(a), str(b), float(p), str(v), str(e)) for a, b, p, v, e in rows]

    def canonical_id_of(self: _Backend, record_id: str) -> str | None:
        """The cluster a record belongs to in the stored run, if any."""
        rows = self._query("SELECT canonical_id FROM clusters WHERE record_id = ?", (record_id,))
        return str(rows[0][0]) if rows else None

    def canonical_ids(self: _Backend) -> dict[str, str]:
        """record id -> canonical (cluster) id of the stored run."""
        rows = self._query("SELECT record_id, canonical_id FROM clusters")
        return {str(r): str(c) for r, c in rows}

    def model_versions(self: _Backend) -> list[str]:
        """The version of every model a run stored, oldest first."""
        rows = self._query("SELECT version FROM link_models ORDER BY created_at, version")
        return [str(r[0]) for r in rows]

    def save_link_run(
        self: _Backend, version: str, model_json: str, records: int,
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
