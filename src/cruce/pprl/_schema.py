"""The versioned encoding schema: which features go into the Bloom filter, how, and hardened how.

The schema is data (public: the linkage unit may read it); its SHA-256 over a canonical JSON
form travels with every encoding, and matching refuses encodings whose hashes differ.

    >>> DEFAULT_SCHEMA.out_bits, len(DEFAULT_SCHEMA.hash)
    (1024, 64)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any

SCHEMA_VERSION = 1
SALTS = (None, "sex", "birth_year")


@dataclass(frozen=True)
class FieldSpec:
    """One feature: its tokens are split into q-grams (q=0: the whole token) and each is set
    at k keyed positions. k weighs the field: more positions, more of the Dice score."""

    name: str
    q: int
    k: int


@dataclass(frozen=True)
class EncodingSchema:
    """bits: filter length before hardening; balance: append the complement and permute
    (Schnell 2016: constant Hamming weight); xor_fold: fold the two halves (Schnell et al.
    2016); salt: the record feature every position is keyed with (None: no salt);
    fake_ratio: fake records added per real one (Heng et al. 2022)."""

    version: int
    bits: int
    fields: tuple[FieldSpec, ...]
    balance: bool
    xor_fold: bool
    salt: str | None
    fake_ratio: float

    @property
    def out_bits(self) -> int:
        """Length of the filters that are written and compared."""
        return self.bits * (2 if self.balance else 1) // (2 if self.xor_fold else 1)

    @property
    def words(self) -> int:
        return self.out_bits // 64

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def hash(self) -> str:
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def hardened(self, **changes: Any) -> EncodingSchema:
        """The same schema with other hardening settings (bench and tests)."""
        return replace(self, **changes)


# Weights measured on an evaluation world (bench/pprl.py): dates weigh as much as the names
# (a same-name, other-date pair is a different person), the first given name more than the
# others, whose initials alone still agree ("Maria A." and "Maria Alejandra").
FIELDS = (
    FieldSpec("given", 2, 10),  # the first given name, canonical (hypocorisms folded), bigrams
    FieldSpec("given_phonetic", 0, 8),
    FieldSpec("given_other", 2, 3),
    FieldSpec("given_initials", 0, 10),
    FieldSpec("surname", 2, 8),  # every surname, particles dropped, order-free
    FieldSpec("surname_phonetic", 0, 8),
    FieldSpec("surname1", 2, 4),  # the paternal surname again
    FieldSpec("birth_year", 0, 40),
    FieldSpec("birth_month", 0, 30),
    FieldSpec("birth_day", 0, 30),
    FieldSpec("sex", 0, 10),
    FieldSpec("birth_place", 2, 2),  # rarely given and often a town for a department
    FieldSpec("nationality", 0, 6),  # ISO codes (FtM's country type): often missing or wrong
)

# Hardening measured against the attacks in bench/pprl_attacks.py and for linkage quality in
# bench/pprl.py (bench/RESULTS.md, session 8): balancing, then XOR folding back to 1024 bits,
# and three fake records per two real ones (one per real one let graph matching re-identify
# 1.5% once nationality was encoded; 1.5 per real one, 0.4%, at the same F1). A birth-year
# salt is left out: the attacker knows birth years and salts its own encodings alike, and one
# record in six of a person misses its year.
DEFAULT_SCHEMA = EncodingSchema(
    version=SCHEMA_VERSION, bits=1024, fields=FIELDS, balance=True, xor_fold=True,
    salt=None, fake_ratio=1.5,
)
PLAIN_CLK = DEFAULT_SCHEMA.hardened(bits=1024, balance=False, xor_fold=False, fake_ratio=0.0)


def check_schema(schema: EncodingSchema) -> None:
    """Refuse a schema that cannot be encoded (a programming error, not the caller's data)."""
    if schema.salt not in SALTS:
        raise ValueError(f"salt {schema.salt!r}: one of {SALTS}")
    if schema.out_bits % 64 or schema.out_bits <= 0:
        raise ValueError(f"{schema.out_bits} output bits: must be a positive multiple of 64")
