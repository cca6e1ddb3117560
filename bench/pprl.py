"""PPRL (cruce pprl encode + match) against plaintext cruce linkage on the same data and run.

    .venv/bin/python bench/evalworld.py --people 5000 --seed 2 --out /tmp/P/w
    .venv/bin/python bench/pprl.py --world /tmp/P/w --pair gt_police us_border --out /tmp/P/bench
    # anonlink + clkhash pin cryptography < 41: in a venv of their own
    python3.11 -m venv /tmp/P/anonvenv && /tmp/P/anonvenv/bin/pip install anonlink clkhash

Data: (a) two agencies of an evaluation world, each file with one record per person (its first:
the contract is one-to-one, so both linkers get files without within-agency duplicates), truth
from truth.csv; (b) febrl4 A x B without soc_sec_id (bench/_linkbench/febrl.py), truth
rec-N-org = rec-N-dup-0. Plaintext: `cruce link A B --out pairs.csv` (threshold 0.5), scored
on its A x B pairs. PPRL: the CLI contract, `cruce pprl encode` each side with one secret, then
`cruce pprl match A.enc B.enc --out MATCHES.csv`, mapped back through HANDLES.csv (times are
whole processes: about 1.5 s of each is starting cruce). anonlink + clkhash with clkhash's
documented febrl schema (bench/_pprl_anonlink.py; times in-process), if their venv exists.
Precision, recall, F1 each; wall time of each step; the Dice kernel's comparisons/s on one
core.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _linkbench import febrl  # noqa: E402

CRUCE = Path(sys.executable).parent / "cruce"
ANONLINK = Path("/tmp/P/anonvenv/bin/python")
Pairs = set[tuple[str, str]]


def _people(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return path


def world_case(world: Path, left: str, right: str, out: Path) -> tuple[Path, Path, Pairs]:
    """The two agencies' files, one record per person, and the true pairs between them."""
    with (world / "truth.csv").open(encoding="utf-8") as fh:
        truth = {r["record_id"]: r["person_id"] for r in csv.DictReader(fh)}
    files, persons = [], []
    for agency in (left, right):
        seen: dict[str, str] = {}
        rows = []
        for row in _people(world / f"{agency}.jsonl"):
            person = truth[str(row["id"])]
            if person not in seen:
                seen[person] = str(row["id"])
                rows.append(row)
        files.append(_write(out / f"{agency}.jsonl", rows))
        persons.append(seen)
    pairs = {(a, persons[1][p]) for p, a in persons[0].items() if p in persons[1]}
    return files[0], files[1], pairs


def febrl_case(out: Path) -> tuple[Path, Path, Pairs]:
    frames = febrl.load("febrl4")
    a, b = febrl.write_jsonl(frames, out, "febrl4", ssn=False)
    ids_b = {febrl.entity_of(str(r)): str(r).strip() for r in frames[1]["rec_id"]}
    pairs = {(str(r).strip(), ids_b[febrl.entity_of(str(r))]) for r in frames[0]["rec_id"]
             if febrl.entity_of(str(r)) in ids_b}
    return a, b, pairs


def score(found: Pairs, truth: Pairs) -> dict[str, float]:
    tp = len(found & truth)
    return {"pairs": len(found), "true": len(truth), "tp": tp,
            "precision": tp / len(found) if found else 0.0, "recall": tp / len(truth),
            "f1": 2 * tp / (len(found) + len(truth))}


def _run(cmd: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
    return time.perf_counter() - started


def plaintext(a: Path, b: Path, out: Path) -> tuple[Pairs, float]:
    pairs = out / "plain_pairs.csv"
    seconds = _run([str(CRUCE), "link", str(a), str(b), "--out", str(pairs)])
    ids_a = {str(r["id"]) for r in _people(a)}
    found = set()
    with pairs.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            left, right = row["left_id"], row["right_id"]
            if (left in ids_a) != (right in ids_a):
                found.add((left, right) if left in ids_a else (right, left))
    return found, seconds


def _handles(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as fh:
        return {r["handle"]: r["id"] for r in csv.DictReader(fh)}


def pprl(a: Path, b: Path, out: Path) -> tuple[Pairs, dict[str, float]]:
    """The CLI contract end to end; (pairs mapped back to ids, seconds per step)."""
    secret = out / "secret"
    secret.write_text("c0ffee" * 11 + "\n")
    times = {}
    for side, path in (("a", a), ("b", b)):
        times[f"encode_{side}"] = _run([str(CRUCE), "pprl", "encode", str(path), "--secret",
                                        str(secret), "--out", str(out / f"{side}.enc.jsonl"),
                                        "--handles", str(out / f"{side}.handles.csv")])
    matches = out / "matches.csv"
    times["match"] = _run([str(CRUCE), "pprl", "match", str(out / "a.enc.jsonl"),
                           str(out / "b.enc.jsonl"), "--out", str(matches)])
    ha, hb = _handles(out / "a.handles.csv"), _handles(out / "b.handles.csv")
    found = set()
    with matches.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            left, right = ha.get(row["left_handle"]), hb.get(row["right_handle"])
            if left and right:  # a hit on a fake record is no hit
                found.add((left, right))
    return found, times


def kernel_rate(words: int, left: int = 4096, right: int = 8192) -> float:
    """Dice comparisons per second of cruce's kernel on random filters (one process)."""
    from cruce.pprl._dice import dice_all

    rng = np.random.default_rng(0)
    a = rng.integers(0, 2**63, size=(left, words), dtype=np.uint64)
    b = rng.integers(0, 2**63, size=(right, words), dtype=np.uint64)
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        dice_all(a, b, 0.8)
        best = max(best, left * right / (time.perf_counter() - started))
    return best


ANONLINK_PYTHON = Path("/tmp/P/anonvenv/bin/python")


def anonlink_run(a: Path, b: Path, out: Path,
                 python: Path = ANONLINK_PYTHON) -> tuple[Pairs, float, float] | str:
    """clkhash (its documented febrl schema) + anonlink's greedy solver at 0.8, in their own
    venv (bench/_pprl_anonlink.py); or why not."""
    if not python.exists():
        return f"not run: no {python} (python -m venv; pip install anonlink clkhash)"
    result = out / "anonlink.json"
    _run([str(python), str(HERE / "_pprl_anonlink.py"), str(a), str(b), str(result)])
    data = json.loads(result.read_text())
    pairs = {(str(p[0]), str(p[1])) for p in data["pairs"]}
    return pairs, float(data["encode"]), float(data["match"])


def _line(label: str, s: dict[str, float], extra: str = "") -> str:
    return (f"| {label} | {s['pairs']} | {s['tp']} | {s['precision']:.4f} | {s['recall']:.4f} | "
            f"{s['f1']:.4f} | {extra} |")


def run_case(name: str, make: Callable[[Path], tuple[Path, Path, Pairs]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    a, b, truth = make(out)
    print(f"\n### {name}: {len(_people(a))} x {len(_people(b))} records, {len(truth)} true pairs")
    print("| linker | pairs | tp | precision | recall | F1 | time |\n" + "| --- " * 7 + "|")
    plain, seconds = plaintext(a, b, out)
    print(_line("cruce link (plaintext)", score(plain, truth), f"{seconds:.1f} s"), flush=True)
    found, times = pprl(a, b, out)
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
    print(_line("cruce pprl", score(found, truth), steps), flush=True)
    other = anonlink_run(a, b, out, ANONLINK)
    if isinstance(other, str):
        print(f"| anonlink + clkhash | {other} | | | | | |")
    else:
        pairs, encode_s, match_s = other
        print(_line("anonlink + clkhash", score(pairs, truth),
                    f"encode {encode_s:.1f} s, match {match_s:.1f} s"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--pair", nargs=2, default=["gt_police", "us_border"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument("--anonlink-python", type=Path, default=ANONLINK_PYTHON,
                        help="a Python with anonlink and clkhash (they pin cryptography < 41)")
    args = parser.parse_args()
    global ANONLINK
    ANONLINK = args.anonlink_python
    left, right = args.pair
    run_case(f"evaluation world {args.world.name}: {left} x {right}",
             lambda out: world_case(args.world, left, right, out), args.out / "world")
    if not args.skip_febrl:
        run_case("febrl4 without soc_sec_id", febrl_case, args.out / "febrl4")
    for words in (8, 16):
        print(f"\nDice kernel, {64 * words}-bit filters: {kernel_rate(words) / 1e6:.0f}M "
              "comparisons/s (one process)")


if __name__ == "__main__":
    main()
