"""recordlinkage 0.16 with its tutorials' pipeline (docs/guides/data_deduplication.rst and
link_two_dataframes.rst): candidate pairs by blocking on given_name (plus sorted-neighbourhood
indexing on surname, the tutorials' other indexer, so that a typo in the given name does not lose
the pair), the tutorials' comparisons (given_name, date_of_birth, suburb, state exact; surname
Jaro-Winkler >= 0.85; address_1 >= 0.85), then two classifiers: the tutorials' rule
`sum of the features > 3`, and the unsupervised ECM classifier of docs/guides/classifiers.rst
(`ECMClassifier(binarize=0.8)`). The tutorials do not use soc_sec_id; when cruce is given the
identifier, recordlinkage is too (`ssn=True`: a block on soc_sec_id and an exact comparison, one
more feature in the sum).

Each run also keeps a score per candidate pair for a best-threshold sweep: the rule's share of
features that agree (the rule keeps > 3 of them), and ECM's match probability (`prob`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class RLRun:
    label: str
    seconds: float
    pairs: pd.DataFrame  # left_id, right_id: the classifier's matches
    scored: pd.DataFrame  # left_id, right_id, probability: every candidate pair
    rule_threshold: float | None = None  # the classifier's cut on `probability`, if it is one


def _pairs(index: pd.MultiIndex) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "left_id": index.get_level_values(0).astype(str),
            "right_id": index.get_level_values(1).astype(str),
        }
    )


def _scored(index: pd.MultiIndex, values: pd.Series) -> pd.DataFrame:
    frame = _pairs(index)
    frame["probability"] = values.to_numpy(dtype=float)
    return frame


def run(frames: list[pd.DataFrame], ssn: bool = False) -> list[RLRun]:
    """Both classifiers on the same features; each time includes indexing and comparing."""
    import recordlinkage

    started = time.perf_counter()
    dfs = [frame.set_index("rec_id") for frame in frames]
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.sortedneighbourhood("surname")
    if ssn:
        indexer.block("soc_sec_id")
    candidates = indexer.index(*dfs)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    if ssn:
        compare.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    features = compare.compute(candidates, *dfs)
    shared = time.perf_counter() - started

    ruled = time.perf_counter()
    total = features.sum(axis=1)
    matches = features[total > 3].index
    rule = RLRun("recordlinkage (sum > 3)", shared + time.perf_counter() - ruled, _pairs(matches),
                 _scored(features.index, total / features.shape[1]),
                 (3 + 0.5) / features.shape[1])

    ecm_started = time.perf_counter()
    classifier = recordlinkage.ECMClassifier(binarize=0.8)
    ecm_matches = classifier.fit_predict(features)
    ecm_seconds = shared + time.perf_counter() - ecm_started
    ecm = RLRun("recordlinkage (ECM)", ecm_seconds, _pairs(ecm_matches),
                _scored(features.index, classifier.prob(features)))
    return [rule, ecm]
