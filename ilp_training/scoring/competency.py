"""The competency picture of one cadre, as plain data for the profile page: badges per
package, level and its history, every assessment, and what to master next."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from assessments import Framework, LevelResult, determine_level
from ilp_training.core.extensions import db
from ilp_training.models import (
    Assessment,
    Cadre,
    CadreSkill,
    LevelChange,
)


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


def levels_in_force(
    cadre_ids: Iterable[int], first_day: date, last_day: date,
) -> dict[int, list[tuple[date, str | None]]]:
    """The level in force on each day from ``first_day`` to ``last_day``, per cadre, read
    from the level history (``level_changes``, the replay of the assessments that count:
    :func:`services.assessments.refresh_cadre`), in one query.

    Each cadre maps to spans ``[(from_day, level_code), …]`` in date order: the first
    starts on ``first_day`` with the level in force that day (``None``: no level yet),
    each later one on the day of a change within the period and runs until the next span
    (or through ``last_day``). A change takes effect on its own day. Cadres without any
    history at all are left out: on a database from before the replay rule (until
    ``flask assessments replay-levels``) their stored level is all that is known, and
    callers fall back on it.
    """
    ids = sorted(set(cadre_ids))
    spans: dict[int, list[tuple[date, str | None]]] = {}
    rows = db.session.execute(
        sa.select(LevelChange.cadre_id, LevelChange.changed_on, LevelChange.level_code)
        .where(LevelChange.cadre_id.in_(ids))
        .order_by(LevelChange.cadre_id, LevelChange.changed_on, LevelChange.id))
    for cadre_id, day, level in rows:
        cadre_spans = spans.setdefault(cadre_id, [(first_day, None)])
        if day > last_day:  # a later change: the cadre has a history, no step here
            continue
        start = max(day, first_day)
        if cadre_spans[-1][0] == start:
            cadre_spans[-1] = (start, level)
        else:
            cadre_spans.append((start, level))
    return spans
