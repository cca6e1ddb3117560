"""Linkage inside a node: runs are stored with their model version, judgements kept apart."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cruce.audit import Justification
from cruce.errors import NotFound
from cruce.link._clusters import canonical_ids
from cruce.link._judgements import Judgement, Resolver, Verdict
from cruce.link._review import SURE, allocate
from cruce.link._side_by_side import side_by_side
from cruce.records._purposes import readable
from cruce.store import RecordQuery
from cruce.store._linkage_tables import PairRow

if TYPE_CHECKING:
    from cruce._node import Node
    from cruce.link._run import LinkResult

Progress = Callable[[str], None]
WHY = Justification("intelligence", "compact linkage", "", "entity resolution of own records")
REVIEW_WHY = Justification("intelligence", "compact linkage", "",
                           "a reviewer compares the two records of a pair the model is unsure of")
# A run keeps every pair down to this probability: the unsure ones, below the threshold too,
# are what `review` offers and what the next judgements teach from.
STORE_FLOOR = 0.01


@dataclass(frozen=True, slots=True)
class LinkSummary:
    records: int
    pairs: int
    clusters: int
    linked_records: int
    model_version: str
    unparsed_names: int = 0  # records linked on their raw name: the parser could not read it
    learnt_from: int = 0  # judged pairs the model learnt from (0: it had none to learn from)


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
        """Train, score and cluster the node's people. Reviewers' judgements train the model
        (a supervised layer over every pair's evidence) and override it (judged pairs, and
        clusters never joined across `different`); with `retrain` the pairs judged the same
        also re-estimate Splink's m."""
        from cruce.link._run import link_table  # Splink loads here, never on opening a node

        table = self.store.read_for_linkage(self.node.actor, WHY)
        judgements = self.judgements()
        labels = [(j.left_id, j.right_id) for j in self._current() if j.verdict is Verdict.SAME]
        result = link_table(table, threshold=threshold, engine=engine,
                            labels=labels if retrain else None, progress=progress,
                            judgements=judgements, floor=STORE_FLOOR)
        rows = result.con.sql(
            f"SELECT * FROM {result.scored_table} WHERE model_probability >= {STORE_FLOOR!r}"
        ).to_arrow_table().to_pylist()
        groups = {str(a): str(b) for a, b in result.con.execute(
            f"SELECT unique_id, cluster_id FROM {result.clusters_table}").fetchall()}
        canon = canonical_ids(groups, self.store.canonical_ids())
        progress("storing pairs and clusters")
        self._save(result, rows, canon)
        sizes: dict[str, int] = {}
        for cid in canon.values():
            sizes[cid] = sizes.get(cid, 0) + 1
        linked = sum(n for n in sizes.values() if n > 1)
        return LinkSummary(result.records, result.pair_count(), len(sizes), linked,
                           result.model_version, result.unparsed_names, result.learnt_from)

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

    def evaluate(self, threshold: float = 0.5) -> dict[str, Any]:
        """The stored model's scores (before judgements were forced on it) against reviewers'
        judgements (same / different) as labels. A measure the judgements cannot give is None,
        with the reason under `why` (never NaN)."""
        scores = self.store.pair_scores()
        counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
        for j in self._current():
            if j.verdict is Verdict.UNSURE:
                continue
            linked = scores.get((j.left_id, j.right_id), 0.0) >= threshold
            same = j.verdict is Verdict.SAME
            counts[("t" if linked == same else "f") + ("p" if linked else "n")] += 1
        return {**counts, **_measures(counts, threshold)}

    def _current(self) -> list[Judgement]:
        """The latest judgement of each pair."""
        latest: dict[tuple[str, str], Judgement] = {}
        for j in self.judgements():
            latest[(j.left_id, j.right_id)] = j
        return list(latest.values())

    def infer(self, a: str, b: str) -> Verdict | None:
        return Resolver(self.judgements()).infer(a, b)

    def review(self, limit: int = 10) -> list[dict[str, Any]]:
        """The pairs whose judgement would teach the model most, not yet judged (nor implied
        by judgements), least sure first: spread over the patterns of evidence (`_review`),
        each with both records' fields side by side and the evidence per field. Reading
        the records is a logged consultation; a record the linkage purpose may not read is
        shown by its id only."""
        resolver = Resolver(self.judgements())
        pool: dict[str, list[PairRow]] = {}
        for pair in self.store.pairs_by_uncertainty():
            if SURE <= pair.probability <= 1 - SURE and resolver.infer(
                    pair.left_id, pair.right_id) is None:
                pool.setdefault(_pattern(pair), []).append(pair)
        values = {key: sum(p.probability * (1 - p.probability) for p in pairs)
                  for key, pairs in pool.items()}
        shares = allocate(values, {key: len(pairs) for key, pairs in pool.items()}, limit)
        chosen = sorted((p for key, k in shares.items() for p in pool[key][:k]),
                        key=lambda p: (abs(p.probability - 0.5), p.left_id, p.right_id))
        ids = sorted({i for p in chosen for i in (p.left_id, p.right_id)})
        records = {r.id: r for r in self.store.read(
            RecordQuery(ids=ids, purposes=readable(REVIEW_WHY.purpose)), self.node.actor,
            REVIEW_WHY)} if ids else {}
        out = []
        for pair in chosen:
            explanation = json.loads(pair.explanation)
            out.append({"left_id": pair.left_id, "right_id": pair.right_id,
                        "probability": pair.probability, "model_version": pair.model_version,
                        "explanation": explanation,
                        **side_by_side(records.get(pair.left_id), records.get(pair.right_id))})
        return out

    def cluster_of(self, record_id: str) -> str | None:
        return self.store.canonical_id_of(record_id)

    def _save(self, result: LinkResult, rows: list[dict[str, Any]], canon: dict[str, str]) -> None:
        version = result.model_version
        pairs = [PairRow(row["unique_id_l"], row["unique_id_r"], float(row["model_probability"]),
                         version, json.dumps(result.explainer.explain(row))) for row in rows]
        self.store.save_link_run(version, json.dumps(result.model), result.records, pairs, canon)


def _pattern(pair: PairRow) -> str:
    """What the model saw of a pair: the level of every comparison (not the learnt part)."""
    levels = sorted((e["field"], e["level"]) for e in json.loads(pair.explanation)
                    if e["field"] != "judgements")
    return json.dumps(levels)


def _measures(counts: dict[str, int], threshold: float) -> dict[str, Any]:
    """Precision, recall and F1 where the judgements give them; why not where they do not."""
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    why: list[str] = []
    if not sum(counts.values()):
        why.append("no pair is judged same or different yet (cruce review, cruce judge)")
    precision = recall = f1 = None
    if tp + fp:
        precision = tp / (tp + fp)
    elif sum(counts.values()):
        why.append(f"precision: no judged pair scores at or above {threshold}")
    if tp + fn:
        recall = tp / (tp + fn)
    elif sum(counts.values()):
        why.append("recall: no pair is judged the same")
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "why": why}
