"""Cadre activity for incentives: posyandu opening days with the cadres who served, and
home visits per cadre per month. Entered by coordinators (their puskesmas) and village
heads (their village); every change is audited.

The rules:

- A day or month cannot be in the future.
- Only cadres *serving at the posyandu* then count: an assignment there covers the day
  (opening days) or at least one day of the month (home visits), the end day excluded.
- An opening day is one row per posyandu and date; recording it again replaces the list
  of cadres who served. Home visits are a count ≥ 0 per cadre and month (at most
  :data:`MAX_VISITS`); entering a count replaces the previous one.
- **The period lock**: the activity of a month that an approved summary covers is
  locked until its village head re-opens that summary (:func:`ensure_unlocked`, the one
  place of the rule). An approved month, quarter or year locks each of its months for
  its village. A change that would touch a locked month (adding, editing, moving or
  removing an opening day of the village's posyandu; a home-visit count of a cadre who
  served in the village that month; the same through the import) is refused with
  :class:`PeriodLocked`. Re-importing rows that change nothing is not a change.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ilp_training.core import audit
from ilp_training.core.dates import add_months
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.incentives.rules import Period, PeriodKind
from ilp_training.models import (
    Cadre,
    CadreAssignment,
    HomeVisitCount,
    IncentiveSummary,
    OpeningDay,
    Posyandu,
    Region,
    SummaryStatus,
    User,
    opening_day_cadres,
)
from ilp_training.scope import scoped

MAX_VISITS = 300


@dataclass(frozen=True)
class LockedPeriod:
    """An approved summary that locks activity: its village and period."""

    village_id: int
    village_name: str
    period: Period
    month: date  # the locked month that was to change


class PeriodLocked(ServiceError):
    """A change to the activity of a month that an approved summary covers."""

    def __init__(self, locked: LockedPeriod) -> None:
        super().__init__(_l(
            "%(month)s is in the approved incentive summary of %(village)s (%(period)s): "
            "its activity cannot change until that summary is re-opened.",
            month=locked.month.strftime("%Y-%m"), village=locked.village_name,
            period=locked.period.key))
        self.locked = locked


def locked_periods(places: Iterable[tuple[int, date]], *, hold: bool = False
                   ) -> list[LockedPeriod]:
    """The approved summaries covering any ``(village id, day)`` of ``places``, one per
    place that is locked, in village and month order (one query). A summary covers its
    village's months of its period (a quarter or year: each of its months).

    ``hold``: first hold the villages' rows ``FOR SHARE`` (PostgreSQL; SQLite serialises
    writes anyway) until the change commits. An approval holds its village's row
    ``FOR NO KEY UPDATE`` (:func:`.incentives.approve_summary`), so a change of activity
    and an approval of the same village never overlap: the approval waits for the change
    and counts it, or the change waits for the approval and is then refused."""
    wanted = {(village_id, day.replace(day=1)) for village_id, day in places}
    if not wanted:
        return []
    starts = {Period.containing(kind, month).start
              for _v, month in wanted for kind in PeriodKind}
    villages = sorted({v for v, _m in wanted})
    if hold:
        db.session.execute(sa.select(Region.id).where(Region.id.in_(villages))
                           .order_by(Region.id).with_for_update(read=True))
    rows = db.session.execute(
        sa.select(IncentiveSummary.village_id, Region.name, IncentiveSummary.period_kind,
                  IncentiveSummary.period_start)
        .join(Region, Region.id == IncentiveSummary.village_id)
        .where(IncentiveSummary.status == SummaryStatus.APPROVED,
               IncentiveSummary.village_id.in_(villages),
               IncentiveSummary.period_start.in_(starts))).all()
    found = []
    for village_id, month in sorted(wanted):
        for vid, name, kind, start in rows:
            period = Period(PeriodKind(kind), start)
            if vid == village_id and period.start <= month <= period.end:
                found.append(LockedPeriod(vid, name, period, month))
                break
    return found


def ensure_unlocked(places: Iterable[tuple[int, date]]) -> None:
    """Refuse (:class:`PeriodLocked`) a change to the activity of any ``(village id,
    day)`` whose month an approved summary covers (the period lock)."""
    locked = locked_periods(places, hold=True)
    if locked:
        raise PeriodLocked(locked[0])


def villages_served(cadre_ids: Collection[int], month: date) -> set[tuple[int, date]]:
    """``(village id, month)`` for each village where one of these cadres served on some
    day of ``month``: the summaries a change of their home visits would alter."""
    if not cadre_ids:
        return set()
    last = add_months(month, 1) - timedelta(days=1)
    rows = db.session.scalars(
        sa.select(Posyandu.village_id).distinct()
        .join(CadreAssignment, CadreAssignment.posyandu_id == Posyandu.id)
        .where(CadreAssignment.cadre_id.in_(list(cadre_ids)),
               CadreAssignment.start_date <= last,
               sa.or_(CadreAssignment.end_date.is_(None), CadreAssignment.end_date > month)))
    return {(village_id, month) for village_id in rows}


def serving_cadres(posyandu_ids: Iterable[int], first: date, last: date
                   ) -> dict[int, list[tuple[Cadre, date, date | None]]]:
    """Cadres with an assignment at these posyandu touching ``first``–``last`` (inclusive),
    by posyandu id, with the assignment's ``[start, end)`` stretch, ordered by name."""
    rows = db.session.execute(
        sa.select(Cadre, CadreAssignment.posyandu_id, CadreAssignment.start_date,
                  CadreAssignment.end_date)
        .join(CadreAssignment, CadreAssignment.cadre_id == Cadre.id)
        .where(CadreAssignment.posyandu_id.in_(list(posyandu_ids)),
               CadreAssignment.start_date <= last,
               sa.or_(CadreAssignment.end_date.is_(None), CadreAssignment.end_date > first))
        .order_by(Cadre.full_name, Cadre.id, CadreAssignment.start_date)
    ).all()
    result: dict[int, list[tuple[Cadre, date, date | None]]] = {}
    for cadre, posyandu_id, start, end in rows:
        result.setdefault(posyandu_id, []).append((cadre, start, end))
    return result


def cadres_serving_on(posyandu: Posyandu, first: date, last: date) -> list[Cadre]:
    """Distinct cadres serving at ``posyandu`` on some day of ``first``–``last``."""
    seen: dict[int, Cadre] = {}
    for cadre, _start, _end in serving_cadres([posyandu.id], first, last).get(posyandu.id, []):
        seen.setdefault(cadre.id, cadre)
    return list(seen.values())


def record_opening_day(actor: User, posyandu: Posyandu, held_on: date,
                       cadre_ids: Collection[int], today: date,
                       day: OpeningDay | None = None) -> OpeningDay:
    """Record the opening day of ``posyandu`` on ``held_on`` with the cadres who served
    (each must serve at the posyandu that day). Without ``day``, a day already recorded
    on that date gets the new list; with ``day`` (an edit), that day is changed, moved
    to ``held_on`` if the date changed, and a date already taken by another day of the
    posyandu is refused."""
    if held_on > today:
        raise ServiceError(_l("The date cannot be in the future."), "held_on")
    if not cadre_ids:
        raise ServiceError(_l("Tick the cadres who served."), "cadres")
    eligible = {c.id: c for c in cadres_serving_on(posyandu, held_on, held_on)}
    if not set(cadre_ids) <= set(eligible):
        raise ServiceError(_l("Only cadres serving at this posyandu on that day can be "
                              "ticked."), "cadres")
    same_date = db.session.scalars(sa.select(OpeningDay).where(
        OpeningDay.posyandu_id == posyandu.id, OpeningDay.held_on == held_on)).first()
    if day is not None and same_date is not None and same_date.id != day.id:
        raise ServiceError(_l("This posyandu already has an opening day on that date; "
                              "change that one instead."), "held_on")
    day = day if day is not None else same_date
    before = sorted(c.id for c in day.cadres) if day is not None else None
    old_date = day.held_on.isoformat() if day is not None else None
    if before != sorted(set(cadre_ids)) or old_date != held_on.isoformat():
        ensure_unlocked({(posyandu.village_id, held_on),
                         *([(day.posyandu.village_id, day.held_on)] if day else [])})
    if day is None:
        day = OpeningDay(posyandu=posyandu, held_on=held_on, created_by=actor)
        db.session.add(day)
    day.held_on = held_on
    day.cadres = [eligible[i] for i in sorted(set(cadre_ids))]
    db.session.flush()
    after = sorted(c.id for c in day.cadres)
    if before != after or old_date != held_on.isoformat():
        changes: dict[str, list[Any]] = {"cadres": [before, after],
                                         "held_on": [old_date, held_on.isoformat()]}
        audit.record(actor, "create" if before is None else "update", "opening_day",
                     day.id, changes)
    return day


def delete_opening_day(actor: User, day: OpeningDay) -> None:
    """Remove an opening day entered by mistake (audited with its cadres), unless its
    month is locked."""
    ensure_unlocked([(day.posyandu.village_id, day.held_on)])
    changes: dict[str, list[Any]] = {
        "posyandu_id": [day.posyandu_id, None], "held_on": [day.held_on.isoformat(), None],
        "cadres": [sorted(c.id for c in day.cadres), None]}
    day_id = day.id
    day.cadres = []
    db.session.delete(day)
    db.session.flush()
    audit.record(actor, "delete", "opening_day", day_id, changes)


def set_home_visits(actor: User, posyandu: Posyandu, month: date,
                    counts: Mapping[int, int], today: date) -> int:
    """Store the home-visit counts of ``month`` for cadres of ``posyandu``; returns how
    many changed. One audit entry lists every ``cadre id: [old, new]``."""
    month = month.replace(day=1)
    if month > today:
        raise ServiceError(_l("The month cannot be in the future."), "month")
    if any(n < 0 for n in counts.values()):
        raise ServiceError(_l("A number of visits cannot be negative."))
    if any(n > MAX_VISITS for n in counts.values()):
        raise ServiceError(_l("At most %(max)d home visits a month.", max=MAX_VISITS))
    last = add_months(month, 1) - timedelta(days=1)
    eligible = {c.id for c in cadres_serving_on(posyandu, month, last)}
    if not set(counts) <= eligible:
        raise ServiceError(_l("Only cadres serving at this posyandu that month can have "
                              "home visits here."))
    changes = store_visit_counts(month, counts)
    if changes:
        audit.record(actor, "update", "home_visits", posyandu.id,
                     {"month": [None, month.isoformat()], **changes})
    return len(changes)


def store_visit_counts(month: date, counts: Mapping[int, int]) -> dict[str, list[int | None]]:
    """Write the counts; ``{cadre id: [old, new]}`` for those that changed (a zero for a
    cadre without a row stores nothing). Refused when a changed count falls in a locked
    period of a village where the cadre served that month."""
    existing = {row.cadre_id: row for row in db.session.scalars(sa.select(HomeVisitCount).where(
        HomeVisitCount.month == month, HomeVisitCount.cadre_id.in_(list(counts))))}
    changing = [cid for cid, n in counts.items()
                if (existing[cid].visits if cid in existing else 0) != n]
    ensure_unlocked(villages_served(changing, month))
    changes: dict[str, list[int | None]] = {}
    for cadre_id, visits in sorted(counts.items()):
        row = existing.get(cadre_id)
        old = row.visits if row is not None else None
        if row is None and visits == 0:
            continue
        if row is None:
            db.session.add(HomeVisitCount(cadre_id=cadre_id, month=month, visits=visits))
        elif row.visits != visits:
            row.visits = visits
        else:
            continue
        changes[str(cadre_id)] = [old, visits]
    db.session.flush()
    return changes


def home_visits_of(cadre_ids: Collection[int], month: date) -> dict[int, int]:
    """The stored counts of ``month`` for these cadres (missing: no row)."""
    rows = db.session.execute(sa.select(HomeVisitCount.cadre_id, HomeVisitCount.visits).where(
        HomeVisitCount.month == month.replace(day=1),
        HomeVisitCount.cadre_id.in_(list(cadre_ids)))).all()
    return dict(rows)


@dataclass(frozen=True)
class MonthOverview:
    """A month's activity page: the posyandu ``user`` sees with their village's name
    (by village, then name), and per posyandu its opening days of the month as
    ``(day id, date, cadres who served)`` by date."""

    posyandu: list[tuple[Posyandu, str]]
    days: dict[int, list[tuple[int, date, int]]]


def month_overview(user: User, month: date) -> MonthOverview:
    """The opening days held from ``month`` (its first day) to the month's end at the
    posyandu ``user`` sees, with how many cadres served each (two queries)."""
    last = add_months(month, 1) - timedelta(days=1)
    posyandu = db.session.execute(
        scoped(Posyandu, user).join(Region, Region.id == Posyandu.village_id)
        .add_columns(Region.name).order_by(Region.name, Posyandu.name)).all()
    days = db.session.execute(
        scoped(OpeningDay, user)
        .outerjoin(opening_day_cadres, opening_day_cadres.c.opening_day_id == OpeningDay.id)
        .where(OpeningDay.held_on.between(month, last))
        .with_only_columns(OpeningDay.id, OpeningDay.posyandu_id, OpeningDay.held_on,
                           sa.func.count(opening_day_cadres.c.cadre_id))
        .group_by(OpeningDay.id, OpeningDay.posyandu_id, OpeningDay.held_on)
        .order_by(OpeningDay.held_on)).all()
    by_posyandu: dict[int, list[tuple[int, date, int]]] = {}
    for day_id, posyandu_id, held_on, served in days:
        by_posyandu.setdefault(posyandu_id, []).append((day_id, held_on, served))
    return MonthOverview([(p, name) for p, name in posyandu], by_posyandu)
