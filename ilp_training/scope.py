"""What each user may see: the one place where lists and lookups are filtered by scope.

Every view that lists or opens a record goes through :func:`scoped` or
:func:`get_scoped_or_404`. A record outside the user's scope is treated as absent (404),
so its existence is not revealed.

Scopes by role:

- ``admin``: every posyandu whose puskesmas is in the admin's regency (district);
- ``coordinator`` and ``trainer``: the posyandu of their puskesmas;
- ``village_head``: the posyandu of their village;
- ``province`` and ``national`` (read-only, above the district): no posyandu, so no
  cadre, sitting, certificate, training, summary or other record of people: they see
  *counts, not people* (:func:`sees_people` is false for them).

Counts by place (the overview pages, :mod:`ilp_training.overview`) follow
:func:`place_scope`: a national user sees every place; a province user their province
and everything in it; an admin their regency and below; a coordinator or trainer their
puskesmas and its posyandu; a village head the posyandu of their village.

Pustu follow their puskesmas (a village head sees the pustu in their village); a
puskesmas's page lists only the posyandu the user sees.

User accounts: an admin sees those bound to places in the admin's district.

Training events: an admin sees every event of the district; others the events of the
puskesmas serving their scope and the district-wide events of that district. (Who may
change an event is :func:`ilp_training.training.permissions.may_manage_event`; what a
role may do in each area is that area's ``permissions.py``.)

Incentives: activity follows the posyandu; summaries and versions follow the villages
holding a posyandu in scope (:func:`village_clause`); schemes are the district's and
those villages' overrides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from sqlalchemy.sql.elements import ColumnElement

from ilp_training.core.extensions import db
from ilp_training.models import (
    Assessment,
    AssessmentSession,
    BulkJob,
    Cadre,
    Certificate,
    HomeVisitCount,
    IncentiveScheme,
    IncentiveSummary,
    OpeningDay,
    Posyandu,
    Puskesmas,
    Pustu,
    Region,
    RegionLevel,
    Role,
    SummaryVersion,
    TrainingEvent,
    User,
)

T = TypeVar("T")

# Read-only roles above the district: they see counts by place, never a person's record.
COUNTS_ONLY = (Role.PROVINCE, Role.NATIONAL)


def sees_people(user: User) -> bool:
    """Whether ``user`` sees records of people at all (cadre lists, rosters, trainings,
    certificates, summaries): everyone but the users above the district, who see counts
    (:func:`place_scope`)."""
    return user.role not in COUNTS_ONLY


def posyandu_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Posyandu` that keeps what ``user`` may see (nothing for
    the users above the district: :func:`sees_people`)."""
    if user.role == Role.ADMIN:
        in_district = sa.select(Puskesmas.id).where(Puskesmas.district_id == user.district_id)
        return Posyandu.puskesmas_id.in_(in_district)
    if user.role in (Role.COORDINATOR, Role.TRAINER):
        return Posyandu.puskesmas_id == user.puskesmas_id
    if user.role == Role.VILLAGE_HEAD:
        return Posyandu.village_id == user.village_id
    return sa.false()


def puskesmas_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Puskesmas`: the puskesmas serving the user's scope."""
    if not sees_people(user):
        return sa.false()
    if user.role == Role.ADMIN:
        return Puskesmas.district_id == user.district_id
    if user.role in (Role.COORDINATOR, Role.TRAINER):
        return Puskesmas.id == user.puskesmas_id
    serving = sa.select(Posyandu.puskesmas_id).where(posyandu_clause(user))
    return Puskesmas.id.in_(serving)


def pustu_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Pustu`: those of the puskesmas in the user's scope; for a
    village head, the pustu in their village."""
    if not sees_people(user):
        return sa.false()
    if user.role == Role.VILLAGE_HEAD:
        return Pustu.village_id == user.village_id
    return Pustu.puskesmas_id.in_(sa.select(Puskesmas.id).where(puskesmas_clause(user)))


def _under(code: str, root: str) -> bool:
    """Whether the Kemendagri ``code`` is ``root`` or a place inside it (``74.14`` is in
    ``74``; ``74.1`` would not be in ``74.14``)."""
    return code == root or code.startswith(root + ".")


@dataclass(frozen=True)
class PlaceScope:
    """Which places' counts a user may see (the overview pages). Downward closed: a
    place in scope has all its children in scope.

    ``everywhere``: every place (national users); ``region_code``: that province or
    regency and every place in it (province users, admins); ``puskesmas_id``: that
    puskesmas and its posyandu (coordinators, trainers); ``village_id``: the posyandu of
    that village (village heads). Anything else is outside (a 404).
    """

    everywhere: bool = False
    region_code: str | None = None
    puskesmas_id: int | None = None
    village_id: int | None = None

    def nation(self) -> bool:
        """The national page (every province's counts)."""
        return self.everywhere

    def region(self, code: str) -> bool:
        """A province's or regency's page, by its Kemendagri code."""
        return self.everywhere or (self.region_code is not None
                                   and _under(code, self.region_code))

    def puskesmas(self, puskesmas_id: int, district_code: str) -> bool:
        """A puskesmas's page (``district_code``: its regency's code)."""
        return self.region(district_code) or puskesmas_id == self.puskesmas_id

    def posyandu(self, puskesmas_id: int, village_id: int, district_code: str) -> bool:
        """A posyandu's page (served by ``puskesmas_id``, in ``village_id``, in the regency
        of ``district_code``)."""
        return self.puskesmas(puskesmas_id, district_code) or village_id == self.village_id


def place_scope(user: User) -> PlaceScope:
    """The places whose counts ``user`` may see (:class:`PlaceScope`): national users
    all; a province user their province and below; an admin their regency and below; a
    coordinator or trainer their puskesmas and its posyandu; a village head their
    village's posyandu. Reads the bound region's code (one query at most)."""
    if user.role == Role.NATIONAL:
        return PlaceScope(everywhere=True)
    region = {Role.PROVINCE: user.province, Role.ADMIN: user.district}.get(user.role)
    if region is not None:
        return PlaceScope(region_code=region.code)
    if user.role in (Role.COORDINATOR, Role.TRAINER):
        return PlaceScope(puskesmas_id=user.puskesmas_id)
    if user.role == Role.VILLAGE_HEAD:
        return PlaceScope(village_id=user.village_id)
    return PlaceScope()


def _scoped_pustu(user: User) -> sa.Select[Any]:
    return sa.select(Pustu).where(pustu_clause(user))


def _scoped_posyandu(user: User) -> sa.Select[Any]:
    return sa.select(Posyandu).where(posyandu_clause(user))


def _scoped_cadres(user: User) -> sa.Select[Any]:
    return sa.select(Cadre).join(Cadre.posyandu).where(posyandu_clause(user))


def _scoped_puskesmas(user: User) -> sa.Select[Any]:
    return sa.select(Puskesmas).where(puskesmas_clause(user))


def _at_posyandu(model: type, posyandu_id: Any, user: User) -> sa.Select[Any]:
    """Records held by a posyandu: seen where the posyandu is seen."""
    return (sa.select(model).join(Posyandu, Posyandu.id == posyandu_id)
            .where(posyandu_clause(user)))


def _of_cadre(model: type, cadre_id: Any, user: User) -> sa.Select[Any]:
    """Records that follow the cadre: a cadre's new puskesmas sees their whole history."""
    return (sa.select(model).join(Cadre, Cadre.id == cadre_id)
            .join(Posyandu, Posyandu.id == Cadre.posyandu_id).where(posyandu_clause(user)))


def district_villages(district_id: Any) -> sa.Select[Any]:
    """The ids of the villages of a district: the regions of level ``village`` whose
    Kemendagri code starts with the district's (``74.14.02.2003`` is in ``74.14``). The
    one definition of "the villages of a district" (user binding, schemes, user lists)."""
    district = sa.select(Region.code).where(Region.id == district_id).scalar_subquery()
    return sa.select(Region.id).where(Region.level == RegionLevel.VILLAGE,
                                      Region.code.startswith(district + "."))


def _scoped_sessions(user: User) -> sa.Select[Any]:
    return _at_posyandu(AssessmentSession, AssessmentSession.posyandu_id, user)


def _scoped_assessments(user: User) -> sa.Select[Any]:
    return _of_cadre(Assessment, Assessment.cadre_id, user)


def _scoped_training_events(user: User) -> sa.Select[Any]:
    """Admins see every event of their district. Others see the events of the puskesmas
    serving their scope and the district-wide events (no puskesmas) of that district.
    Users above the district see none (:func:`sees_people`)."""
    if not sees_people(user):
        return sa.select(TrainingEvent).where(sa.false())
    if user.role == Role.ADMIN:
        return sa.select(TrainingEvent).where(TrainingEvent.district_id == user.district_id)
    serving = sa.select(Puskesmas.id).where(puskesmas_clause(user))
    districts = sa.select(Puskesmas.district_id).where(puskesmas_clause(user))
    return sa.select(TrainingEvent).where(sa.or_(
        TrainingEvent.puskesmas_id.in_(serving),
        sa.and_(TrainingEvent.puskesmas_id.is_(None), TrainingEvent.district_id.in_(districts)),
    ))


def _scoped_users(user: User) -> sa.Select[Any]:
    """Admins see the accounts bound to places in their district; others only their own."""
    if user.role != Role.ADMIN:
        return sa.select(User).where(User.id == user.id)
    puskesmas = sa.select(Puskesmas.id).where(Puskesmas.district_id == user.district_id)
    return sa.select(User).where(
        sa.or_(
            User.district_id == user.district_id,
            User.puskesmas_id.in_(puskesmas),
            User.village_id.in_(district_villages(user.district_id)),
        )
    )


def _visible_villages(user: User) -> sa.Select[Any]:
    """The ids of the villages holding a posyandu the user sees."""
    return sa.select(Posyandu.village_id).where(posyandu_clause(user))


def village_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Region`: the villages holding a posyandu the user sees."""
    return Region.id.in_(_visible_villages(user))


def _scoped_incentive_schemes(user: User) -> sa.Select[Any]:
    """Admins see their district's schemes and its villages' overrides; others see the
    district scheme and the overrides of the villages in their scope (users above the
    district: none)."""
    if not sees_people(user):
        return sa.select(IncentiveScheme).where(sa.false())
    if user.role == Role.ADMIN:
        return sa.select(IncentiveScheme).where(sa.or_(
            IncentiveScheme.region_id == user.district_id,
            IncentiveScheme.region_id.in_(district_villages(user.district_id)),
        ))
    districts = sa.select(Puskesmas.district_id).where(puskesmas_clause(user))
    return sa.select(IncentiveScheme).where(sa.or_(
        IncentiveScheme.region_id.in_(districts),
        IncentiveScheme.region_id.in_(_visible_villages(user)),
    ))


def _scoped_incentive_summaries(user: User) -> sa.Select[Any]:
    return sa.select(IncentiveSummary).where(
        IncentiveSummary.village_id.in_(_visible_villages(user)))


def _scoped_summary_versions(user: User) -> sa.Select[Any]:
    return (
        sa.select(SummaryVersion)
        .join(IncentiveSummary, IncentiveSummary.id == SummaryVersion.summary_id)
        .where(IncentiveSummary.village_id.in_(_visible_villages(user)))
    )


def _scoped_opening_days(user: User) -> sa.Select[Any]:
    return _at_posyandu(OpeningDay, OpeningDay.posyandu_id, user)


def _scoped_home_visits(user: User) -> sa.Select[Any]:
    return _of_cadre(HomeVisitCount, HomeVisitCount.cadre_id, user)


def _scoped_certificates(user: User) -> sa.Select[Any]:
    return _of_cadre(Certificate, Certificate.cadre_id, user)


def _scoped_bulk_jobs(user: User) -> sa.Select[Any]:
    """A bulk job is seen by whoever asked for it, and by the admins above them."""
    requesters = _scoped_users(user).with_only_columns(User.id)
    return sa.select(BulkJob).where(
        sa.or_(BulkJob.requested_by_id == user.id, BulkJob.requested_by_id.in_(requesters))
    )


# One rule per model; later modules register theirs with :func:`register_scope`.
_RULES: dict[type, Callable[[User], sa.Select[Any]]] = {
    Posyandu: _scoped_posyandu,
    Cadre: _scoped_cadres,
    Puskesmas: _scoped_puskesmas,
    Pustu: _scoped_pustu,
    User: _scoped_users,
    AssessmentSession: _scoped_sessions,
    Assessment: _scoped_assessments,
    Certificate: _scoped_certificates,
    BulkJob: _scoped_bulk_jobs,
    IncentiveScheme: _scoped_incentive_schemes,
    IncentiveSummary: _scoped_incentive_summaries,
    SummaryVersion: _scoped_summary_versions,
    OpeningDay: _scoped_opening_days,
    HomeVisitCount: _scoped_home_visits,
    TrainingEvent: _scoped_training_events,
}


def register_scope(model: type, rule: Callable[[User], sa.Select[Any]]) -> None:
    """Declare how rows of ``model`` are filtered for a user."""
    _RULES[model] = rule


def scoped(model: type[T], user: User) -> sa.Select[T]:
    """``SELECT model`` restricted to what ``user`` may see."""
    return _RULES[model](user)


def get_scoped_or_404(model: type[T], user: User, ident: int) -> T:
    """Load one ``model`` row by id within the user's scope, or abort with 404."""
    # every scoped model has an integer id; T is any of them
    obj = db.session.scalars(scoped(model, user).where(model.id == ident)).first()  # type: ignore[attr-defined]
    if obj is None:
        abort(404)
    return obj
