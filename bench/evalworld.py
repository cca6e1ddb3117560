"""Write the evaluation world: five agencies' FtM Person JSON lines and truth.csv.

    .venv/bin/python bench/evalworld.py --people 20000 --seed 1 --out bench/out/evalworld-20k
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _evalworld.config import WorldConfig  # noqa: E402
from _evalworld.world import write  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    written = write(WorldConfig(), args.people, args.seed, args.out)
    print(f"{written.people} people, {written.records} records -> {args.out}")


if __name__ == "__main__":
    main()
