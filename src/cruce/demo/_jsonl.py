"""write_people_jsonl: each agency's people as FtM Person entities, one JSON object a line.

The values are those cruce stores after ingest: each mapped column cleaned as the mapping's
`cruce.columns` says (case, dates to ISO, phones to E.164), then mapped as FtM maps it.
This is the input of `cruce link FILE.jsonl ...` in the linkage benchmarks.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from followthemoney import model
from followthemoney.types import registry

from cruce.demo._agencies import LAYOUTS, mapping, person_keys
from cruce.demo._identity import COUNTRY_CODES
from cruce.demo._world import DEFAULT_SPEC, WorldSpec, contexts, make_world
from cruce.ingest._ids import entity_id, key_prefix

_NOT_DIGIT = re.compile(r"\D")
_SPACES = re.compile(r"\s+")
Cleaner = Callable[[str], str]


def _date_cleaner(formats: list[str]) -> Cleaner:
    def clean(value: str) -> str:
        for fmt in formats:
            try:
                parsed = datetime.strptime(value, fmt)
            except ValueError:
                continue
            width = 10 if "%d" in fmt else 7 if "%m" in fmt else 4
            return parsed.date().isoformat()[:width]
        raise ValueError(f"date {value!r} matches none of {formats}")

    return clean


def _phone_cleaner(country: str) -> Cleaner:
    code = COUNTRY_CODES[country.lower()]

    def clean(value: str) -> str:
        digits = _NOT_DIGIT.sub("", value)
        if value.startswith("+"):
            return f"+{digits}"
        if code == "1" and len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]  # the US trunk prefix
        return f"+{code}{digits}"

    return clean


def _title(value: str) -> str:
    """cruce's title case: each space-separated word capitalised ("Garcia-hernandez")."""
    return " ".join(w[:1].upper() + w[1:] for w in value.lower().split(" "))


_CASES: dict[str, Cleaner] = {"title": _title, "upper": str.upper, "lower": str.lower}


def column_cleaner(rules: dict[str, Any]) -> Cleaner:
    """The cleaning one `cruce.columns` entry asks for, after collapsing whitespace."""
    steps: list[Cleaner] = []
    if rules.get("case") in _CASES:
        steps.append(_CASES[rules["case"]])
    if "date_formats" in rules:
        steps.append(_date_cleaner(list(rules["date_formats"])))
    if "phone_country" in rules:
        steps.append(_phone_cleaner(str(rules["phone_country"])))

    def clean(value: str) -> str:
        value = _SPACES.sub(" ", value).strip()
        for step in steps:
            value = step(value) if value else value
        return value

    return clean


@cache
def _enum(prop_type: str, value: str) -> str | None:
    kind = registry.get(prop_type)
    return kind.clean(value) if kind is not None else None


def _typed(prop_type: str, value: str) -> str | None:
    """FtM's own cleaning for the coded properties; other values pass as they are."""
    return _enum(prop_type, value) if prop_type in ("country", "gender") else value


class PersonConverter:
    """Turns rows of one dataset into the FtM Person its mapping makes of them."""

    def __init__(self, agency: str, dataset: str, header: tuple[str, ...]) -> None:
        block = mapping(agency)[dataset]
        keys = person_keys(agency, dataset)
        assert keys is not None, f"{dataset} maps no Person"
        spec = block["queries"][0]["entities"][keys.entity]
        rules = block["cruce"].get("columns", {})
        self.prefix = key_prefix(agency, dataset)
        self.keys = [header.index(c) for c in keys.columns]
        self.cleaners = {
            i: column_cleaner(rules.get(column, {})) for i, column in enumerate(header)
        }
        schema = model.get("Person")
        assert schema is not None
        self.props = [
            (name, str(schema.properties[name].type.name), _columns(prop, header), prop)
            for name, prop in spec["properties"].items()
            if "entity" not in prop
        ]

    def __call__(self, cells: list[str]) -> dict[str, Any] | None:
        record_id = entity_id(self.prefix, [cells[i] for i in self.keys])
        if record_id is None:
            return None
        properties: dict[str, list[str]] = {}
        for name, prop_type, columns, prop in self.props:
            values = [str(v) for v in _literals(prop)]
            values += [v for v in (self.cleaners[i](cells[i]) for i in columns) if v]
            if "join" in prop and values:
                values = [str(prop["join"]).join(values)]
            if "split" in prop:
                values = [part.strip() for v in values for part in v.split(prop["split"])]
            typed = [t for t in (_typed(prop_type, v) for v in values if v) if t]
            if typed:
                properties[name] = list(dict.fromkeys(typed))
        return {"id": record_id, "schema": "Person", "properties": properties}


def _columns(prop: dict[str, Any], header: tuple[str, ...]) -> list[int]:
    names = prop.get("columns") or ([prop["column"]] if "column" in prop else [])
    return [header.index(name) for name in names]


def _literals(prop: dict[str, Any]) -> list[Any]:
    return list(prop.get("literals") or ([prop["literal"]] if "literal" in prop else []))


def write_people_jsonl(out_dir: Path, spec: WorldSpec = DEFAULT_SPEC) -> dict[str, Path]:
    """Write `<out_dir>/<agency>.jsonl` (the Person entities of each agency's main people
    file) and `<out_dir>/truth/people.csv`; return the JSON-lines paths by agency.

    Use a directory of its own: the truth written here covers these records only.
    """
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    world = make_world(spec)
    with (out_dir / "truth" / "people.csv").open("w", newline="", encoding="utf-8") as fh:
        truth = csv.writer(fh, lineterminator="\n")
        truth.writerow(("record_id", "person_id", "agency", "dataset"))
        for ctx in contexts(world, spec):
            export = LAYOUTS[ctx.agency].exports[0]
            convert = PersonConverter(ctx.agency, export.dataset, export.header)
            path = written[ctx.agency] = out_dir / f"{ctx.agency}.jsonl"
            with path.open("w", encoding="utf-8", newline="\n") as out:
                for cells, pid, _ in export.rows(ctx):
                    entity = convert(cells)
                    if entity is None:
                        continue
                    out.write(json.dumps(entity, ensure_ascii=False) + "\n")
                    truth.writerow((entity["id"], pid, ctx.agency, export.dataset))
    return written
