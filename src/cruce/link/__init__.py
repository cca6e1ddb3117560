"""Entity resolution: find the records that refer to the same person, within and across agencies.

cruce supplies the standardised features (names, dates, documents, phones, places) and the
comparisons; Splink 5 does the Fellegi-Sunter model, blocking, EM training, term-frequency
adjustments and clustering.

    >>> from cruce.link import link_files
    >>> result = link_files([Path("hn.jsonl"), Path("us.jsonl")], threshold=0.5)  # doctest: +SKIP

Splink (0.5 s to import) loads only when a linkage runs: opening a node, reviewing or judging
pairs never needs it (tests/link/test_link_imports.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cruce.link._explain import Explainer, summarise

if TYPE_CHECKING:
    from cruce.link._run import LinkResult, link_files, link_table

__all__ = ["Explainer", "LinkResult", "link_files", "link_table", "summarise"]
_RUN = frozenset({"LinkResult", "link_files", "link_table"})


def __getattr__(name: str) -> Any:
    if name in _RUN:
        from cruce.link import _run

        return getattr(_run, name)
    raise AttributeError(f"module 'cruce.link' has no attribute {name!r}")
