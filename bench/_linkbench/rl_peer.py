"""recordlinkage 0.16 with its tutorials' pipeline (docs/guides/data_deduplication.rst and
link_two_dataframes.rst): candidate pairs by blocking on given_name (plus sorted-neighbourhood
indexing on surname, the tutorials' other indexer, so that a typo in the given name does not lose
the pair), the tutorials' comparisons (given_name, date_of_birth, suburb, state exact; surname
Jaro-Winkler >= 0.85; address_1 >= 0.85), then two classifiers: the tutorials' rule
`sum of the features > 3`, and the unsupervised ECM classifier of docs/guides/classifiers.rst
(`ECMClassifier(binarize=0.8)`). The tutorials do not use soc_sec_id, so febrl4 without it is
the same run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class RLRun:
    label: str
    seconds: float
    pairs: pd.DataFrame  # left_id, right_id


def _pairs(index: pd.MultiIndex) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "left_id": index.get_level_values(0).astype(str),
            "right_id": index.get_level_values(1).astype(str),
        }
    )


def run(frames: list[pd.DataFrame]) -> list[RLRun]:
    """Both classifiers on the same features; each time includes indexing and comparing."""
    import recordlinkage

    started = time.perf_counter()
    dfs = [frame.set_index("rec_id") for frame in frames]
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.sortedneighbourhood("surname")
    candidates = indexer.index(*dfs)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    features = compare.compute(candidates, *dfs)
    shared = time.perf_counter() - started

    ruled = time.perf_counter()
    matches = features[features.sum(axis=1) > 3].index
    rule = RLRun("recordlinkage (sum > 3)", shared + time.perf_counter() - ruled, _pairs(matches))

    ecm_started = time.perf_counter()
    ecm_matches = recordlinkage.ECMClassifier(binarize=0.8).fit_predict(features)
    ecm = RLRun(
        "recordlinkage (ECM)", shared + time.perf_counter() - ecm_started, _pairs(ecm_matches)
    )
    return [rule, ecm]
