"""Spanish and Central-American name intelligence for record linkage.

Parse person names as police, registry and US records write them (surnames first, comma
forms, maternal surname dropped or stored as a middle name, particles, married names,
aliases), standardise them for comparison (normalise, Spanish phonetic key, hypocorisms),
weigh monikers as weak evidence, split organisation legal forms, and emit the comparison
columns the linkage model reads (name_features).

    >>> p = parse_person_name("HERNANDEZ GARCIA, JOSE LUIS (a) El Flaco")
    >>> p.given, p.paternal, p.maternal, p.aliases
    (('JOSE', 'LUIS'), 'HERNANDEZ', 'GARCIA', ('El Flaco',))

Lexicons (given names, surnames incl. Mayan, hypocorisms with sources, monikers, legal forms)
ship as CSV files in cruce/names/data/.
"""

from cruce.names._aliases import COMMON_MONIKERS, is_common_moniker, moniker_key, moniker_weight
from cruce.names._features import name_features
from cruce.names._hypocorisms import canonical_given
from cruce.names._model import Layout, PersonName
from cruce.names._org import normalise_org_name
from cruce.names._parser import parse_name_parts, parse_person_name
from cruce.names._phonetic import phonetic_key
from cruce.names._text import normalise

__all__ = [
    "COMMON_MONIKERS",
    "Layout",
    "PersonName",
    "canonical_given",
    "is_common_moniker",
    "moniker_key",
    "moniker_weight",
    "name_features",
    "normalise",
    "normalise_org_name",
    "parse_name_parts",
    "parse_person_name",
    "phonetic_key",
]
