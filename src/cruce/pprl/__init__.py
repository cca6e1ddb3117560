"""Privacy-preserving hit/no-hit: "do you know this person?" before personal data moves.

Each owner encodes its people (`encode_file`): record-level Bloom filters over cruce's
standardised name, date, sex and birthplace features with keyed hashing and hardening, and
identifiers as keyed digests; a party without the key matches two owners' encodings
(`match_files`): Dice scores, a threshold from the data, one-to-one pairs of opaque handles.
Threat model: docs/pprl-threat-model.md.

    >>> from cruce.pprl import DEFAULT_SCHEMA
    >>> DEFAULT_SCHEMA.balance, DEFAULT_SCHEMA.fake_ratio
    (True, 1.5)
"""

from cruce.pprl._keys import PprlKey, read_secret
from cruce.pprl._run import EncodeSummary, MatchSummary, encode_file, match_files
from cruce.pprl._schema import DEFAULT_SCHEMA, PLAIN_CLK, EncodingSchema, FieldSpec

__all__ = [
    "DEFAULT_SCHEMA",
    "PLAIN_CLK",
    "EncodeSummary",
    "EncodingSchema",
    "FieldSpec",
    "MatchSummary",
    "PprlKey",
    "encode_file",
    "match_files",
    "read_secret",
]
