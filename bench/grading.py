"""Benchmark bulk level grading: 1.5 million synthetic cadres, single process.

Run from the repository root: ``.venv/bin/python bench/grading.py``. Prints exactly one
line on stdout, ``grading_cadres_per_s: N cadres/s`` (the median of three timed runs of
:func:`assessments.grade_masks`); details go to stderr. Synthetic cadres are skill
bitmasks built package by package (each package mastered whole, or a random part of it),
so every level occurs; building them is not timed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assessments import Framework, grade_masks, load_framework  # noqa: E402

CURRICULUM = ROOT / "curricula" / "ilp-national-2024.yaml"
POOL_SIZE = 65_536


def synthetic_masks(framework: Framework, count: int, seed: int = 2024) -> list[int]:
    """``count`` skill masks drawn from a pool of realistic cadres (fixed seed)."""
    rng = random.Random(seed)
    pool = [_cadre(framework, rng) for _ in range(POOL_SIZE)]
    return rng.choices(pool, k=count)


def _cadre(framework: Framework, rng: random.Random) -> int:
    mastered: list[str] = []
    for package in framework.packages:
        whole = rng.random() < (0.85 if package.code in ("A", "B") else 0.5)
        mastered += [c for c in package.skill_codes if whole or rng.random() < 0.5]
    return framework.mask(mastered)


def main(argv: list[str] | None = None) -> None:
    """Time grade_masks over the synthetic cadres and print the throughput line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_500_000, help="number of cadres")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (median reported)")
    args = parser.parse_args(argv)
    framework = load_framework(CURRICULUM)
    masks = synthetic_masks(framework, args.count)
    timings, levels = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        levels = grade_masks(framework, masks)
        timings.append(time.perf_counter() - start)
    seconds = statistics.median(timings)
    counts = Counter(levels)
    print(f"cadres: {len(masks)}, runs: {', '.join(f'{t:.3f} s' for t in timings)}, "
          f"levels: {dict(sorted(counts.items(), key=lambda kv: str(kv[0])))}", file=sys.stderr)
    print(f"grading_cadres_per_s: {round(len(masks) / seconds)} cadres/s")


if __name__ == "__main__":
    main()
