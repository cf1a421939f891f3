"""Plain-data reports of incentive summaries for the pages, the PDF and the workbook, and
the district overview. No ORM object leaves this module: reports are frozen dataclasses.

A village's *current* report is its approved version when the summary is approved, else
the live draft. The district overview takes approved figures from the approved version
and the others from their live drafts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.incentives.rules import (
    CadreLine,
    Period,
    PosyanduLine,
    SummaryResult,
)
from ilp_training.incentives.services.summaries import (
    Draft,
    legal_bases,
    load_drafts,
    summaries_of,
)
from ilp_training.models import (
    IncentiveSummary,
    Region,
    SummaryStatus,
    SummaryVersion,
    User,
)
from ilp_training.scope import village_clause


@dataclass(frozen=True)
class Place:
    """The village and its parents, for headings and the letterhead."""

    id: int
    name: str
    kind: str  # desa / kelurahan
    kecamatan: str
    district: str
    district_kind: str  # kabupaten / kota


@dataclass(frozen=True)
class VersionInfo:
    id: int
    number: int
    approved_by: str
    approved_at: datetime
    reopened_at: datetime | None
    reopen_reason: str | None


@dataclass(frozen=True)
class SummaryReport:
    """One summary as shown and exported. ``state``: ``draft``, ``approved`` or
    ``reopened`` (an old version); ``version`` is set for the last two."""

    place: Place
    period: Period
    state: str
    result: SummaryResult
    legal_basis: tuple[str, ...]
    version: VersionInfo | None
    versions: tuple[VersionInfo, ...]


def place_of(village: Region) -> Place:
    kecamatan = village.parent
    district = kecamatan.parent if kecamatan is not None else None
    return Place(village.id, village.name, village.kind,
                 kecamatan.name if kecamatan else "", district.name if district else "",
                 district.kind if district else "")


def _info(version: SummaryVersion) -> VersionInfo:
    return VersionInfo(version.id, version.number, version.approved_by_name,
                       version.approved_at, version.reopened_at, version.reopen_reason)


def _frozen_result(version: SummaryVersion) -> SummaryResult:
    cadres = tuple(
        CadreLine(
            cadre_id=r.cadre_id, name=r.full_name, posyandu=r.posyandu_name,
            level_code=r.level_code, months_active=Decimal(r.months_active_x100) / 100,
            days_served=r.days_served, home_visits=r.home_visits, base=r.base,
            level_top_up=r.level_top_up, opening_day_top_up=r.opening_day_top_up,
            home_visit_top_up=r.home_visit_top_up, total=r.total,
            bpjs_enrolled=r.bpjs_enrolled, inactive=r.inactive, no_activity=r.no_activity,
            over_cap=r.over_cap, excluded_reason=r.excluded_reason)
        for r in version.cadre_rows)
    posyandu = tuple(PosyanduLine(p.posyandu_id, p.name, p.months, p.operational)
                     for p in version.posyandu_rows)
    budget = version.budget_amount
    return SummaryResult(
        cadres=cadres, posyandu=posyandu, cadre_total=version.cadre_total,
        operational_total=version.operational_total, grand_total=version.grand_total,
        budget=budget, difference=None if budget is None else budget - version.grand_total,
        uninsured=version.uninsured,
        months_without_scheme=tuple(date.fromisoformat(m)
                                    for m in version.months_without_scheme))


def _versions(summary: IncentiveSummary | None) -> tuple[VersionInfo, ...]:
    return tuple(_info(v) for v in summary.versions) if summary is not None else ()


def version_report(version: SummaryVersion) -> SummaryReport:
    """A frozen version as it was approved (re-opened or not)."""
    summary = version.summary
    period = Period(summary.period_kind, summary.period_start)
    state = "reopened" if version.reopened_at is not None else "approved"
    return SummaryReport(
        place=place_of(summary.village), period=period, state=state,
        result=_frozen_result(version),
        legal_basis=tuple(b for b in version.legal_basis.split("; ") if b),
        version=_info(version), versions=_versions(summary))


def draft_report(village: Region, draft: Draft, period: Period) -> SummaryReport:
    return SummaryReport(
        place=place_of(village), period=period, state="draft", result=draft.result,
        legal_basis=tuple(legal_bases(draft.schemes)), version=None,
        versions=_versions(draft.summary))


def current_report(village: Region, period: Period) -> SummaryReport:
    """The approved version if the summary is approved, else the live draft."""
    summary = summaries_of([village.id], period).get(village.id)
    if summary is not None and summary.status == SummaryStatus.APPROVED:
        return version_report(summary.versions[-1])
    return draft_report(village, load_drafts([village], period)[village.id], period)


@dataclass(frozen=True)
class VillageTotal:
    village_id: int
    name: str
    approved: bool
    version: int | None
    cadres: int
    insured: int
    total: int
    budget: int | None


@dataclass(frozen=True)
class KecamatanTotal:
    name: str
    villages: tuple[VillageTotal, ...]

    @property
    def cadres(self) -> int:
        return sum(v.cadres for v in self.villages)

    @property
    def insured(self) -> int:
        return sum(v.insured for v in self.villages)

    @property
    def total(self) -> int:
        return sum(v.total for v in self.villages)

    @property
    def approved(self) -> int:
        return sum(1 for v in self.villages if v.approved)


@dataclass(frozen=True)
class DistrictOverview:
    """Totals per village and kecamatan; ``approved_percent`` is the share of villages
    (with a posyandu) whose summary is approved, rounded down to a whole percent."""

    period: Period
    kecamatan: tuple[KecamatanTotal, ...]

    @property
    def villages(self) -> int:
        return sum(len(k.villages) for k in self.kecamatan)

    @property
    def approved(self) -> int:
        return sum(k.approved for k in self.kecamatan)

    @property
    def approved_percent(self) -> int:
        return 100 * self.approved // self.villages if self.villages else 0

    @property
    def cadres(self) -> int:
        return sum(k.cadres for k in self.kecamatan)

    @property
    def insured(self) -> int:
        return sum(k.insured for k in self.kecamatan)

    @property
    def total(self) -> int:
        return sum(k.total for k in self.kecamatan)


def _village_total(village: Region, result: SummaryResult, version: int | None) -> VillageTotal:
    return VillageTotal(village.id, village.name, version is not None, version,
                        len(result.cadres), sum(1 for c in result.cadres if c.bpjs_enrolled),
                        result.grand_total, result.budget)


def district_overview(user: User, period: Period) -> DistrictOverview:
    """Every village in the user's scope holding a posyandu, grouped by kecamatan."""
    villages = db.session.scalars(
        sa.select(Region).where(village_clause(user))
        .options(sa.orm.selectinload(Region.parent)).order_by(Region.code)).all()
    summaries = summaries_of([v.id for v in villages], period)
    approved = {vid: s for vid, s in summaries.items() if s.status == SummaryStatus.APPROVED}
    versions = {v.summary_id: v for v in db.session.scalars(
        sa.select(SummaryVersion)
        .where(SummaryVersion.summary_id.in_([s.id for s in approved.values()]),
               SummaryVersion.reopened_at.is_(None))
        .options(sa.orm.selectinload(SummaryVersion.cadre_rows),
                 sa.orm.selectinload(SummaryVersion.posyandu_rows)))}
    drafts = load_drafts([v for v in villages if v.id not in approved], period)
    groups: dict[str, list[VillageTotal]] = {}
    for village in villages:
        version = versions.get(approved[village.id].id) if village.id in approved else None
        row = (_village_total(village, _frozen_result(version), version.number) if version
               else _village_total(village, drafts[village.id].result, None))
        groups.setdefault(village.parent.name if village.parent else "", []).append(row)
    return DistrictOverview(period, tuple(KecamatanTotal(name, tuple(rows))
                                          for name, rows in groups.items()))


def village_choices(user: User) -> Sequence[tuple[int, str]]:
    """``(id, name)`` of the villages in the user's scope holding a posyandu."""
    return db.session.execute(
        sa.select(Region.id, Region.name).where(village_clause(user)).order_by(Region.name)
    ).all()


def village_in_scope(user: User, village_id: int) -> Region | None:
    """The village ``village_id`` if it holds a posyandu ``user`` sees
    (:func:`ilp_training.scope.village_clause`), else ``None``."""
    return db.session.scalars(
        sa.select(Region).where(Region.id == village_id, village_clause(user))).first()
