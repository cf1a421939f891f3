"""Grade one skill from its indicator scores: *kompeten* or *belum kompeten*, and why.

Arithmetic is exact (integers and :class:`~fractions.Fraction`); nothing is rounded before
the decision, and no float is compared. An indicator scored ``s`` on a scale whose top is
``max`` earns ``points × s / max``; it is *met* only when ``s == max``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from .errors import GradingError
from .model import Framework, Skill


@dataclass(frozen=True, slots=True)
class SkillResult:
    """The outcome for one skill under one framework version.

    ``points`` earned (exact, may be fractional with a partial score) out of
    ``max_points``; ``percent`` = 100 × points / max_points, exact, 0–100;
    ``required_percent`` is the skill's pass mark; ``unmet_critical`` lists the critical
    indicators not scored at the top of the scale (listed even when the skill's rule does
    not require them, which then does not block competence).
    """

    skill_code: str
    competent: bool
    points: Fraction
    max_points: int
    percent: Fraction
    required_percent: int
    unmet_critical: tuple[str, ...]
    framework_id: str
    framework_version: str

    @property
    def percent_floor(self) -> int:
        """``percent`` rounded down to a whole number, for display.

        Rounding down keeps the display honest against a whole-number pass mark: the shown
        value reaches ``required_percent`` exactly when the real value does (79.9 shows 79).
        """
        return math.floor(self.percent)

    @property
    def enough_points(self) -> bool:
        """Whether ``percent`` reaches ``required_percent`` (exact comparison)."""
        return self.percent >= self.required_percent


def grade_skill(framework: Framework, skill_code: str, scores: Mapping[str, int]) -> SkillResult:
    """Grade ``skill_code`` from ``scores`` (indicator code → score on the framework's scale).

    Rule: *kompeten* when ``percent >= pass_rule.min_percent`` and, if the rule says
    ``all_critical``, every critical indicator is met (scored at the scale's top). Every
    indicator of the skill must be scored, and only those. Raises :class:`GradingError`
    for an unknown skill, an unknown or missing indicator, or a score that is not one of
    the scale's values (``True``/``False`` and floats are refused too).
    """
    try:
        skill = framework.skill(skill_code)
    except KeyError:
        raise GradingError(
            f"unknown skill {skill_code!r} in {framework.id} {framework.version}"
        ) from None
    _check_scores(framework, skill, scores)
    top = framework.scale.max
    earned = sum(indicator.points * scores[indicator.code] for indicator in skill.indicators)
    percent = Fraction(100 * earned, top * skill.max_points)
    unmet = tuple(i.code for i in skill.indicators if i.critical and scores[i.code] != top)
    rule = skill.pass_rule
    return SkillResult(
        skill_code=skill.code,
        competent=percent >= rule.min_percent and not (rule.all_critical and unmet),
        points=Fraction(earned, top),
        max_points=skill.max_points,
        percent=percent,
        required_percent=rule.min_percent,
        unmet_critical=unmet,
        framework_id=framework.id,
        framework_version=framework.version,
    )


def _check_scores(framework: Framework, skill: Skill, scores: Mapping[str, int]) -> None:
    """Raise one GradingError that lists every problem with the scores."""
    expected = [indicator.code for indicator in skill.indicators]
    allowed = framework.scale.values
    problems = []
    unknown = [code for code in scores if code not in expected]
    if unknown:
        problems.append("unknown indicator " + ", ".join(map(str, unknown)))
    missing = [code for code in expected if code not in scores]
    if missing:
        problems.append("no score for " + ", ".join(missing))
    for code in expected:
        score = scores.get(code)
        if code in scores and (type(score) is not int or score not in allowed):
            values = ", ".join(map(str, allowed))
            problems.append(f"{code} scored {score!r}, the scale allows {values}")
    if problems:
        raise GradingError(f"{skill.code} ({framework.id} {framework.version}): "
                           + "; ".join(problems))
