"""Training history as plain data: a cadre's trainings, a posyandu's trainings and its
package progress (trained, assessed, mastered), the district's trainings per month and
the pre/post-test gain per event.

Every aggregate is computed in SQL (``group_by``) in a fixed number of queries, however
many events and participants there are. Skill → package is a ``CASE`` built from the
curriculum, applied inside a subquery so that PostgreSQL groups by a plain column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from assessments import Framework
from ilp_training.core.dates import add_months
from ilp_training.core.extensions import db
from ilp_training.models import (
    Assessment,
    Cadre,
    CadreSkill,
    CadreStatus,
    Outcome,
    OutcomeReason,
    Puskesmas,
    TrainingEvent,
    TrainingSkill,
    TrainingStatus,
    TrainingType,
    User,
)
from ilp_training.scope import scoped
from ilp_training.training.permissions import may_choose_puskesmas
from ilp_training.training.services.reports import (
    TE,
    TP,
    count_where,
    days_present_column,
)


@dataclass(frozen=True)
class HistoryRow:
    event_id: int
    title: str
    type: TrainingType
    start_date: date
    end_date: date
    status: TrainingStatus
    pre: int | None
    post: int | None
    outcome: Outcome | None
    reason: OutcomeReason | None
    days_present: int
    visible: bool  # whether the viewer may open the event

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


def cadre_trainings(cadre_id: int, user: User) -> list[HistoryRow]:
    """Every training the cadre took part in, newest first, with days present and test
    scores (one query)."""
    present = days_present_column()
    visible = TE.id.in_(scoped(TrainingEvent, user).with_only_columns(TE.id))
    stmt = (sa.select(TE.id, TE.title, TE.type, TE.start_date, TE.end_date, TE.status,
                      TP.pre_score, TP.post_score, TP.outcome, TP.outcome_reason, present,
                      visible)
            .join(TP, TP.event_id == TE.id).where(TP.cadre_id == cadre_id)
            .order_by(TE.start_date.desc(), TE.id.desc()))
    # visible is a boolean column; tuple(): mypy cannot spread a Row this wide as arguments
    return [HistoryRow(*tuple(row)) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class PosyanduEventRow:
    event_id: int
    title: str
    type: TrainingType
    start_date: date
    end_date: date
    status: TrainingStatus
    participants: int
    completed: int


def posyandu_trainings(posyandu_id: int) -> sa.Select[
        int, str, TrainingType, date, date, TrainingStatus, int, int]:
    """The trainings cadres of this posyandu (where they served on enrolment) took part
    in, newest first, with how many took part and completed: one query, to page through
    and read with :func:`posyandu_event_rows`."""
    columns = (TE.id, TE.title, TE.type, TE.start_date, TE.end_date, TE.status)
    return (sa.select(*columns, sa.func.count(TP.id), count_where(TP.outcome == Outcome.COMPLETED))
            .join(TP, TP.event_id == TE.id).where(TP.posyandu_id == posyandu_id)
            .group_by(*columns).order_by(TE.start_date.desc(), TE.id.desc()))


def posyandu_event_rows(rows: Iterable[Sequence[Any]]) -> list[PosyanduEventRow]:
    """The rows of :func:`posyandu_trainings` as plain data."""
    return [PosyanduEventRow(*row) for row in rows]


def _package_of(framework: Framework, column: Any) -> sa.ColumnElement[str]:
    return sa.case({s.code: s.package for s in framework.skills}, value=column, else_=None)


def _per_package(pairs: sa.Select[int, str]) -> dict[str, int]:
    """Count distinct cadres per package from a ``(cadre_id, package)`` select."""
    inner = pairs.distinct().subquery()
    return dict(db.session.execute(
        sa.select(inner.c.package, sa.func.count()).where(inner.c.package.is_not(None))
        .group_by(inner.c.package)).all())


@dataclass(frozen=True)
class PackageProgress:
    code: str
    name: str
    trained: int
    assessed: int
    mastered: int


def package_progress(posyandu_id: int, framework: Framework,
                     locale: str) -> tuple[int, list[PackageProgress]]:
    """Of the posyandu's active cadres, per package: how many were *trained* (completed a
    training covering a skill of it), *assessed* (any assessment of one of its skills)
    and *mastered* it (every skill in ``CadreSkill``). Returns (active cadres, rows);
    four queries."""
    active = sa.select(Cadre.id).where(Cadre.posyandu_id == posyandu_id,
                                       Cadre.status == CadreStatus.ACTIVE)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(active.subquery())) or 0
    trained = _per_package(
        sa.select(TP.cadre_id, _package_of(framework, TrainingSkill.skill_code).label("package"))
        .join(TrainingSkill, TrainingSkill.event_id == TP.event_id)
        .where(TP.cadre_id.in_(active), TP.outcome == Outcome.COMPLETED))
    assessed = _per_package(
        sa.select(Assessment.cadre_id,
                  _package_of(framework, Assessment.skill_code).label("package"))
        .where(Assessment.cadre_id.in_(active)))
    skills = (sa.select(CadreSkill.cadre_id, CadreSkill.skill_code,
                        _package_of(framework, CadreSkill.skill_code).label("package"))
              .where(CadreSkill.cadre_id.in_(active)).subquery())
    per_cadre = (sa.select(skills.c.cadre_id, skills.c.package, sa.func.count().label("n"))
                 .group_by(skills.c.cadre_id, skills.c.package).subquery())
    sizes = sa.case({p.code: len(p.skills) for p in framework.packages},
                    value=per_cadre.c.package, else_=-1)
    mastered: dict[str, int] = dict(db.session.execute(
        sa.select(per_cadre.c.package, sa.func.count()).where(per_cadre.c.n >= sizes)
        .group_by(per_cadre.c.package)).all())
    return total, [PackageProgress(p.code, p.name.get(locale), trained.get(p.code, 0),
                                   assessed.get(p.code, 0), mastered.get(p.code, 0))
                   for p in framework.packages]


def _district_events(user: User, puskesmas_id: int | None) -> sa.Select[Any]:
    """Events counted on the district page: an admin's district (optionally one
    puskesmas), a coordinator's own puskesmas; cancelled events never count."""
    stmt = scoped(TrainingEvent, user).where(TE.status != TrainingStatus.CANCELLED)
    if not may_choose_puskesmas(user):
        puskesmas_id = user.puskesmas_id
    if puskesmas_id is not None:
        stmt = stmt.where(TE.puskesmas_id == puskesmas_id)
    return stmt


@dataclass(frozen=True)
class MonthRow:
    month: date  # the first day of the month
    events: int
    participants: int
    completed: int


def trainings_per_month(user: User, first: date, months: int,
                        puskesmas_id: int | None = None) -> list[MonthRow]:
    """Events starting in each of ``months`` months from ``first`` (a first day), with
    participants and completions; months without a training are zeros (one query)."""
    last = add_months(first, months)
    events = (_district_events(user, puskesmas_id)
              .where(TE.start_date >= first, TE.start_date < last)
              .with_only_columns(TE.id, sa.extract("year", TE.start_date).label("y"),
                                 sa.extract("month", TE.start_date).label("m")).subquery())
    rows = db.session.execute(
        sa.select(events.c.y, events.c.m, sa.func.count(sa.distinct(events.c.id)),
                  sa.func.count(TP.id), count_where(TP.outcome == Outcome.COMPLETED))
        .select_from(events).outerjoin(TP, TP.event_id == events.c.id)
        .group_by(events.c.y, events.c.m)).all()
    found = {(int(y), int(m)): (n, p, c) for y, m, n, p, c in rows}
    result = []
    for i in range(months):
        month = add_months(first, i)
        result.append(MonthRow(month, *found.get((month.year, month.month), (0, 0, 0))))
    return result


@dataclass(frozen=True)
class GainRow:
    event_id: int
    title: str
    start_date: date
    status: TrainingStatus
    puskesmas: str | None
    participants: int
    completed: int
    paired: int  # participants with both a pre- and a post-test
    mean_pre: float | None
    mean_post: float | None

    @property
    def gain(self) -> float | None:
        """Mean post-test minus mean pre-test, over the same (paired) participants."""
        if self.mean_pre is None or self.mean_post is None:
            return None
        return self.mean_post - self.mean_pre


def score_gains(user: User, first: date, puskesmas_id: int | None = None) -> sa.Select[Any]:
    """Per event starting on or after ``first``, newest first: participants, completions
    and the pre/post-test means over participants who took both tests. One query, to page
    through and read with :func:`gain_rows`."""
    both = sa.and_(TP.pre_score.is_not(None), TP.post_score.is_not(None))
    events = (_district_events(user, puskesmas_id).where(TE.start_date >= first)
              .with_only_columns(TE.id, TE.title, TE.start_date, TE.status, TE.puskesmas_id)
              .subquery())
    stmt = (sa.select(events.c.id, events.c.title, events.c.start_date, events.c.status,
                      Puskesmas.name, sa.func.count(TP.id),
                      count_where(TP.outcome == Outcome.COMPLETED), count_where(both),
                      sa.func.avg(sa.case((both, TP.pre_score))),
                      sa.func.avg(sa.case((both, TP.post_score))))
            .select_from(events).outerjoin(Puskesmas, Puskesmas.id == events.c.puskesmas_id)
            .outerjoin(TP, TP.event_id == events.c.id)
            .group_by(events.c.id, events.c.title, events.c.start_date, events.c.status,
                      Puskesmas.name)
            .order_by(events.c.start_date.desc(), events.c.id.desc()))
    return stmt


def gain_rows(rows: Iterable[Sequence[Any]]) -> list[GainRow]:
    """The rows of :func:`score_gains` as plain data (means as floats)."""
    return [GainRow(*row[:8], *(None if v is None else float(v) for v in row[8:]))
            for row in rows]
