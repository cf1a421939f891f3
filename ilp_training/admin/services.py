"""What the admin pages read: the places an admin may bind a new user to, and the audit
log they may read. Accounts are changed by :mod:`ilp_training.auth.services`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import AuditEntry, Puskesmas, Region, User
from ilp_training.scope import district_villages, scoped


@dataclass(frozen=True)
class DistrictPlaces:
    """The places of an admin's district a user can be bound to, by name."""

    district: Region
    puskesmas: list[Puskesmas]
    villages: list[Region]


def district_places(admin: User) -> DistrictPlaces:
    """The admin's district, its puskesmas and its villages
    (:func:`ilp_training.scope.district_villages`), each by name (two queries)."""
    district = admin.district
    assert district is not None
    puskesmas = db.session.scalars(
        sa.select(Puskesmas).where(Puskesmas.district_id == district.id).order_by(Puskesmas.name))
    villages = db.session.scalars(
        sa.select(Region).where(Region.id.in_(district_villages(district.id)))
        .order_by(Region.name))
    return DistrictPlaces(district, list(puskesmas), list(villages))


def audit_entries(admin: User) -> sa.Select[Any]:
    """The audit log an admin reads: the entries made by the accounts they see (those of
    their district) and by the system (no account), newest first, with who made them. A
    statement, for the pager."""
    visible = scoped(User, admin).with_only_columns(User.id)
    return (
        sa.select(AuditEntry)
        .where(sa.or_(AuditEntry.user_id.in_(visible), AuditEntry.user_id.is_(None)))
        .options(sa.orm.selectinload(AuditEntry.user))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
