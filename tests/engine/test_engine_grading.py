"""grade_skill: the pass rule, critical indicators, exact arithmetic and refused evidence."""

from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from assessments import (
    Framework,
    GradingError,
    Indicator,
    Level,
    LevelRule,
    Package,
    PassRule,
    Scale,
    ScaleOption,
    Skill,
    Text,
    grade_skill,
    load_framework,
)

ROOT = Path(__file__).resolve().parents[2]
MINI = load_framework(ROOT / "tests" / "fixtures" / "curricula" / "mini.yaml")
NATIONAL = load_framework(ROOT / "curricula" / "ilp-national-2024.yaml")

# mini: A1 = A1.1 (3 points, critical), A1.2 (1), A1.3 (1); pass at 80 %, criticals required.
#       A2 = A2.1 (1, critical), A2.2 (1); pass at 50 %, criticals NOT required.
#       D1 = three 1-point indicators, D1.1 critical. Scale 0-2, "met" = 2.


@pytest.mark.parametrize(
    ("skill", "scores", "competent", "points", "percent", "unmet"),
    [
        ("A1", (2, 2, 2), True, 5, 100, ()),
        ("A1", (2, 2, 0), True, 4, 80, ()),  # exactly the pass mark
        ("A1", (2, 1, 1), True, 4, 80, ()),  # partial scores count half
        ("A1", (2, 1, 0), False, Fraction(7, 2), 70, ()),
        ("A1", (1, 2, 2), False, Fraction(7, 2), 70, ("A1.1",)),
        ("A1", (0, 2, 2), False, 2, 40, ("A1.1",)),
        ("A1", (0, 0, 0), False, 0, 0, ("A1.1",)),
        ("A2", (0, 2), True, 1, 50, ("A2.1",)),  # critical listed, but not required here
        ("A2", (1, 1), True, 1, 50, ("A2.1",)),
        ("A2", (1, 0), False, Fraction(1, 2), 25, ("A2.1",)),
        ("B1", (1,), False, Fraction(1, 2), 50, ("B1.1",)),
        ("B1", (2,), True, 1, 100, ()),
        ("D1", (2, 2, 1), True, Fraction(5, 2), Fraction(250, 3), ()),
        ("D1", (2, 1, 1), False, 2, Fraction(200, 3), ()),
    ],
)
def test_grade_skill_applies_the_pass_rule(skill, scores, competent, points, percent, unmet):
    indicators = [i.code for i in MINI.skill(skill).indicators]
    result = grade_skill(MINI, skill, dict(zip(indicators, scores, strict=True)))
    assert (result.competent, result.points, result.percent, result.unmet_critical) == (
        competent, points, percent, unmet,
    )
    assert result.max_points == MINI.skill(skill).max_points
    assert (result.framework_id, result.framework_version) == ("mini", "1.0")


def rubric(*points: int, min_percent: int = 80) -> Framework:
    """A one-skill framework (scale 0-2) with these indicator points; X1.1 is critical."""
    indicators = tuple(
        Indicator(f"X1.{n}", Text("t", "t"), p, critical=n == 1) for n, p in enumerate(points, 1)
    )
    skill = Skill("X1", "X", Text("x", "x"), indicators, PassRule(min_percent))
    scale = Scale(tuple(ScaleOption(v, Text(str(v), str(v))) for v in range(3)))
    level = Level("one", Text("Satu", "One"), "#000000", Text("Hitam", "Black"),
                  LevelRule(("X",)))
    return Framework("test", "1", date(2025, 1, 1), Text("T", "T"), Text("T", "T"), scale,
                     PassRule(min_percent), (Package("X", Text("X", "X"), (skill,)),), (level,))


@pytest.mark.parametrize(
    ("points", "scores", "percent", "shown", "competent"),
    [
        ((159, 41), (2, 0), Fraction(159, 2), 79, False),  # 79.5 %: shown 79, not 80
        ((160, 40), (2, 0), 80, 80, True),
        ((2, 1), (2, 1), Fraction(250, 3), 83, True),  # 83.33… %
        ((1, 1, 1), (2, 2, 1), Fraction(250, 3), 83, True),
        ((3, 3, 1), (2, 2, 0), Fraction(600, 7), 85, True),  # 85.71… % is not rounded up
    ],
)
def test_percent_is_exact_and_displayed_rounded_down(points, scores, percent, shown, competent):
    framework = rubric(*points)
    codes = [i.code for i in framework.skill("X1").indicators]
    result = grade_skill(framework, "X1", dict(zip(codes, scores, strict=True)))
    assert result.percent == percent
    assert result.percent_floor == shown
    assert result.competent is competent
    assert result.enough_points is competent


def test_a_skill_can_override_the_pass_mark() -> None:
    assert MINI.skill("A2").pass_rule == PassRule(50, all_critical=False)
    strict = rubric(1, 1, min_percent=100)
    assert not grade_skill(strict, "X1", {"X1.1": 2, "X1.2": 1}).competent
    assert grade_skill(strict, "X1", {"X1.1": 2, "X1.2": 2}).competent


FULL = {"A1.1": 2, "A1.2": 2, "A1.3": 2}


@pytest.mark.parametrize(
    ("skill", "scores", "message"),
    [
        ("Z9", FULL, "unknown skill 'Z9' in mini 1.0"),
        ("A1", FULL | {"A1.9": 2}, "A1 (mini 1.0): unknown indicator A1.9"),
        ("A1", FULL | {"B1.1": 2}, "unknown indicator B1.1"),
        ("A1", {"A1.1": 2, "A1.2": 2}, "no score for A1.3"),
        ("A1", {}, "no score for A1.1, A1.2, A1.3"),
        ("A1", FULL | {"A1.2": 3}, "A1.2 scored 3, the scale allows 0, 1, 2"),
        ("A1", FULL | {"A1.2": -1}, "A1.2 scored -1"),
        ("A1", FULL | {"A1.2": True}, "A1.2 scored True"),
        ("A1", FULL | {"A1.2": 1.0}, "A1.2 scored 1.0"),
        ("A1", FULL | {"A1.2": "2"}, "A1.2 scored '2'"),
        ("A1", FULL | {"A1.2": None}, "A1.2 scored None"),
    ],
)
def test_evidence_that_does_not_fit_is_refused(skill, scores, message) -> None:
    with pytest.raises(GradingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        grade_skill(MINI, skill, scores)


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(GradingError) as caught:
        grade_skill(MINI, "A1", {"A1.1": 5, "A1.9": 1})
    assert str(caught.value) == (
        "A1 (mini 1.0): unknown indicator A1.9; no score for A1.2, A1.3; "
        "A1.1 scored 5, the scale allows 0, 1, 2"
    )
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("skill", [s.code for s in NATIONAL.skills])
def test_every_national_skill_grades_top_and_bottom(skill) -> None:
    codes = [i.code for i in NATIONAL.skill(skill).indicators]
    top = grade_skill(NATIONAL, skill, dict.fromkeys(codes, 2))
    bottom = grade_skill(NATIONAL, skill, dict.fromkeys(codes, 0))
    assert (top.competent, top.percent, top.unmet_critical) == (True, 100, ())
    assert (bottom.competent, bottom.percent) == (False, 0)
    assert bottom.unmet_critical == tuple(
        i.code for i in NATIONAL.skill(skill).indicators if i.critical
    )
    assert top.framework_version == "2024.1"


def test_one_unmet_critical_indicator_blocks_a_national_skill() -> None:
    scores = {"B3.1": 2, "B3.2": 1, "B3.3": 2, "B3.4": 2, "B3.5": 2}  # 90 % of the points
    result = grade_skill(NATIONAL, "B3", scores)
    assert (result.percent, result.competent, result.unmet_critical) == (90, False, ("B3.2",))


def test_results_are_frozen() -> None:
    result = grade_skill(MINI, "B1", {"B1.1": 2})
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.competent = False  # type: ignore[misc]
