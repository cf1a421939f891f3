"""Incentive schemes: their validation, and which one is in force.

The rules:

- **Owner**: a district scheme belongs to the regency and is set by its admins; a village
  override belongs to one village and is set by an admin of its district or by the
  village's own head (:func:`ilp_training.incentives.permissions.may_manage_scheme`).
- **Validity**: whole months, ``valid_from`` to ``valid_until`` inclusive (``None``:
  open-ended). Two schemes of the same owner never cover the same month.
- **Amounts**: whole rupiah ≥ 0; caps ≥ 0 or none; top-ups only for level codes of the
  curriculum.
- **In force** for a village in a month: the village's own scheme valid that month, else
  the district's. An override replaces the district scheme as a whole (no merging).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ilp_training.core import audit
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.incentives.permissions import may_manage_scheme
from ilp_training.incentives.rules import Period, Terms
from ilp_training.models import (
    IncentiveScheme,
    Region,
    SchemeLevelTopUp,
    User,
)
from ilp_training.scope import scoped

AUDITED_FIELDS = ["region_id", "legal_basis", "valid_from", "valid_until", "base_amount",
                  "per_opening_day", "opening_day_cap", "per_home_visit", "home_visit_cap",
                  "operational_amount"]
AMOUNT_FIELDS = ("base_amount", "per_opening_day", "per_home_visit", "operational_amount")
CAP_FIELDS = ("opening_day_cap", "home_visit_cap")
MAX_AMOUNT = 100_000_000  # Rp100 juta a month: far above any known rate, catches typos


@dataclass(frozen=True)
class SchemeData:
    """A scheme as entered; months are given by any day in them."""

    region_id: int
    legal_basis: str
    valid_from: date
    valid_until: date | None
    base_amount: int
    per_opening_day: int = 0
    opening_day_cap: int | None = None
    per_home_visit: int = 0
    home_visit_cap: int | None = None
    operational_amount: int = 0
    level_top_ups: Mapping[str, int] = field(default_factory=dict)


def district_code(region: Region) -> str:
    """The regency code a region belongs to (``74.14`` for ``74.14.03.2005``)."""
    return region.code[:5]


def schemes_listed(user: User) -> list[IncentiveScheme]:
    """The schemes ``user`` sees (:mod:`ilp_training.scope`) with their owner and level
    top-ups loaded: the district's first, then the villages' by name, each by start."""
    return list(db.session.scalars(
        scoped(IncentiveScheme, user)
        .join(Region, Region.id == IncentiveScheme.region_id)
        .options(sa.orm.contains_eager(IncentiveScheme.region),
                 sa.orm.selectinload(IncentiveScheme.level_top_ups))
        .order_by(sa.func.length(Region.code), Region.name, IncentiveScheme.valid_from)
    ).all())


def _overlapping(data: SchemeData, scheme_id: int | None) -> IncentiveScheme | None:
    stmt = sa.select(IncentiveScheme).where(
        IncentiveScheme.region_id == data.region_id,
        IncentiveScheme.id != (scheme_id or -1),
        sa.or_(IncentiveScheme.valid_until.is_(None),
               IncentiveScheme.valid_until >= data.valid_from),
    )
    if data.valid_until is not None:
        stmt = stmt.where(IncentiveScheme.valid_from <= data.valid_until)
    return db.session.scalars(stmt.order_by(IncentiveScheme.valid_from)).first()


def _clean(data: SchemeData, scheme_id: int | None, level_codes: Collection[str]) -> SchemeData:
    basis = " ".join(data.legal_basis.split())
    if not basis:
        raise ServiceError(_l("Give the legal basis (e.g. Perbup No. …, Perdes No. …)."),
                           "legal_basis")
    start = data.valid_from.replace(day=1)
    until = data.valid_until.replace(day=1) if data.valid_until else None
    if until is not None and until < start:
        raise ServiceError(_l("The last month cannot be before the first."), "valid_until")
    for name in (*AMOUNT_FIELDS, *CAP_FIELDS):
        value = getattr(data, name)
        if value is not None and value < 0:
            raise ServiceError(_l("An amount cannot be negative."), name)
        if value is not None and value > MAX_AMOUNT:
            raise ServiceError(_l("This amount is too large."), name)
    for code, amount in data.level_top_ups.items():
        if code not in level_codes:
            raise ServiceError(_l("Unknown level."))
        if amount < 0:
            raise ServiceError(_l("An amount cannot be negative."), f"level_{code}")
        if amount > MAX_AMOUNT:
            raise ServiceError(_l("This amount is too large."), f"level_{code}")
    clean = replace(data, legal_basis=basis, valid_from=start, valid_until=until,
                    level_top_ups={k: v for k, v in data.level_top_ups.items() if v})
    other = _overlapping(clean, scheme_id)
    if other is not None:
        raise ServiceError(_l("Another scheme of the same owner (%(basis)s) already covers "
                              "some of these months.", basis=other.legal_basis), "valid_from")
    return clean


def _snapshot(scheme: IncentiveScheme) -> dict[str, Any]:
    return {**audit.snapshot(scheme, AUDITED_FIELDS), "level_top_ups": scheme.top_up_by_level}


def _apply(scheme: IncentiveScheme, clean: SchemeData) -> None:
    for name in AUDITED_FIELDS:
        setattr(scheme, name, getattr(clean, name))
    current = {t.level_code: t for t in scheme.level_top_ups}
    for code, top_up in current.items():
        if code not in clean.level_top_ups:
            scheme.level_top_ups.remove(top_up)
    for code, amount in clean.level_top_ups.items():
        if code in current:
            current[code].amount = amount
        else:
            scheme.level_top_ups.append(SchemeLevelTopUp(level_code=code, amount=amount))


def create_scheme(actor: User, data: SchemeData, level_codes: Collection[str]) -> IncentiveScheme:
    """Add a scheme after the checks of the module docstring; audited."""
    owner = db.session.get(Region, data.region_id)
    if owner is None or not may_manage_scheme(actor, owner):
        raise ServiceError(_l("You cannot set a scheme for this place."), "region_id")
    clean = _clean(data, None, level_codes)
    scheme = IncentiveScheme(created_by=actor)
    _apply(scheme, clean)
    db.session.add(scheme)
    db.session.flush()
    audit.record(actor, "create", "incentive_scheme", scheme.id, audit.diff({}, _snapshot(scheme)))
    return scheme


def update_scheme(actor: User, scheme: IncentiveScheme, data: SchemeData,
                  level_codes: Collection[str]) -> IncentiveScheme:
    """Change a scheme (its owner stays). Approved summaries keep their frozen figures."""
    if not may_manage_scheme(actor, scheme.region):
        raise ServiceError(_l("You cannot set a scheme for this place."))
    clean = _clean(replace(data, region_id=scheme.region_id), scheme.id, level_codes)
    before = _snapshot(scheme)
    _apply(scheme, clean)
    db.session.flush()
    changes = audit.diff(before, _snapshot(scheme))
    if changes:
        audit.record(actor, "update", "incentive_scheme", scheme.id, changes)
    return scheme


def terms_of(scheme: IncentiveScheme) -> Terms:
    """The scheme's amounts as the pure :class:`Terms`."""
    return Terms(
        base=scheme.base_amount, per_opening_day=scheme.per_opening_day,
        opening_day_cap=scheme.opening_day_cap, per_home_visit=scheme.per_home_visit,
        home_visit_cap=scheme.home_visit_cap, operational=scheme.operational_amount,
        level_top_ups=scheme.top_up_by_level,
    )


def _valid_in(scheme: IncentiveScheme, month: date) -> bool:
    return scheme.valid_from <= month and (scheme.valid_until is None
                                           or month <= scheme.valid_until)


def schemes_in_force(villages: Sequence[Region], period: Period
                     ) -> dict[int, dict[date, IncentiveScheme | None]]:
    """For each village id and month of ``period``: the scheme in force (rule above).

    One query for every scheme of these villages and their districts touching the period.
    """
    districts = dict(db.session.execute(
        sa.select(Region.code, Region.id).where(
            Region.code.in_({district_code(v) for v in villages}))).all())
    owners = {v.id for v in villages} | set(districts.values())
    schemes = db.session.scalars(
        sa.select(IncentiveScheme)
        .where(IncentiveScheme.region_id.in_(owners),
               IncentiveScheme.valid_from <= period.end,
               sa.or_(IncentiveScheme.valid_until.is_(None),
                      IncentiveScheme.valid_until >= period.start))
        .options(sa.orm.selectinload(IncentiveScheme.level_top_ups))
    ).all()
    by_owner: dict[int, list[IncentiveScheme]] = {}
    for scheme in schemes:
        by_owner.setdefault(scheme.region_id, []).append(scheme)
    result: dict[int, dict[date, IncentiveScheme | None]] = {}
    for village in villages:
        own = by_owner.get(village.id, [])
        district = by_owner.get(districts.get(district_code(village), -1), [])
        result[village.id] = {
            month: next((s for s in [*own, *district] if _valid_in(s, month)), None)
            for month in period.months
        }
    return result
