"""Re-grading under another framework version is an explicit call, never silent.

Every result carries the framework id and version it was graded under. A stored result
stays as it was when a new version comes into force; to apply the new version, call
:func:`regrade` and store its ``after`` as a new result, keeping the old one.
Indicator scores are not carried across versions: the rubric may have changed, so a
skill is re-graded with :func:`~assessments.grading.grade_skill` on scores given under
the new rubric (``grade_skill`` refuses old indicator codes it does not know).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .levels import LevelResult, determine_level
from .model import Framework


@dataclass(frozen=True, slots=True)
class Regrade:
    """A level before and after re-grading, and the skills the new version no longer has."""

    before: LevelResult
    after: LevelResult
    dropped_skills: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Whether the level differs between the two versions."""
        return self.before.level != self.after.level


def regrade(
    framework: Framework, previous: LevelResult, mastered_skills: Iterable[str]
) -> Regrade:
    """Grade ``mastered_skills`` again under ``framework`` and pair it with ``previous``.

    Rule: mastered skill codes that ``framework`` does not define are dropped (listed in
    ``dropped_skills``, sorted), never mapped by guesswork; the rest are graded with
    :func:`~assessments.levels.determine_level`.
    """
    codes = set(mastered_skills)
    dropped = tuple(sorted(code for code in codes if not framework.has_skill(code)))
    kept = codes.difference(dropped)
    return Regrade(previous, determine_level(framework, kept), dropped)
