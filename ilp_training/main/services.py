"""Read-side queries for lists and dashboards, always built on the scope filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import (
    Cadre,
    CadreStatus,
    Posyandu,
    Puskesmas,
    Pustu,
    Region,
    Role,
    User,
)
from ilp_training.scope import posyandu_clause, puskesmas_clause, pustu_clause


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
    """Counts for the dashboard: pustu, posyandu, active and inactive cadres in scope.

    Every posyandu the site holds is an ILP posyandu (the registry is of ILP cadres), so
    the posyandu count is the ILP posyandu count."""
    posyandu = db.session.scalar(sa.select(sa.func.count(Posyandu.id)).where(posyandu_clause(user)))
    pustu = db.session.scalar(sa.select(sa.func.count(Pustu.id)).where(pustu_clause(user)))
    rows = db.session.execute(
        sa.select(Cadre.status, sa.func.count(Cadre.id))
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(posyandu_clause(user))
        .group_by(Cadre.status)
    ).all()
    by_status = {status: count for status, count in rows}
    return {
        "pustu": pustu or 0,
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


def puskesmas_list(user: User) -> list[tuple[Puskesmas, int, int, int]]:
    """The puskesmas in scope by name, each with its pustu, the posyandu the user sees and
    their active cadres (one query; counts in SQL)."""
    seen = sa.and_(Posyandu.puskesmas_id == Puskesmas.id, posyandu_clause(user))
    pustu = (sa.select(sa.func.count(Pustu.id))
             .where(Pustu.puskesmas_id == Puskesmas.id, pustu_clause(user)).scalar_subquery())
    posyandu = sa.select(sa.func.count(Posyandu.id)).where(seen).scalar_subquery()
    cadres = (sa.select(sa.func.count(Cadre.id)).join(Posyandu, Posyandu.id == Cadre.posyandu_id)
              .where(seen, Cadre.status == CadreStatus.ACTIVE).scalar_subquery())
    rows = db.session.execute(sa.select(Puskesmas, pustu, posyandu, cadres)
                              .where(puskesmas_clause(user)).order_by(Puskesmas.name))
    return [(p, n_pustu, n_posyandu, n_cadres) for p, n_pustu, n_posyandu, n_cadres in rows]


@dataclass
class VillageLine:
    """A village of a puskesmas's catchment: the pustu there (if any) and its posyandu
    with their active cadres."""

    village: Region
    pustu: list[Pustu] = field(default_factory=list)
    posyandu: list[tuple[Posyandu, int]] = field(default_factory=list)


@dataclass
class PustuLine:
    """A pustu and what it serves: the villages and the posyandu in them."""

    pustu: Pustu
    villages: list[VillageLine]

    @property
    def posyandu(self) -> list[tuple[Posyandu, int]]:
        return [item for line in self.villages for item in line.posyandu]


@dataclass
class PuskesmasOverview:
    puskesmas: Puskesmas
    villages: list[VillageLine]
    pustu: list[PustuLine]

    @property
    def posyandu_count(self) -> int:
        return sum(len(line.posyandu) for line in self.villages)

    @property
    def active_cadres(self) -> int:
        return sum(n for line in self.villages for _p, n in line.posyandu)


def puskesmas_overview(puskesmas: Puskesmas, user: User) -> PuskesmasOverview:
    """The puskesmas's villages (its catchment, and any village of a posyandu it serves),
    each with its pustu and the posyandu the user sees; and each pustu with what it serves.

    Rule: a pustu serves the village it stands in (``Pustu.village``) and the posyandu of
    that village; a village with no pustu is served by the puskesmas itself. Four
    queries (posyandu, pustu, the catchment's villages, and the puskesmas's own row)."""
    active = (sa.select(sa.func.count(Cadre.id))
              .where(Cadre.posyandu_id == Posyandu.id, Cadre.status == CadreStatus.ACTIVE)
              .scalar_subquery())
    posyandu = db.session.execute(
        sa.select(Posyandu, active).where(Posyandu.puskesmas_id == puskesmas.id,
                                          posyandu_clause(user))
        .options(sa.orm.joinedload(Posyandu.village)).order_by(Posyandu.name)).all()
    pustu = db.session.scalars(
        sa.select(Pustu).where(Pustu.puskesmas_id == puskesmas.id, pustu_clause(user))
        .options(sa.orm.joinedload(Pustu.village)).order_by(Pustu.name)).all()
    villages: dict[int, VillageLine] = {}
    if user.role != Role.VILLAGE_HEAD:  # a village head sees only their own village
        for village in puskesmas.villages:
            villages[village.id] = VillageLine(village)
    for item in pustu:
        villages.setdefault(item.village_id, VillageLine(item.village)).pustu.append(item)
    for post, count in posyandu:
        villages.setdefault(post.village_id, VillageLine(post.village)).posyandu.append(
            (post, count))
    lines = sorted(villages.values(), key=lambda line: line.village.name)
    served = [PustuLine(p, [villages[p.village_id]]) for p in pustu]
    return PuskesmasOverview(puskesmas, lines, served)
