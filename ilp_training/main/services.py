"""Read-side queries for lists and dashboards, always built on the scope filter."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import (
    Cadre,
    CadreStatus,
    Posyandu,
    Puskesmas,
    Region,
    User,
)
from ilp_training.scope import posyandu_clause


def posyandu_overview(user: User, search: str | None = None) -> sa.Select[Any]:
    """Posyandu in the user's scope with village, puskesmas and count of active cadres,
    ordered by village then posyandu name (one query; counts computed in SQL)."""
    active = (
        sa.select(sa.func.count(Cadre.id))
        .where(Cadre.posyandu_id == Posyandu.id, Cadre.status == CadreStatus.ACTIVE)
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            Posyandu,
            Region.name.label("village_name"),
            Puskesmas.name.label("puskesmas_name"),
            active.label("active_cadres"),
        )
        .join(Region, Region.id == Posyandu.village_id)
        .join(Puskesmas, Puskesmas.id == Posyandu.puskesmas_id)
        .where(posyandu_clause(user))
        .order_by(Region.name, Posyandu.name)
    )
    if search:
        pattern = f"%{search.strip()}%"
        stmt = stmt.where(sa.or_(Posyandu.name.ilike(pattern), Region.name.ilike(pattern)))
    return stmt


def scope_totals(user: User) -> dict[str, int]:
    """Counts for the dashboard: posyandu, active and inactive cadres in scope."""
    posyandu = db.session.scalar(sa.select(sa.func.count(Posyandu.id)).where(posyandu_clause(user)))
    rows = db.session.execute(
        sa.select(Cadre.status, sa.func.count(Cadre.id))
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(posyandu_clause(user))
        .group_by(Cadre.status)
    ).all()
    by_status = {status: count for status, count in rows}
    return {
        "posyandu": posyandu or 0,
        "active": by_status.get(CadreStatus.ACTIVE, 0),
        "inactive": by_status.get(CadreStatus.INACTIVE, 0),
    }


def cadre_roster(posyandu: Posyandu, search: str | None, status: str | None) -> sa.Select[Any]:
    """Cadres of one posyandu (already scope-checked), filtered by name and status."""
    stmt = sa.select(Cadre).where(Cadre.posyandu_id == posyandu.id).order_by(Cadre.full_name)
    if search:
        stmt = stmt.where(Cadre.full_name.ilike(f"%{search.strip()}%"))
    if status in {s.value for s in CadreStatus}:
        stmt = stmt.where(Cadre.status == CadreStatus(status))
    return stmt
