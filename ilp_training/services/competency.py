"""The competency picture of one cadre, as plain data for the profile page: badges per
package, level and its history, every assessment, and what to master next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from assessments import Framework, LevelResult, determine_level

from ..extensions import db
from ..models import Assessment, Cadre, CadreSkill, LevelChange


@dataclass(frozen=True)
class Badge:
    code: str
    name: str
    mastered_on: date | None


@dataclass(frozen=True)
class PackageBadges:
    code: str
    name: str
    badges: tuple[Badge, ...]

    @property
    def mastered(self) -> bool:
        return all(b.mastered_on is not None for b in self.badges)


@dataclass(frozen=True)
class Gap:
    """A package and the skills (code, name) it still lacks."""

    package: str
    package_name: str
    skills: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Profile:
    packages: tuple[PackageBadges, ...]
    result: LevelResult
    next_level_name: str | None
    required_gaps: tuple[Gap, ...]
    choose: int
    options: tuple[Gap, ...]
    history: tuple[LevelChange, ...]
    assessments: tuple[tuple[Assessment, bool], ...]  # (assessment, superseded)


def _gap(framework: Framework, package: str, skills: tuple[str, ...], locale: str) -> Gap:
    return Gap(package, framework.package(package).name.get(locale),
               tuple((code, framework.skill(code).name.get(locale)) for code in skills))


def competency_profile(cadre: Cadre, framework: Framework, locale: str) -> Profile:
    """Badges, level, history and the way to the next level of ``cadre`` (3 queries).

    The level explanation comes from the engine; when several packages would do for the
    next level, they are listed cheapest first (fewest missing skills).
    """
    mastered = {s.skill_code: s.mastered_on for s in db.session.scalars(
        sa.select(CadreSkill).where(CadreSkill.cadre_id == cadre.id))}
    packages = tuple(
        PackageBadges(p.code, p.name.get(locale), tuple(
            Badge(s.code, s.name.get(locale), mastered.get(s.code)) for s in p.skills))
        for p in framework.packages
    )
    result = determine_level(framework, [c for c in mastered if framework.has_skill(c)])
    history = tuple(db.session.scalars(
        sa.select(LevelChange).where(LevelChange.cadre_id == cadre.id)
        .order_by(LevelChange.changed_on.desc(), LevelChange.id.desc())))
    rows = db.session.scalars(
        sa.select(Assessment).where(Assessment.cadre_id == cadre.id)
        .options(selectinload(Assessment.assessor))
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc()))
    items = list(rows)
    superseded = {a.supersedes_id for a in items if a.supersedes_id}
    return Profile(
        packages=packages,
        result=result,
        next_level_name=(framework.level(result.next_level).name.get(locale)
                         if result.next_level else None),
        required_gaps=tuple(_gap(framework, g.package, g.skills, locale)
                            for g in result.required_gaps),
        choose=result.choose,
        options=tuple(_gap(framework, g.package, g.skills, locale) for g in result.options),
        history=history,
        assessments=tuple((a, a.id in superseded) for a in items),
    )
