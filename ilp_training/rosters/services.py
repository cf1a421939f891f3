"""Read queries for the coordinator roster, the skill-gap matrix and their exports.

The rules every function here follows:

- **Scope**: rows come only from the posyandu :func:`ilp_training.scope.posyandu_clause`
  lets the user see.
- **Stored results**: a cadre's level, badges and last assessment date are the values
  :mod:`ilp_training.scoring.services` keeps on the cadre (``level_code``,
  ``badge_count``, ``last_assessed_on``) and in ``cadre_skills``; nothing is re-graded here.
- **Active cadres only** in the level summaries and the gap matrix; the cadre list shows
  active cadres unless its status filter asks otherwise.
- **Counts in SQL**: each function runs a fixed number of queries (``GROUP BY`` and
  ``COUNT``), whatever the number of cadres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.elements import ColumnElement

from assessments import Framework
from ilp_training.core.extensions import db
from ilp_training.models import (
    Assessment,
    Cadre,
    CadreSkill,
    CadreStatus,
    Outcome,
    Posyandu,
    Puskesmas,
    Region,
    TrainingEvent,
    TrainingParticipant,
    TrainingSkill,
    User,
)
from ilp_training.rosters.permissions import may_see_district
from ilp_training.scope import posyandu_clause, puskesmas_clause

NO_LEVEL = "none"  # the level filter's value for "belum berjenjang"


class Grouping(StrEnum):
    """The rows of a summary: one per posyandu, or one per puskesmas (the district view)."""

    POSYANDU = "posyandu"
    PUSKESMAS = "puskesmas"


class Assessed(StrEnum):
    """The assessment-date filter of the cadre list."""

    ANY = ""
    STALE = "stale"  # not assessed in the last 12 months, or never
    NEVER = "never"
    TRAINED = "trained"  # trained in a skill but not assessed in it since (awaiting)


class Status(StrEnum):
    """The status filter of the cadre list (active by default)."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    ALL = "all"


def grouping_for(user: User) -> Grouping:
    """Those who see the district (:func:`.permissions.may_see_district`: admins) get
    summaries with one row per puskesmas; others one row per posyandu."""
    return Grouping.PUSKESMAS if may_see_district(user) else Grouping.POSYANDU


@dataclass(frozen=True)
class Place:
    """A row of a summary: a posyandu (``detail`` = its village) or a puskesmas
    (``detail`` = its kecamatan)."""

    id: int
    name: str
    detail: str


def _group_key(grouping: Grouping) -> InstrumentedAttribute[int]:
    return Posyandu.id if grouping == Grouping.POSYANDU else Posyandu.puskesmas_id


@dataclass(frozen=True)
class PosyanduRow:
    """A posyandu in scope with the names a page shows next to it."""

    id: int
    name: str
    village: str
    puskesmas: str
    puskesmas_id: int


def posyandu_rows(user: User) -> list[PosyanduRow]:
    """Every posyandu in the user's scope, ordered by village, then name (one query).

    A page asks once and hands the rows to :func:`places`, :func:`level_summary`,
    :func:`gap_matrix` and :func:`posyandu_choices`."""
    puskesmas = aliased(Puskesmas)
    stmt = (
        sa.select(Posyandu.id, Posyandu.name, Region.name, puskesmas.name, puskesmas.id)
        .join(Region, Region.id == Posyandu.village_id)
        .join(puskesmas, puskesmas.id == Posyandu.puskesmas_id)
        .where(posyandu_clause(user))
        .order_by(Region.name, Posyandu.name, Posyandu.id)
    )
    return [PosyanduRow(*row) for row in db.session.execute(stmt)]


def places(user: User, grouping: Grouping,
           posyandu: Sequence[PosyanduRow] | None = None) -> list[Place]:
    """The posyandu (ordered by village, then name) or the puskesmas (by name) in the
    user's scope, including those without any cadre (one query, none when the posyandu
    rows of :func:`posyandu_rows` are given for a per-posyandu grouping)."""
    if grouping == Grouping.POSYANDU:
        rows = posyandu if posyandu is not None else posyandu_rows(user)
        return [Place(r.id, r.name, r.village) for r in rows]
    stmt = (
        sa.select(Puskesmas.id, Puskesmas.name, Region.name)
        .join(Region, Region.id == Puskesmas.subdistrict_id)
        .where(puskesmas_clause(user))
        .order_by(Puskesmas.name, Puskesmas.id)
    )
    return [Place(*row) for row in db.session.execute(stmt)]


def posyandu_choices(rows: Sequence[PosyanduRow]) -> list[tuple[int, str]]:
    """``(id, label)`` of every posyandu of :func:`posyandu_rows` for the list filter,
    ordered by puskesmas and name; the label names the village, and the puskesmas when
    the scope spans several."""
    several = len({r.puskesmas for r in rows}) > 1
    ordered = sorted(rows, key=lambda r: (r.puskesmas, r.name, r.village, r.id))
    return [(r.id, f"{r.name} · {r.village}" + (f" ({r.puskesmas})" if several else ""))
            for r in ordered]


# --- level summaries ------------------------------------------------------------------


@dataclass(frozen=True)
class LevelCount:
    """How many active cadres hold one level (``code`` None: no level yet)."""

    code: str | None
    name: str
    colour: str
    count: int


@dataclass(frozen=True)
class LevelRow:
    """The level counts of one place (``place`` None: the total of the scope)."""

    place: Place | None
    counts: tuple[LevelCount, ...]  # highest level first; "no level yet" last
    awaiting: int = 0  # active cadres trained but not yet assessed (awaiting_assessment)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.counts)


NO_LEVEL_COLOUR = "#9aa5a0"


def level_counts(framework: Framework, locale: str,
                 by_code: dict[str | None, int]) -> tuple[LevelCount, ...]:
    """Levels of the framework high → low, then any stored code the framework does not
    know (an older version's level, shown by its code), then "no level yet"."""
    known = [LevelCount(lv.code, lv.name.get(locale), lv.colour, by_code.get(lv.code, 0))
             for lv in reversed(framework.levels)]
    codes = {lv.code for lv in framework.levels}
    unknown = [LevelCount(code, code, NO_LEVEL_COLOUR, n)
               for code, n in sorted(by_code.items(), key=lambda kv: str(kv[0]))
               if code is not None and code not in codes]
    return (*known, *unknown, LevelCount(None, "", NO_LEVEL_COLOUR, by_code.get(None, 0)))


def level_summary(user: User, framework: Framework, locale: str, grouping: Grouping,
                  posyandu: Sequence[PosyanduRow] | None = None,
                  ) -> tuple[list[LevelRow], LevelRow]:
    """Active cadres per level for each place in scope, with how many of them are
    *trained but not yet assessed*, and the scope total (one query, plus :func:`places`).

    Places without active cadres are listed with zero counts.
    """
    key = _group_key(grouping)
    rows = db.session.execute(
        sa.select(key, Cadre.level_code, sa.func.count(Cadre.id),
                  sa.func.count(sa.case((awaiting_assessment(), Cadre.id))))
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(posyandu_clause(user), Cadre.status == CadreStatus.ACTIVE)
        .group_by(key, Cadre.level_code)
    ).all()
    per_place: dict[int, dict[str | None, int]] = {}
    waiting: dict[int, int] = {}
    total: dict[str | None, int] = {}
    for place_id, code, count, awaiting in rows:
        per_place.setdefault(place_id, {})[code] = count
        waiting[place_id] = waiting.get(place_id, 0) + awaiting
        total[code] = total.get(code, 0) + count
    result = [LevelRow(p, level_counts(framework, locale, per_place.get(p.id, {})),
                       waiting.get(p.id, 0))
              for p in places(user, grouping, posyandu)]
    return result, LevelRow(None, level_counts(framework, locale, total),
                            sum(waiting.values()))


# --- skill-gap matrix -------------------------------------------------------------------


class GapCell(NamedTuple):
    """One skill at one place: active cadres who mastered it, of ``active``.

    ``share`` is the percentage rounded down (100 only when every active cadre has the
    badge); ``band`` 0–3 is the quarter it falls in (0: below 25 %, 3: 75 % or more);
    ``weakest`` marks the lowest share of its row (see :func:`gap_matrix`). A named
    tuple rather than a dataclass: a district matrix makes thousands of them.
    """

    skill: str
    mastered: int
    share: int
    band: int
    weakest: bool


@dataclass(frozen=True)
class GapRow:
    place: Place | None  # None: the total of the scope
    active: int
    cells: tuple[GapCell, ...]


@dataclass(frozen=True)
class PackageHead:
    code: str
    name: str
    skills: tuple[tuple[str, str], ...]  # (code, name)


@dataclass(frozen=True)
class GapMatrix:
    packages: tuple[PackageHead, ...]
    rows: tuple[GapRow, ...]
    total: GapRow


def _gap_row(place: Place | None, active: int, mastered: dict[str, int],
             skills: Sequence[str]) -> GapRow:
    counts = [mastered.get(code, 0) for code in skills]
    shares = [n * 100 // active if active else 0 for n in counts]
    lowest = min(shares) if active and shares else None
    cells = tuple(
        GapCell(code, n, share, min(share // 25, 3),
                lowest is not None and share == lowest and share < 100)
        for code, n, share in zip(skills, counts, shares, strict=True)
    )
    return GapRow(place, active, cells)


def gap_matrix(user: User, framework: Framework, locale: str, grouping: Grouping,
               posyandu: Sequence[PosyanduRow] | None = None) -> GapMatrix:
    """Per place in scope and per skill of ``framework``: how many active cadres have
    mastered the skill, and the share of the place's active cadres (one query, plus
    :func:`places`).

    The active cadres per place and the badges per place and skill come in one
    ``UNION ALL`` (the former with a NULL skill). The *weakest* cells of a row are those
    with its lowest share, all of them when tied, unless that share is 100 % or the
    place has no active cadre. Stored badges of skills the framework does not define are
    ignored.
    """
    key = _group_key(grouping)
    in_scope = (posyandu_clause(user), Cadre.status == CadreStatus.ACTIVE)
    active_rows = (
        sa.select(key.label("place"), sa.cast(sa.null(), sa.String).label("skill"),
                  sa.func.count(Cadre.id))
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(*in_scope).group_by(key)
    )
    badge_rows = (
        sa.select(key.label("place"), CadreSkill.skill_code.label("skill"), sa.func.count())
        .select_from(CadreSkill)
        .join(Cadre, Cadre.id == CadreSkill.cadre_id)
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(*in_scope).group_by(key, CadreSkill.skill_code)
    )
    active: dict[int, int] = {}
    mastered: dict[int, dict[str, int]] = {}
    for place_id, code, count in db.session.execute(sa.union_all(active_rows, badge_rows)):
        if code is None:
            active[place_id] = count
        else:
            mastered.setdefault(place_id, {})[code] = count
    skills = [s.code for s in framework.skills]
    totals = {code: sum(m.get(code, 0) for m in mastered.values()) for code in skills}
    return GapMatrix(
        packages=tuple(
            PackageHead(p.code, p.name.get(locale),
                        tuple((s.code, s.name.get(locale)) for s in p.skills))
            for p in framework.packages),
        rows=tuple(_gap_row(p, active.get(p.id, 0), mastered.get(p.id, {}), skills)
                   for p in places(user, grouping, posyandu)),
        total=_gap_row(None, sum(active.values()), totals, skills),
    )


# --- the cadre list ---------------------------------------------------------------------


@dataclass(frozen=True)
class RosterFilters:
    """The cadre list's filters; empty values filter nothing.

    ``level``: a level code, or :data:`NO_LEVEL`. ``package``: a package code; keeps the
    cadres who have *not* mastered it (at least one of its skills missing).
    """

    posyandu_id: int | None = None
    puskesmas_id: int | None = None
    level: str = ""
    package: str = ""
    assessed: Assessed = Assessed.ANY
    status: Status = Status.ACTIVE

    def query_args(self) -> dict[str, Any]:
        """The filters as URL query arguments (defaults left out)."""
        args = {"posyandu": self.posyandu_id, "puskesmas": self.puskesmas_id,
                "level": self.level, "package": self.package,
                "assessed": self.assessed.value,
                "status": "" if self.status == Status.ACTIVE else self.status.value}
        return {k: v for k, v in args.items() if v}

    @property
    def narrowed(self) -> bool:
        return bool(self.query_args())


def awaiting_assessment() -> ColumnElement[bool]:
    """A WHERE clause on :class:`Cadre`: *trained but not yet assessed*.

    True when the cadre completed a training event (outcome ``completed``: present every
    day and post-test at or above the pass mark) covering a skill, and has no assessment
    of that skill dated on or after the event's last day. Any assessment counts, whatever
    its outcome: the cadre is no longer waiting. Trainings not yet finished (no outcome)
    and not completed ones do not count.
    """
    tp, ts, te = TrainingParticipant, TrainingSkill, TrainingEvent
    assessed_since = (
        sa.select(Assessment.id)
        .where(Assessment.cadre_id == tp.cadre_id, Assessment.skill_code == ts.skill_code,
               Assessment.assessed_on >= te.end_date)
        .exists()
    )
    return (
        sa.select(tp.id)
        .join(ts, ts.event_id == tp.event_id)
        .join(te, te.id == tp.event_id)
        .where(tp.cadre_id == Cadre.id, tp.outcome == Outcome.COMPLETED, ~assessed_since)
        .exists()
    )


def year_before(today: date) -> date:
    """The same calendar day one year earlier (29 February → 28 February)."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return today.replace(year=today.year - 1, day=28)


def _missing_package(framework: Framework, code: str) -> ColumnElement[bool]:
    skills = framework.package(code).skill_codes
    have = (sa.select(sa.func.count()).select_from(CadreSkill)
            .where(CadreSkill.cadre_id == Cadre.id, CadreSkill.skill_code.in_(skills))
            .scalar_subquery())
    return have < len(skills)


def _filter_clauses(filters: RosterFilters, framework: Framework,
                    today: date) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.status != Status.ALL:
        clauses.append(Cadre.status == CadreStatus(filters.status.value))
    if filters.posyandu_id:
        clauses.append(Cadre.posyandu_id == filters.posyandu_id)
    if filters.puskesmas_id:
        clauses.append(Posyandu.puskesmas_id == filters.puskesmas_id)
    if filters.level == NO_LEVEL:
        clauses.append(Cadre.level_code.is_(None))
    elif filters.level:
        clauses.append(Cadre.level_code == filters.level)
    if filters.package:
        clauses.append(_missing_package(framework, filters.package))
    if filters.assessed == Assessed.NEVER:
        clauses.append(Cadre.last_assessed_on.is_(None))
    elif filters.assessed == Assessed.STALE:
        clauses.append(sa.or_(Cadre.last_assessed_on.is_(None),
                              Cadre.last_assessed_on < year_before(today)))
    elif filters.assessed == Assessed.TRAINED:
        clauses.append(awaiting_assessment())
    return clauses


def cadre_list(user: User, filters: RosterFilters, framework: Framework, today: date
               ) -> sa.Select[int, str, CadreStatus, str | None, int, date | None, str, str]:
    """The cadres in scope that pass ``filters``, as plain rows ordered by village,
    posyandu and name: id, full_name, status, level_code, badge_count, last_assessed_on,
    posyandu_name, village_name. No NIK, phone or birth date.

    "Not assessed for 12 months" (:attr:`Assessed.STALE`) keeps the cadres never
    assessed and those last assessed before the same day one year before ``today``;
    "trained but not yet assessed" (:attr:`Assessed.TRAINED`) is
    :func:`awaiting_assessment`.
    """
    return (
        sa.select(Cadre.id, Cadre.full_name, Cadre.status, Cadre.level_code,
                  Cadre.badge_count, Cadre.last_assessed_on,
                  Posyandu.name.label("posyandu_name"), Region.name.label("village_name"))
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .join(Region, Region.id == Posyandu.village_id)
        .where(posyandu_clause(user), *_filter_clauses(filters, framework, today))
        .order_by(Region.name, Posyandu.name, Cadre.full_name, Cadre.id)
    )


def cadre_rows(user: User, filters: RosterFilters, framework: Framework,
               today: date) -> Sequence[Any]:
    """Every row of :func:`cadre_list` (the exports: no paging)."""
    return db.session.execute(cadre_list(user, filters, framework, today)).all()
