"""Entity resolution: find the records that refer to the same person, within and across agencies.

cruce supplies the standardised features (names, dates, documents, phones, places) and the
comparisons; Splink 5 does the Fellegi-Sunter model, blocking, EM training, term-frequency
adjustments and clustering.

    >>> from cruce.link import link_files
    >>> result = link_files([Path("hn.jsonl"), Path("us.jsonl")], threshold=0.5)  # doctest: +SKIP
"""

from cruce.link._explain import Explainer, summarise
from cruce.link._run import LinkResult, link_files, link_table

__all__ = ["Explainer", "LinkResult", "link_files", "link_table", "summarise"]
