"""The seed case: Posyandu Anggrek's 14 assessed cadres give 1 Utama, 4 Madya, 9 Purwa."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assessments import determine_level, grade_many, load_framework
from ilp_training.demo.seed_case import ANGGREK, EXPECTED_COUNTS

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = load_framework(ROOT / "curricula" / "ilp-national-2024.yaml")
BADGES = {"purwa": range(14, 18), "madya": range(19, 23), "utama": range(25, 26)}


def test_the_seed_case_gives_1_utama_4_madya_9_purwa() -> None:
    levels = [determine_level(NATIONAL, cadre.mastered).level for cadre in ANGGREK]
    assert len(ANGGREK) == 14
    assert Counter(levels) == Counter(EXPECTED_COUNTS) == Counter(utama=1, madya=4, purwa=9)
    assert grade_many(NATIONAL, [cadre.mastered for cadre in ANGGREK]) == levels


@pytest.mark.parametrize("cadre", ANGGREK, ids=lambda c: c.label)
def test_each_seed_cadre_has_her_level_and_a_badge_count_in_its_range(cadre) -> None:
    result = determine_level(NATIONAL, cadre.mastered)
    assert result.level == cadre.level
    assert result.badges in BADGES[cadre.level]
