"""Linkage inside a node: runs are stored with their model version, judgements kept apart."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cruce.audit._events import Justification
from cruce.errors import NotFound
from cruce.link._clusters import canonical_ids
from cruce.link._judgements import Judgement, Resolver, Verdict, cluster_with_judgements

if TYPE_CHECKING:
    from cruce._node import Node

Progress = Callable[[str], None]
WHY = Justification("intelligence", "compact linkage", "", "entity resolution of own records")


@dataclass(frozen=True, slots=True)
class LinkSummary:
    records: int
    pairs: int
    clusters: int
    linked_records: int
    model_version: str
    unparsed_names: int = 0  # records linked on their raw name: the parser could not read it


class Linkage:
    """The node's entity resolution: `node.linkage.run()`, `.judge()`, `.review()`, `.infer()`."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.store = node.store

    def run(
        self,
        threshold: float = 0.5,
        engine: str = "duckdb",
        retrain: bool = False,
        progress: Progress = lambda s: None,
    ) -> LinkSummary:
        """Train, score and cluster the node's people; judgements override the model, and with
        `retrain` the pairs judged the same also train it (as labels for m)."""
        from cruce.link._run import link_table  # Splink loads here, never on opening a node

        table = self.store.read_for_linkage(self.node.actor, WHY)
        labels = [(j.left_id, j.right_id) for j in self._current() if j.verdict is Verdict.SAME]
        result = link_table(
            table,
            threshold=min(threshold, 0.2),
            engine=engine,
            labels=labels if retrain else None,
            progress=progress,
        )
        rows = result.con.sql(f"SELECT * FROM {result.pairs_table}").to_arrow_table().to_pylist()
        pairs = [(r["unique_id_l"], r["unique_id_r"], float(r["match_probability"])) for r in rows]
        groups = cluster_with_judgements(
            table.column("id").to_pylist(), pairs, self.judgements(), threshold
        )
        canon = canonical_ids(groups, self._previous_clusters())
        progress("storing pairs and clusters")
        with self.store.transaction():
            self._store_model(result.model_version, result.model, result.records)
            self._store_pairs(rows, result.explainer, result.model_version)
            self._store_clusters(canon, result.model_version)
        sizes: dict[str, int] = {}
        for cid in canon.values():
            sizes[cid] = sizes.get(cid, 0) + 1
        linked = sum(n for n in sizes.values() if n > 1)
        return LinkSummary(
            result.records,
            sum(p[2] >= threshold for p in pairs),
            len(sizes),
            linked,
            result.model_version,
            result.unparsed_names,
        )

    def judge(self, a: str, b: str, verdict: str, reason: str) -> Judgement:
        """Record a reviewer's judgement (appended; the history is never overwritten)."""
        judgement = Judgement.make(a, b, verdict, self.node.user, reason)
        known = {
            r[0]
            for r in self.store._query(
                "SELECT id FROM records WHERE id IN (?, ?)", (judgement.left_id, judgement.right_id)
            )
        }
        missing = [x for x in (judgement.left_id, judgement.right_id) if x not in known]
        if missing:
            raise NotFound(f"no record with id {missing[0]!r}")
        Resolver([*self.judgements(), judgement])  # refuses a contradiction before it is stored
        seq = int(self.store._query("SELECT COALESCE(MAX(seq), 0) + 1 FROM judgements")[0][0])
        self.store._execute(
            "INSERT INTO judgements VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
            (
                seq,
                judgement.left_id,
                judgement.right_id,
                judgement.verdict.value,
                judgement.user,
                self.node.agency or "",
                judgement.reason,
            ),
        )
        return judgement

    def judgements(self) -> list[Judgement]:
        rows = self.store._query(
            "SELECT left_id, right_id, verdict, username, reason, created_at FROM judgements "
            "ORDER BY seq"
        )
        return [Judgement(r[0], r[1], Verdict(r[2]), r[3], r[4], r[5]) for r in rows]

    def evaluate(self, threshold: float = 0.5) -> dict[str, float | int]:
        """The stored model's pairs against reviewers' judgements (same / different) as labels."""
        scores = {(r[0], r[1]): float(r[2]) for r in self.store._query(
            "SELECT left_id, right_id, probability FROM link_pairs")}
        counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
        for j in self._current():
            if j.verdict is Verdict.UNSURE:
                continue
            linked = scores.get((j.left_id, j.right_id), 0.0) >= threshold
            same = j.verdict is Verdict.SAME
            counts[("t" if linked == same else "f") + ("p" if linked else "n")] += 1
        judged = counts["tp"] + counts["fp"]
        found = counts["tp"] + counts["fn"]
        return {**counts, "precision": counts["tp"] / judged if judged else float("nan"),
                "recall": counts["tp"] / found if found else float("nan")}

    def _current(self) -> list[Judgement]:
        """The latest judgement of each pair."""
        latest: dict[tuple[str, str], Judgement] = {}
        for j in self.judgements():
            latest[(j.left_id, j.right_id)] = j
        return list(latest.values())

    def infer(self, a: str, b: str) -> Verdict | None:
        return Resolver(self.judgements()).infer(a, b)

    def review(self, limit: int = 10) -> list[dict[str, Any]]:
        """The pairs the model is least sure of, not yet judged, most uncertain first."""
        resolver = Resolver(self.judgements())
        rows = self.store._query(
            "SELECT left_id, right_id, probability, model_version, explanation FROM link_pairs "
            "ORDER BY abs(probability - 0.5), left_id, right_id"
        )
        out = []
        for left, right, p, version, explanation in rows:
            if resolver.infer(left, right) is None:
                out.append(
                    {
                        "left_id": left,
                        "right_id": right,
                        "probability": p,
                        "model_version": version,
                        "explanation": json.loads(explanation),
                    }
                )
            if len(out) >= limit:
                break
        return out

    def cluster_of(self, record_id: str) -> str | None:
        rows = self.store._query(
            "SELECT canonical_id FROM clusters WHERE record_id = ?", (record_id,)
        )
        return str(rows[0][0]) if rows else None

    def _previous_clusters(self) -> dict[str, str]:
        return {
            r[0]: r[1] for r in self.store._query("SELECT record_id, canonical_id FROM clusters")
        }

    def _store_model(self, version: str, model: dict[str, Any], records: int) -> None:
        if not self.store._query("SELECT 1 FROM link_models WHERE version = ?", (version,)):
            self.store._execute(
                "INSERT INTO link_models VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
                (version, json.dumps(model), records),
            )

    def _store_pairs(self, rows: list[dict[str, Any]], explainer: Any, version: str) -> None:
        self.store._execute("DELETE FROM link_pairs")
        self.store._append_rows(
            "link_pairs",
            ("left_id", "right_id", "probability", "model_version", "explanation"),
            [(row["unique_id_l"], row["unique_id_r"], float(row["match_probability"]), version,
              json.dumps(explainer.explain(row))) for row in rows],
        )

    def _store_clusters(self, canon: dict[str, str], version: str) -> None:
        self.store._execute("DELETE FROM clusters")
        self.store._append_rows("clusters", ("record_id", "canonical_id", "model_version"),
                                [(record, cid, version) for record, cid in canon.items()])
