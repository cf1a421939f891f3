"""Who may do what with cadre incentives: every "may" rule of the incentives area, with
the list form of a rule where a form needs one (:func:`scheme_owners`). What a user sees
(activity of their posyandu, summaries of the villages holding them, schemes of their
district) is :mod:`ilp_training.scope`.

- **See** the incentives pages (:func:`may_see_incentives`): admins, coordinators and
  village heads; trainers do not. The district overview: admins
  (:func:`may_see_district_overview`).
- **Record activity** (opening days, home visits, the import; :func:`may_record_activity`):
  coordinators and village heads, for the posyandu they see.
- **Set schemes** (:func:`may_edit_schemes`, :func:`may_manage_scheme`): a district scheme
  by the district's admins; a village override by an admin of its district or by the
  village's own head.
- **Review a village's summary** (budget line, exclusions, approve, re-open;
  :func:`may_approve_summary`): only the head of that village.
"""

from __future__ import annotations

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import Region, RegionLevel, Role, User
from ilp_training.scope import district_villages

VIEWERS = (Role.ADMIN, Role.COORDINATOR, Role.VILLAGE_HEAD)
ACTIVITY_RECORDERS = (Role.COORDINATOR, Role.VILLAGE_HEAD)
SCHEME_EDITORS = (Role.ADMIN, Role.VILLAGE_HEAD)


def may_see_incentives(user: User) -> bool:
    """Whether ``user`` sees the incentives pages (summaries, versions, schemes, exports):
    admins, coordinators and village heads."""
    return user.role in VIEWERS


def may_see_district_overview(user: User) -> bool:
    """Whether ``user`` sees the district overview of every village's summary: admins."""
    return user.role == Role.ADMIN


def may_record_activity(user: User) -> bool:
    """Whether ``user`` records opening days and home visits (by hand or by import) for
    the posyandu they see: coordinators and village heads."""
    return user.role in ACTIVITY_RECORDERS


def may_edit_schemes(user: User) -> bool:
    """Whether ``user`` may set schemes at all (which owners: :func:`may_manage_scheme`):
    admins and village heads."""
    return user.role in SCHEME_EDITORS


def may_manage_scheme(user: User, owner: Region) -> bool:
    """Whether ``user`` may create or change a scheme owned by ``owner``: an admin for
    their district or a village of it (the code starts with the district's), a village
    head for their own village."""
    if user.role == Role.ADMIN and user.district is not None:
        return owner.code == user.district.code or (
            owner.level == RegionLevel.VILLAGE
            and owner.code.startswith(user.district.code + "."))
    return user.role == Role.VILLAGE_HEAD and owner.id == user.village_id


def scheme_owners(user: User) -> list[Region]:
    """:func:`may_manage_scheme` as a list, for the scheme form: an admin's district
    first, then its villages by name (:func:`ilp_training.scope.district_villages`); a
    village head's own village; nobody else's."""
    if user.role == Role.VILLAGE_HEAD and user.village is not None:
        return [user.village]
    if user.role != Role.ADMIN or user.district is None:
        return []
    villages = db.session.scalars(sa.select(Region).where(
        Region.id.in_(district_villages(user.district_id))).order_by(Region.name)).all()
    return [user.district, *villages]


def may_review_summaries(user: User) -> bool:
    """Whether ``user`` reviews village summaries at all (which village:
    :func:`may_approve_summary`): village heads."""
    return user.role == Role.VILLAGE_HEAD


def may_approve_summary(user: User, village: Region) -> bool:
    """Whether ``user`` may review ``village``'s summaries: set the budget line, exclude
    and include cadres, approve (freeze a version) and re-open. Only the village's own
    head; admins and coordinators see the summaries but never approve them."""
    return may_review_summaries(user) and user.village_id == village.id
