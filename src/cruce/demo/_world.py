"""generate_world: the agencies' files, their mappings and the ground truth, from one seed."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cruce.demo._agencies import LAYOUTS, EntityKeys, agency_context, org_keys, person_keys
from cruce.demo._layout import Context, Export
from cruce.demo._lexicon import mapping_text
from cruce.demo._noise import NoiseRates
from cruce.demo._reach import AGENCIES, World, build_world
from cruce.ingest._ids import entity_id, key_prefix


@dataclass(frozen=True)
class WorldSpec:
    """What to generate. Same spec, same bytes: nothing depends on the clock or the machine.

    >>> WorldSpec(seed=7, people=500).people
    500
    """

    seed: int = 2019
    people: int = 2000
    reference_date: date = date(2026, 11, 1)  # "today" for ages and event dates
    noise: NoiseRates = field(default_factory=NoiseRates)
    overlap: float = 0.6  # chance that the next agency on a person's route knows them too
    core_share: float = 0.1  # share of gang members and smugglers known to 3-5 agencies
    agencies: tuple[str, ...] = AGENCIES

    def __post_init__(self) -> None:
        unknown = [a for a in self.agencies if a not in LAYOUTS]
        if unknown:
            raise ValueError(f"unknown agencies {unknown}; choose from {list(LAYOUTS)}")
        if self.people < 1:
            raise ValueError(f"people must be at least 1, not {self.people}")


DEFAULT_SPEC = WorldSpec()


@dataclass(frozen=True)
class WorldSummary:
    """Where the files went and how many of everything there are (as in truth/world.json)."""

    out_dir: Path
    files: tuple[Path, ...]
    counts: dict[str, Any]


def make_world(spec: WorldSpec) -> World:
    return build_world(
        spec.seed, spec.people, spec.reference_date, spec.overlap, spec.core_share,
        spec.agencies,
    )


def contexts(world: World, spec: WorldSpec) -> Iterator[Context]:
    """Each selected agency's subjects, in the spec's agency order."""
    for agency in spec.agencies:
        yield agency_context(world, LAYOUTS[agency], spec.seed, spec.noise)


class _Truth:
    """Writes truth/people.csv and truth/organizations.csv: which record is whom."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._handles = [
            (folder / name).open("w", newline="", encoding="utf-8")
            for name in ("people.csv", "organizations.csv")
        ]
        self.people, self.orgs = (csv.writer(h, lineterminator="\n") for h in self._handles)
        self.people.writerow(("record_id", "person_id", "agency", "dataset"))
        self.orgs.writerow(("record_id", "org_id", "agency", "dataset"))
        self.seen: set[str] = set()
        self.counts: Counter[str] = Counter()

    def add(
        self, kind: str, record_id: str | None, true_id: str, agency: str, dataset: str
    ) -> None:
        if not record_id or not true_id or record_id in self.seen:
            return
        self.seen.add(record_id)
        self.counts[kind] += 1
        writer = self.people if kind == "people" else self.orgs
        writer.writerow((record_id, true_id, agency, dataset))

    def close(self) -> None:
        for handle in self._handles:
            handle.close()


def _key_indexes(keys: EntityKeys | None, header: tuple[str, ...]) -> list[int]:
    return [header.index(column) for column in keys.columns] if keys else []


def _write_export(ctx: Context, export: Export, folder: Path, truth: _Truth) -> int:
    prefix = key_prefix(ctx.agency, export.dataset)
    person = _key_indexes(person_keys(ctx.agency, export.dataset), export.header)
    org = _key_indexes(org_keys(ctx.agency, export.dataset), export.header)
    rows = 0
    with (folder / export.filename).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(export.header)
        for cells, pid, oid in export.rows(ctx):
            writer.writerow(cells)
            rows += 1
            if person and pid:
                record_id = entity_id(prefix, [cells[i] for i in person])
                truth.add("people", record_id, pid, ctx.agency, export.dataset)
            if org and oid:
                record_id = entity_id(prefix, [cells[i] for i in org])
                truth.add("organizations", record_id, oid, ctx.agency, export.dataset)
    return rows


def _known_by(world: World) -> dict[str, int]:
    per_person = Counter(index for known in world.known.values() for index, _ in known)
    histogram = Counter(per_person.values())
    return {str(n): histogram[n] for n in sorted(histogram)}


def generate_world(out_dir: Path, spec: WorldSpec = DEFAULT_SPEC) -> WorldSummary:
    """Write every agency's files and mapping under `out_dir/<agency>/`, the truth under
    `out_dir/truth/`.

    >>> summary = generate_world(tmp_path / "demo", WorldSpec(people=200))  # doctest: +SKIP
    >>> summary.counts["truth"]["person_records"]  # doctest: +SKIP
    """
    out_dir = Path(out_dir)
    world = make_world(spec)
    truth = _Truth(out_dir / "truth")
    files: list[Path] = []
    agencies: dict[str, Any] = {}
    try:
        for ctx in contexts(world, spec):
            folder = out_dir / ctx.agency
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "mapping.yml").write_bytes(mapping_text(ctx.agency).encode("utf-8"))
            rows = {}
            for export in LAYOUTS[ctx.agency].exports:
                rows[export.filename] = _write_export(ctx, export, folder, truth)
                files.append(folder / export.filename)
            agencies[ctx.agency] = {
                "people_known": len(ctx.primary), "files": rows,
                "duplicate_records": sum(1 for s in ctx.subjects if not s.primary),
            }
    finally:
        truth.close()
    counts = _counts(world, spec, agencies, truth.counts)
    (out_dir / "truth" / "world.json").write_text(
        json.dumps(counts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return WorldSummary(out_dir, tuple(files), counts)


def _counts(
    world: World, spec: WorldSpec, agencies: dict[str, Any], truth: Counter[str]
) -> dict[str, Any]:
    kinds = Counter(org.kind for org in world.orgs)
    return {
        "seed": spec.seed,
        "reference_date": spec.reference_date.isoformat(),
        "people": len(world.people),
        "profiles": dict(sorted(Counter(p.profile for p in world.people).items())),
        "nationalities": dict(sorted(Counter(p.nationality for p in world.people).items())),
        "organizations": dict(sorted(kinds.items())),
        "vehicles": len(world.vehicles),
        "people_known_by_n_agencies": _known_by(world),
        "agencies": agencies,
        "truth": {
            "person_records": truth["people"],
            "organization_records": truth["organizations"],
        },
    }
