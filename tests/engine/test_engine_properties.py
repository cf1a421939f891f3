"""Properties of the level engine, checked on generated cadres (hypothesis)."""

from __future__ import annotations

from datetime import date
from itertools import combinations
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from assessments import (
    Framework,
    Indicator,
    Level,
    LevelRule,
    Package,
    PassRule,
    Scale,
    ScaleOption,
    Skill,
    Text,
    determine_level,
    grade_many,
    grade_masks,
    grade_skill,
)
from assessments.curriculum import load_framework

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = load_framework(ROOT / "curricula" / "ilp-national-2024.yaml")
ALL = frozenset(skill.code for skill in NATIONAL.skills)


def synthetic(sizes: tuple[int, ...], rules: tuple[tuple[tuple[str, ...], int], ...]) -> Framework:
    """A framework with packages P, Q, R… of ``sizes`` one-indicator skills and level rules."""
    t = Text("t", "t")
    packages = tuple(
        Package(code, t, tuple(
            Skill(f"{code}{n}", code, t, (Indicator(f"{code}{n}.1", t, 1, True),), PassRule(80))
            for n in range(1, size + 1)
        ))
        for code, size in zip("PQRSTUVW", sizes, strict=False)
    )
    levels = tuple(Level(f"l{i}", t, "#000000", t, LevelRule(req, k))
                   for i, (req, k) in enumerate(rules))
    scale = Scale((ScaleOption(0, t), ScaleOption(1, t)))
    return Framework("synthetic", "1", date(2025, 1, 1), t, t, scale, PassRule(80), packages,
                     levels)


# One table chunk (9 skills), two (the national 25) and three (42 skills in 6 packages).
ONE_CHUNK = synthetic((4, 3, 2), ((("P",), 1), (("P", "Q", "R"), 0)))
THREE_CHUNKS = synthetic((7, 7, 7, 7, 7, 7), ((("P",), 2), (("P",), 4), (("P", "Q"), 4)))


@st.composite
def cadres(draw: st.DrawFn, framework: Framework = NATIONAL) -> frozenset[str]:
    """Mastered skills, drawn package by package: none, all or some of each package."""
    mastered: set[str] = set()
    for package in framework.packages:
        mode = draw(st.sampled_from(["none", "all", "some"]))
        if mode == "all":
            mastered.update(package.skill_codes)
        elif mode == "some":
            mastered.update(draw(st.sets(st.sampled_from(package.skill_codes))))
    return frozenset(mastered)


def rank(framework: Framework, mastered) -> int:
    return framework.rank(determine_level(framework, mastered).level)


@given(cadres(), st.sets(st.sampled_from(sorted(ALL))))
def test_mastering_more_skills_never_lowers_the_level(mastered, more) -> None:
    assert rank(NATIONAL, mastered | more) >= rank(NATIONAL, mastered)


@given(cadres())
def test_utama_if_and_only_if_all_25_skills_are_mastered(mastered) -> None:
    assert (determine_level(NATIONAL, mastered).level == "utama") == (mastered == ALL)


@given(cadres())
def test_mastering_the_missing_skills_reaches_the_next_level(mastered) -> None:
    result = determine_level(NATIONAL, mastered)
    assert not set(result.missing) & mastered
    if result.next_level is None:
        assert result.level == NATIONAL.levels[-1].code and result.missing == ()
        return
    after = determine_level(NATIONAL, mastered | set(result.missing))
    assert NATIONAL.rank(after.level) >= NATIONAL.rank(result.next_level)


@given(cadres())
def test_the_missing_skills_are_the_cheapest_way_up(mastered) -> None:
    result = determine_level(NATIONAL, mastered)
    if result.next_level is None:
        return
    rule = NATIONAL.level(result.next_level).rule
    gaps = {p.code: len(set(p.skill_codes) - mastered) for p in NATIONAL.packages}
    cheapest = min(
        sum(gaps[code] for code in chosen)
        for n in range(len(gaps) + 1)
        for chosen in combinations(gaps, n)
        if rule.is_met(frozenset(chosen))
    )
    assert len(result.missing) == cheapest


@given(st.lists(cadres(), max_size=40))
def test_bulk_grading_agrees_with_determine_level(many) -> None:
    expected = [determine_level(NATIONAL, skills).level for skills in many]
    assert grade_many(NATIONAL, many) == expected
    assert grade_masks(NATIONAL, [NATIONAL.mask(skills) for skills in many]) == expected


@given(st.data())
def test_bulk_grading_agrees_for_one_and_three_table_chunks(data) -> None:
    assert [len(f.table.chunks) for f in (ONE_CHUNK, NATIONAL, THREE_CHUNKS)] == [1, 2, 3]
    for framework in (ONE_CHUNK, THREE_CHUNKS):
        many = data.draw(st.lists(cadres(framework), max_size=20))
        expected = [determine_level(framework, skills).level for skills in many]
        assert grade_many(framework, many) == expected


@given(cadres())
def test_a_mask_round_trips(mastered) -> None:
    assert set(NATIONAL.skill_codes(NATIONAL.mask(mastered))) == mastered


@settings(max_examples=200)
@given(st.sampled_from(NATIONAL.skills), st.data())
def test_competence_follows_the_rule_exactly(skill, data) -> None:
    scale = NATIONAL.scale.values
    scores = {i.code: data.draw(st.sampled_from(scale), label=i.code) for i in skill.indicators}
    result = grade_skill(NATIONAL, skill.code, scores)
    top = NATIONAL.scale.max
    earned = sum(i.points * scores[i.code] for i in skill.indicators)
    enough = earned * 100 >= skill.pass_rule.min_percent * skill.max_points * top
    critical_met = all(scores[i.code] == top for i in skill.indicators if i.critical)
    assert result.competent == (enough and critical_met)
    assert (result.percent_floor >= result.required_percent) == enough
    assert result.percent_floor == (100 * earned) // (skill.max_points * top)
