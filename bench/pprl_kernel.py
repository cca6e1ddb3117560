"""The Dice kernel in isolation: cruce's `dice_all` against the bare numpy AND + popcount it is
built on (same tiles, nothing kept), and optionally an older copy of `_dice.py`, interleaved in
one run and timed in CPU seconds (the machine is shared: wall time measures the others' load).

    git show <commit>:src/cruce/pprl/_dice.py > /tmp/dice_old.py
    .venv/bin/python bench/pprl_kernel.py --against /tmp/dice_old.py
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from cruce.pprl import _dice

Words = np.ndarray


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("dice_against", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dice_against"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def bare(a: Words, b: Words) -> None:
    """AND and popcount of every word pair over (32 x 4096) tiles: what any numpy kernel does."""
    anded = np.empty((32, 4096), np.uint64)
    counts = np.empty((32, 4096), np.uint8)
    columns = np.ascontiguousarray(b.T)
    for start in range(0, a.shape[0], 32):
        rows = a[start : start + 32]
        for offset in range(0, b.shape[0], 4096):
            for word in range(a.shape[1]):
                np.bitwise_and(rows[:, word, None], columns[word, offset : offset + 4096][None, :],
                               out=anded)
                np.bitwise_count(anded, out=counts)


def rates(kernels: dict[str, Callable[[Words, Words], object]], words: int,
          rounds: int) -> dict[str, list[float]]:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2**63, size=(1024, words), dtype=np.uint64)
    b = rng.integers(0, 2**63, size=(8192, words), dtype=np.uint64)
    found: dict[str, list[float]] = {name: [] for name in kernels}
    for _ in range(rounds):
        for name, kernel in kernels.items():
            started = time.process_time()
            kernel(a, b)
            found[name].append(a.shape[0] * b.shape[0] / (time.process_time() - started))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--against", type=Path, help="an older src/cruce/pprl/_dice.py")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    kernels: dict[str, Callable[[Words, Words], object]] = {
        "cruce dice_all (floor 0.65)": lambda a, b: _dice.dice_all(a, b, 0.65)}
    if args.against:
        older = _load(args.against)
        kernels[f"{args.against.name} (floor 0.65)"] = lambda a, b: older.dice_all(a, b, 0.65)
    kernels["bare numpy AND + popcount"] = bare
    for words in (16, 8):
        for name, found in rates(kernels, words, args.rounds).items():
            print(f"{64 * words} bits, {name}: median {np.median(found) / 1e6:.0f}M/s, "
                  f"best {max(found) / 1e6:.0f}M/s (CPU time, {args.rounds} rounds)")


if __name__ == "__main__":
    main()
