"""Read-side queries of one training event, as plain data: the events list, an event's
participants with their days present, who is due for an assessment, and the search for
cadres to add. The history pages are :mod:`.training_history`, the planning list
:mod:`.training_planning`.

Each function is one query (counts are correlated subqueries or ``group_by``), so a page
does not issue more queries when an event has more participants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from assessments import Framework
from ilp_training.core.extensions import db
from ilp_training.models import (
    Cadre,
    CadreSkill,
    CadreStatus,
    Outcome,
    OutcomeReason,
    Posyandu,
    Puskesmas,
    Region,
    TrainingAttendance,
    TrainingEvent,
    TrainingParticipant,
    TrainingSkill,
    TrainingStatus,
    User,
)
from ilp_training.scope import scoped
from ilp_training.training.services.participation import area_clause

TP, TE = TrainingParticipant, TrainingEvent


def count_where(*conditions: Any) -> sa.ColumnElement[int]:
    """``COUNT`` of participants meeting ``conditions`` (in an aggregate query)."""
    return sa.func.count(sa.case((sa.and_(*conditions), TP.id)))


def event_list(user: User, status: str | None = None) -> sa.Select[Any]:
    """Events the user may see, newest first, with puskesmas name, participant and
    completed counts (correlated counts: one query per page)."""
    participants = sa.select(sa.func.count(TP.id)).where(TP.event_id == TE.id).scalar_subquery()
    completed = (sa.select(sa.func.count(TP.id))
                 .where(TP.event_id == TE.id, TP.outcome == Outcome.COMPLETED).scalar_subquery())
    stmt = (scoped(TrainingEvent, user)
            .outerjoin(Puskesmas, Puskesmas.id == TE.puskesmas_id)
            .add_columns(Puskesmas.name.label("puskesmas_name"),
                         participants.label("participants"), completed.label("completed"))
            .order_by(TE.start_date.desc(), TE.id.desc()))
    if status in {s.value for s in TrainingStatus}:
        stmt = stmt.where(TE.status == TrainingStatus(status))
    return stmt


@dataclass(frozen=True)
class ParticipantRow:
    id: int
    cadre_id: int
    name: str
    posyandu: str
    days_present: int
    pre: int | None
    post: int | None
    outcome: Outcome | None
    reason: OutcomeReason | None

    @property
    def gain(self) -> int | None:
        """Post-test minus pre-test score, when both were taken."""
        return None if self.pre is None or self.post is None else self.post - self.pre


def days_present_column() -> sa.ScalarSelect[int]:
    """Days present of the participant row in the enclosing query (correlated)."""
    return (sa.select(sa.func.count(TrainingAttendance.id))
            .where(TrainingAttendance.participant_id == TP.id).scalar_subquery())


def _visible_cadres(user: User) -> sa.Select[Any]:
    return scoped(Cadre, user).with_only_columns(Cadre.id)


def participant_rows(event: TrainingEvent, user: User | None = None) -> list[ParticipantRow]:
    """The event's participants by posyandu (at enrolment) and name, with days present
    (one query). With ``user``, only the cadres in that user's scope."""
    stmt = (sa.select(TP.id, TP.cadre_id, Cadre.full_name, Posyandu.name, days_present_column(),
                      TP.pre_score, TP.post_score, TP.outcome, TP.outcome_reason)
            .join(Cadre, Cadre.id == TP.cadre_id)
            .join(Posyandu, Posyandu.id == TP.posyandu_id)
            .where(TP.event_id == event.id)
            .order_by(Posyandu.name, Cadre.full_name, TP.id))
    if user is not None:
        stmt = stmt.where(TP.cadre_id.in_(_visible_cadres(user)))
    return [ParticipantRow(*row) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class DueRow:
    cadre_id: int
    name: str
    posyandu_id: int
    posyandu: str
    mastered: int  # of the event's skills


def due_for_assessment(event: TrainingEvent, user: User | None = None) -> list[DueRow]:
    """Participants who completed the event, are active, and have not yet mastered every
    skill it covers (``CadreSkill``); their current posyandu is where to assess them."""
    codes = event.skill_codes
    taking_part = sa.select(TP.cadre_id).where(TP.event_id == event.id)
    mastered = (sa.select(CadreSkill.cadre_id, sa.func.count().label("n"))
                .where(CadreSkill.skill_code.in_(codes), CadreSkill.cadre_id.in_(taking_part))
                .group_by(CadreSkill.cadre_id).subquery())
    count = sa.func.coalesce(mastered.c.n, 0)
    stmt = (sa.select(Cadre.id, Cadre.full_name, Posyandu.id, Posyandu.name, count)
            .select_from(TP).join(Cadre, Cadre.id == TP.cadre_id)
            .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
            .outerjoin(mastered, mastered.c.cadre_id == Cadre.id)
            .where(TP.event_id == event.id, TP.outcome == Outcome.COMPLETED,
                   Cadre.status == CadreStatus.ACTIVE, count < len(codes))
            .order_by(Posyandu.name, Cadre.full_name))
    if user is not None:
        stmt = stmt.where(Cadre.id.in_(_visible_cadres(user)))
    return [DueRow(*row) for row in db.session.execute(stmt)]


def assessable_posyandu(user: User, due: list[DueRow]) -> set[int]:
    """The posyandu of ``due`` where ``user`` may start an assessment: those in their
    scope (a facilitator of a district-wide event sees participants from elsewhere)."""
    ids = {row.posyandu_id for row in due}
    if not ids:
        return set()
    return set(db.session.scalars(scoped(Posyandu, user).where(Posyandu.id.in_(ids))
                                  .with_only_columns(Posyandu.id)))


def attendance_by_participant(event: TrainingEvent) -> dict[int, set[date]]:
    """Participant id → the days they were recorded present (one query); empty while no
    attendance is recorded."""
    found: dict[int, set[date]] = {}
    for participant_id, day in db.session.execute(
            sa.select(TrainingAttendance.participant_id, TrainingAttendance.day).join(TP)
            .where(TP.event_id == event.id)):
        found.setdefault(participant_id, set()).add(day)
    return found


def present_on(event: TrainingEvent, day: date) -> list[int]:
    """Ids of the participants recorded present on ``day``."""
    return list(db.session.scalars(
        sa.select(TrainingAttendance.participant_id).join(TP)
        .where(TP.event_id == event.id, TrainingAttendance.day == day)))


def area_posyandu(event: TrainingEvent) -> list[tuple[int, str]]:
    """(id, "Posyandu (Village)") of the posyandu whose cadres may take part."""
    rows = db.session.execute(
        sa.select(Posyandu.id, Posyandu.name, Region.name)
        .join(Region, Region.id == Posyandu.village_id).where(area_clause(event))
        .order_by(Posyandu.name, Region.name)).all()
    return [(pid, f"{name} ({village})") for pid, name, village in rows]


@dataclass(frozen=True)
class CandidateFilters:
    """The search of the add-participants page."""

    q: str = ""
    posyandu_id: int | None = None
    level: str = ""  # "" any, "none" no level yet, else a level code
    untrained: str = ""  # a package code: not yet trained in it


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    posyandu: str
    level_code: str | None


def candidates(event: TrainingEvent, filters: CandidateFilters, framework: Framework,
               limit: int = 100) -> tuple[list[Candidate], bool]:
    """Active cadres of the event's area not yet taking part, matching ``filters``;
    at most ``limit`` (and whether there were more). "Not yet trained in package X":
    no completed training covering a skill of X. One query."""
    stmt = (sa.select(Cadre.id, Cadre.full_name, Posyandu.name, Cadre.level_code)
            .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
            .where(area_clause(event), Cadre.status == CadreStatus.ACTIVE,
                   Cadre.id.not_in(sa.select(TP.cadre_id).where(TP.event_id == event.id)))
            .order_by(Posyandu.name, Cadre.full_name, Cadre.id))
    if filters.q:
        stmt = stmt.where(Cadre.full_name.ilike(f"%{filters.q}%"))
    if filters.posyandu_id:
        stmt = stmt.where(Cadre.posyandu_id == filters.posyandu_id)
    if filters.level == "none":
        stmt = stmt.where(Cadre.level_code.is_(None))
    elif filters.level:
        stmt = stmt.where(Cadre.level_code == filters.level)
    if filters.untrained:
        codes = framework.package(filters.untrained).skill_codes
        trained = (sa.select(TP.cadre_id)
                   .join(TrainingSkill, TrainingSkill.event_id == TP.event_id)
                   .where(TP.outcome == Outcome.COMPLETED, TrainingSkill.skill_code.in_(codes)))
        stmt = stmt.where(Cadre.id.not_in(trained))
    rows = db.session.execute(stmt.limit(limit + 1)).all()
    return [Candidate(*row) for row in rows[:limit]], len(rows) > limit
