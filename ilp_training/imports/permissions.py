"""Who may import and export the sheets, and where: admins into their district,
coordinators into their puskesmas (the places of :mod:`ilp_training.scope`); trainers
and village heads not. An import job is seen only by the user who uploaded it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ilp_training.models import ImportJob, Role, User
from ilp_training.scope import register_scope

IMPORTERS = (Role.ADMIN, Role.COORDINATOR)


def may_import(user: User) -> bool:
    return user.role in IMPORTERS


def imports_district_wide(user: User) -> bool:
    """Whether ``user`` imports into any puskesmas and village of their district (an
    admin); a coordinator imports into their own puskesmas only."""
    return user.role == Role.ADMIN


def _scoped_jobs(user: User) -> sa.Select[Any]:
    """A job is the uploader's own (its file holds personal data)."""
    return sa.select(ImportJob).where(ImportJob.requested_by_id == user.id)


register_scope(ImportJob, _scoped_jobs)
