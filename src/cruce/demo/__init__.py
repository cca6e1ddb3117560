"""A deterministic synthetic world for demos, tests and benchmarks.

Five agencies (Honduran, Guatemalan and Salvadoran police, Mexico's migration institute, a US
border agency) each export the files they would really export, in their own layouts and with
their own errors, with a cruce mapping each; the ground truth says which record is whom.
Every person is synthetic: random combinations of common given names and surnames.

    >>> from cruce.demo import WorldSpec, generate_world
    >>> summary = generate_world(out_dir, WorldSpec(seed=2019, people=2000))  # doctest: +SKIP
    >>> sorted(summary.counts["agencies"])  # doctest: +SKIP
    ['gt_police', 'hn_police', 'mx_migration', 'sv_police', 'us_border']

Layout: `<out>/<agency>/mapping.yml` and its CSV files, `<out>/truth/people.csv` and
`organizations.csv` (record_id -> true id, record ids as cruce computes them) and
`<out>/truth/world.json` (counts). `write_people_jsonl` writes the agencies' people as FtM
JSON lines for the linkage benchmarks; `generate_bench_csv` one big file for the ingest one.
"""

from cruce.demo._bench import BenchFiles, generate_bench_csv
from cruce.demo._jsonl import write_people_jsonl
from cruce.demo._noise import NoiseRates
from cruce.demo._reach import AGENCIES
from cruce.demo._world import WorldSpec, WorldSummary, generate_world

__all__ = [
    "AGENCIES",
    "BenchFiles",
    "NoiseRates",
    "WorldSpec",
    "WorldSummary",
    "generate_bench_csv",
    "generate_world",
    "write_people_jsonl",
]
