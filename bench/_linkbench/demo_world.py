"""The synthetic five-agency world of `cruce.demo` as FtM Person JSON lines, cached on disk.

`write_people_jsonl(out, WorldSpec(seed=..., people=...))` writes one JSON-lines file per agency
and `truth/people.csv` (`record_id,person_id,...`). A world has about 1.5 person records per
person, so the number of people asked for is the records wanted divided by that; the number of
records actually written is what the bench reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RECORDS_PER_PERSON = 1.515  # measured on seeds 7 and 2019 (2k-20k people)


@dataclass(frozen=True)
class DemoFiles:
    folder: Path
    jsonl: list[Path]
    truth: Path
    records: int


def available() -> tuple[bool, str]:
    """Whether cruce.demo offers the JSON-lines export; else why not."""
    try:
        from cruce.demo import WorldSpec, write_people_jsonl  # noqa: F401
    except ImportError as err:
        return False, f"cruce.demo has no JSON-lines export yet ({err})"
    return True, ""


def people_for(records: int) -> int:
    return max(1, round(records / RECORDS_PER_PERSON))


def ensure(root: Path, records: int, seed: int) -> DemoFiles:
    """The world for about `records` records, generated once under `root`."""
    from cruce.demo import WorldSpec, write_people_jsonl

    folder = root / f"demo-{records}-seed{seed}"
    ready = folder / "READY"
    truth = folder / "truth" / "people.csv"
    if not ready.exists():
        written = write_people_jsonl(folder, WorldSpec(seed=seed, people=people_for(records)))
        count = sum(1 for _ in truth.open(encoding="utf-8")) - 1
        ready.write_text(
            "\n".join([str(count), *(str(p.name) for p in written.values())]) + "\n",
            encoding="utf-8",
        )
    count_line, *names = ready.read_text(encoding="utf-8").split()
    return DemoFiles(folder, [folder / n for n in names], truth, int(count_line))


def truth_relation(files: DemoFiles) -> str:
    """A DuckDB relation `record_id, entity_id` over the world's truth file."""
    return (
        f"(select record_id, person_id as entity_id from read_csv('{files.truth}', "
        f"header=true, all_varchar=true))"
    )
