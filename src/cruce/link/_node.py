"""Linkage inside a node: runs are stored with their model version, judgements kept apart."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cruce.audit import Justification
from cruce.errors import NotFound
from cruce.link._clusters import canonical_ids
from cruce.link._judgements import Judgement, Resolver, Verdict, cluster_with_judgements
from cruce.store._linkage_tables import PairRow

if TYPE_CHECKING:
    from cruce._node import Node
    from cruce.link._run import LinkResult

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
        canon = canonical_ids(groups, self.store.canonical_ids())
        progress("storing pairs and clusters")
        self._save(result, rows, canon)
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
        known = self.store.known_record_ids((judgement.left_id, judgement.right_id))
        missing = [x for x in (judgement.left_id, judgement.right_id) if x not in known]
        if missing:
            raise NotFound(f"no record with id {missing[0]!r}")
        Resolver([*self.judgements(), judgement])  # refuses a contradiction before it is stored
        self.store.add_judgement(judgement.left_id, judgement.right_id, judgement.verdict.value,
                                 judgement.user, self.node.agency or "", judgement.reason)
        return judgement

    def judgements(self) -> list[Judgement]:
        return [Judgement(r.left_id, r.right_id, Verdict(r.verdict), r.username, r.reason,
                          r.created_at) for r in self.store.judgement_rows()]

    def evaluate(self, threshold: float = 0.5) -> dict[str, float | int]:
        """The stored model's pairs against reviewers' judgements (same / different) as labels."""
        scores = self.store.pair_scores()
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
        out = []
        for pair in self.store.pairs_by_uncertainty():
            if resolver.infer(pair.left_id, pair.right_id) is None:
                out.append(
                    {
                        "left_id": pair.left_id,
                        "right_id": pair.right_id,
                        "probability": pair.probability,
                        "model_version": pair.model_version,
                        "explanation": json.loads(pair.explanation),
                    }
                )
            if len(out) >= limit:
                break
        return out

    def cluster_of(self, record_id: str) -> str | None:
        return self.store.canonical_id_of(record_id)

    def _save(self, result: LinkResult, rows: list[dict[str, Any]], canon: dict[str, str]) -> None:
        version = result.model_version
        pairs = [PairRow(row["unique_id_l"], row["unique_id_r"], float(row["match_probability"]),
                         version, json.dumps(result.explainer.explain(row))) for row in rows]
        self.store.save_link_run(version, json.dumps(result.model), result.records, pairs, canon)
