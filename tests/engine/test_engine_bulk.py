"""grade_masks / grade_many: input checks, and the benchmark script's output line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from assessments import GradingError, grade_many, grade_masks, load_framework

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = load_framework(ROOT / "curricula" / "ilp-national-2024.yaml")
FULL = (1 << 25) - 1


@pytest.mark.parametrize(
    ("masks", "levels"),
    [
        ([], []),
        ([0], [None]),
        ([FULL], ["utama"]),
        ([NATIONAL.mask(["A1"]), FULL, 0], [None, "utama", None]),
        (iter([FULL, FULL]), ["utama", "utama"]),
        ((m for m in [FULL]), ["utama"]),
    ],
)
def test_grade_masks_keeps_input_order(masks, levels) -> None:
    assert grade_masks(NATIONAL, masks) == levels


@pytest.mark.parametrize("bad", [-1, FULL + 1, 1 << 40])
def test_masks_outside_the_framework_are_refused(bad) -> None:
    with pytest.raises(GradingError, match="skill mask out of range"):
        grade_masks(NATIONAL, [0, bad])


def test_grade_many_takes_skill_codes_and_refuses_unknown_ones() -> None:
    abd = [s.code for s in NATIONAL.skills if s.package in "ABD"]
    assert grade_many(NATIONAL, [abd, [], ["A1", "A1"]]) == ["purwa", None, None]
    with pytest.raises(GradingError, match="unknown skill 'F1'"):
        grade_many(NATIONAL, [abd, ["F1"]])


def test_bit_i_of_a_mask_is_the_i_th_skill() -> None:
    assert [NATIONAL.mask([s.code]) for s in NATIONAL.skills] == [1 << i for i in range(25)]
    assert NATIONAL.skill_codes(0b101) == ("A1", "A3")


def test_the_benchmark_prints_its_one_line() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "grading.py"), "--count", "20000", "--runs", "1"],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=120,
    )
    assert re.fullmatch(r"grading_cadres_per_s: \d+ cadres/s\n", completed.stdout)
