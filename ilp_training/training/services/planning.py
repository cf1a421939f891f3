"""Planning help: who needs which training next, and the planned events to fill.

The rule (:func:`next_package`, :func:`planning_groups`): each active cadre of the
puskesmas needs the package that the engine's explanation of their next level names
first: the first of ``required_gaps`` (a required package still missing, such as A or B),
else the first of ``options`` (the other package with the fewest skills to go, ties in
framework order). Cadres at the top level need nothing. A cadre who already completed a
training covering a skill of that package waits for an assessment rather than another
training; one enrolled in a planned or running event covering it is already on the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from assessments import Framework, determine_level
from ilp_training.core.extensions import db
from ilp_training.models import (
    Cadre,
    CadreSkill,
    CadreStatus,
    Outcome,
    Posyandu,
    TrainingEvent,
    TrainingSkill,
    TrainingStatus,
    User,
)
from ilp_training.scope import scoped
from ilp_training.training.permissions import manageable_clause
from ilp_training.training.services.reports import TE, TP


@dataclass(frozen=True)
class PlanCadre:
    id: int
    name: str
    posyandu: str
    level_code: str | None


@dataclass(frozen=True)
class PlanGroup:
    """The cadres whose next package is ``package``: to train (``cadres``), already
    trained and waiting for an assessment (``trained``), already enrolled (``enrolled``)."""

    package: str
    name: str
    skills: tuple[str, ...]
    cadres: tuple[PlanCadre, ...]
    trained: tuple[PlanCadre, ...]
    enrolled: tuple[PlanCadre, ...]


def next_package(framework: Framework, mastered: set[str]) -> str | None:
    """The package a cadre needs next: the engine's next level, then the first of its
    ``required_gaps`` (a required package still missing), else the first of ``options``
    (the cheapest other package, ties in framework order); ``None`` at the top level."""
    result = determine_level(framework, [c for c in mastered if framework.has_skill(c)])
    if result.next_level is None:
        return None
    gaps = result.required_gaps or result.options
    return gaps[0].package if gaps else None


def _pairs(stmt: sa.Select[int, str]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for cadre_id, code in db.session.execute(stmt):
        found.setdefault(cadre_id, set()).add(code)
    return found


def planning_groups(puskesmas_id: int, framework: Framework, locale: str) -> list[PlanGroup]:
    """Active cadres of the puskesmas grouped by :func:`next_package`, in package order.

    A cadre who already completed a training covering a skill of that package is
    listed as trained (to be assessed, not trained again); one enrolled in a planned or
    running event covering it, as enrolled. Four queries.
    """
    cadres = db.session.execute(
        sa.select(Cadre.id, Cadre.full_name, Posyandu.name, Cadre.level_code)
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(Posyandu.puskesmas_id == puskesmas_id, Cadre.status == CadreStatus.ACTIVE)
        .order_by(Posyandu.name, Cadre.full_name)).all()
    ids = sa.select(Cadre.id).join(Posyandu, Posyandu.id == Cadre.posyandu_id).where(
        Posyandu.puskesmas_id == puskesmas_id, Cadre.status == CadreStatus.ACTIVE)
    mastered = _pairs(sa.select(CadreSkill.cadre_id, CadreSkill.skill_code)
                      .where(CadreSkill.cadre_id.in_(ids)))
    covered = (sa.select(TP.cadre_id, TrainingSkill.skill_code)
               .join(TrainingSkill, TrainingSkill.event_id == TP.event_id)
               .where(TP.cadre_id.in_(ids)))
    trained = _pairs(covered.where(TP.outcome == Outcome.COMPLETED))
    enrolled = _pairs(covered.join(TE, TE.id == TP.event_id).where(
        TE.status.in_([TrainingStatus.PLANNED, TrainingStatus.RUNNING])))
    buckets: dict[str, tuple[list[PlanCadre], list[PlanCadre], list[PlanCadre]]] = {
        p.code: ([], [], []) for p in framework.packages}
    needs: dict[frozenset[str], str | None] = {}  # cadres often share the same badges
    for cadre_id, name, posyandu, level in cadres:
        badges = frozenset(mastered.get(cadre_id, ()))
        if badges not in needs:
            needs[badges] = next_package(framework, set(badges))
        package = needs[badges]
        if package is None:
            continue
        codes = set(framework.package(package).skill_codes)
        row = PlanCadre(cadre_id, name, posyandu, level)
        slot = (1 if trained.get(cadre_id, set()) & codes
                else 2 if enrolled.get(cadre_id, set()) & codes else 0)
        buckets[package][slot].append(row)
    return [PlanGroup(p.code, p.name.get(locale), p.skill_codes, *map(tuple, buckets[p.code]))
            for p in framework.packages if any(buckets[p.code])]


@dataclass(frozen=True)
class OpenEvent:
    id: int
    title: str
    start_date: date
    places_left: int
    skill_codes: frozenset[str] = frozenset()

    def covers(self, skill_codes: tuple[str, ...]) -> bool:
        """Whether the event teaches a skill of ``skill_codes`` (e.g. of one package)."""
        return bool(self.skill_codes & set(skill_codes))


def events_for_group(events: list[OpenEvent], group: PlanGroup) -> list[OpenEvent]:
    """The planned events to offer a group: those covering its package first (by date),
    then the others."""
    return sorted(events, key=lambda e: not e.covers(group.skills))


def planned_events_for(user: User, puskesmas_id: int) -> list[OpenEvent]:
    """Planned events the user may fill with cadres of this puskesmas: the puskesmas's
    own and district-wide ones that the user manages (``permissions.manageable_clause``:
    so district-wide ones for admins only); with the places left and the skills they
    cover (two queries)."""
    taken = sa.select(sa.func.count(TP.id)).where(TP.event_id == TE.id).scalar_subquery()
    place = sa.or_(TE.puskesmas_id == puskesmas_id, TE.puskesmas_id.is_(None))
    stmt = (scoped(TrainingEvent, user)
            .where(TE.status == TrainingStatus.PLANNED, place, manageable_clause(user))
            .with_only_columns(TE.id, TE.title, TE.start_date, TE.capacity - taken)
            .order_by(TE.start_date, TE.id))
    rows = db.session.execute(stmt).all()
    skills = _pairs(sa.select(TrainingSkill.event_id, TrainingSkill.skill_code)
                    .where(TrainingSkill.event_id.in_([row[0] for row in rows])))
    return [OpenEvent(*row, skill_codes=frozenset(skills.get(row[0], ()))) for row in rows]
