"""Record-level Bloom filters (CLKs) with keyed random hashing, balancing and XOR folding.

Each token's k positions come from HMAC-SHA256(bloom subkey, salt | field | token): positions
are independent per token (no double hashing, which Kroll & Steinmetzer 2015 broke) and
nobody without the key can compute them. Hardening, as the schema says:
- balancing (Schnell 2016): the filter followed by its complement, keyed permutation: every
  filter has the same Hamming weight, so weight no longer tells how long a name is;
- XOR folding (Schnell, Borgs & Encarnação 2016): the two halves XORed: no bit is one q-gram's;
- salt: every position keyed with the record's salt value; records of different salts share
  no positions (Chen, Schnell, Armknecht & Heng 2022).

    >>> from cruce.pprl._keys import PprlKey
    >>> from cruce.pprl._schema import DEFAULT_SCHEMA
    >>> balanced = DEFAULT_SCHEMA.hardened(xor_fold=False)
    >>> f = encode_tokens([{"given": ["jose"]}], [""], PprlKey(b"k" * 32), balanced)
    >>> f.shape, int(np.bitwise_count(f).sum())  # balanced: weight is always half the bits
    ((1, 32), 1024)
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from cruce.pprl._keys import PprlKey
from cruce.pprl._schema import EncodingSchema, FieldSpec
from cruce.pprl._tokens import Tokens

Words = npt.NDArray[np.uint64]


def qgrams(token: str, q: int) -> list[str]:
    """Padded q-grams ('jose', 2 -> _j jo os se e_); q=0: the token itself."""
    if q <= 0:
        return [token]
    padded = "_" * (q - 1) + token + "_" * (q - 1)
    return [padded[i : i + q] for i in range(len(padded) - q + 1)]


@lru_cache(maxsize=1 << 20)
def _positions(bloom_key: bytes, salt: str, field: str, gram: str, k: int,
               bits: int) -> tuple[int, ...]:
    message = f"{salt}\x1f{field}\x1f{gram}".encode()
    digest = b""
    counter = 0
    while len(digest) < 4 * k:  # 32 bits per position, more blocks when k > 8
        digest += hmac.new(bloom_key, message + bytes([counter]), hashlib.sha256).digest()
        counter += 1
    return tuple(int.from_bytes(digest[4 * i : 4 * i + 4], "big") % bits for i in range(k))


def _record_positions(tokens: Tokens, salt: str, bloom_key: bytes,
                      fields: Sequence[FieldSpec], bits: int) -> set[int]:
    found: set[int] = set()
    for spec in fields:
        for token in tokens.get(spec.name, ()):
            for gram in qgrams(token, spec.q):
                found.update(_positions(bloom_key, salt, spec.name, gram, spec.k, bits))
    return found


def _permutation(key: PprlKey, size: int) -> npt.NDArray[np.intp]:
    seed = int.from_bytes(key.subkey(f"permute:{size}")[:16], "big")
    return np.random.Generator(np.random.PCG64(seed)).permutation(size)


def harden(filters: npt.NDArray[np.bool_], key: PprlKey,
           schema: EncodingSchema) -> npt.NDArray[np.bool_]:
    """Balance (append the complement, keyed permutation), then XOR-fold, as the schema says."""
    if schema.balance:
        both = np.concatenate([filters, ~filters], axis=1)
        filters = both[:, _permutation(key, both.shape[1])]
    if schema.xor_fold:
        half = filters.shape[1] // 2
        filters = filters[:, :half] ^ filters[:, half:]
    return filters


def to_words(filters: npt.NDArray[np.bool_]) -> Words:
    """Bits packed into uint64 words, one row per filter (the kernel's layout)."""
    packed = np.packbits(filters, axis=1)
    return np.ascontiguousarray(packed).view(np.uint64)


def encode_tokens(tokens: Sequence[Tokens], salts: Sequence[str], key: PprlKey,
                  schema: EncodingSchema) -> Words:
    """The hardened filters of the records' tokens, as uint64 words (one row per record)."""
    bloom_key = key.subkey("bloom")
    filters = np.zeros((len(tokens), schema.bits), dtype=np.bool_)
    for row, (record, salt) in enumerate(zip(tokens, salts, strict=True)):
        positions = _record_positions(record, salt, bloom_key, schema.fields, schema.bits)
        filters[row, list(positions)] = True
    return to_words(harden(filters, key, schema))
