"""Cadre welfare: incentive schemes, activity records, and village summaries with their
approved (frozen) versions.

Money is whole rupiah in integer columns, each with a ``>= 0`` CHECK. An approved
summary is a :class:`SummaryVersion` whose rows copy every figure, so later changes to
schemes, activity or levels never alter it (see :mod:`ilp_training.incentives.rules`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ilp_training.core.extensions import Model, db
from ilp_training.incentives.rules import PeriodKind
from ilp_training.models.base import UTCDateTime, enum_column, utcnow
from ilp_training.models.cadres import Cadre
from ilp_training.models.regions import Posyandu, Region
from ilp_training.models.users import User


def _non_negative(*columns: str) -> tuple[sa.CheckConstraint, ...]:
    return tuple(sa.CheckConstraint(f"{c} >= 0", name=f"{c}_non_negative") for c in columns)


class IncentiveScheme(Model):
    """The amounts a district (owner: the regency) or one village (owner: the village,
    overriding the district) pays from ``valid_from`` (a first day of month) to
    ``valid_until`` (a first day of month, inclusive; ``None``: open-ended).

    Periods of the same owner never overlap (checked by ``services/incentives.py``).
    """

    __tablename__ = "incentive_schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    legal_basis: Mapped[str] = mapped_column(sa.String(200))
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    base_amount: Mapped[int]
    per_opening_day: Mapped[int] = mapped_column(default=0)
    opening_day_cap: Mapped[int | None]
    per_home_visit: Mapped[int] = mapped_column(default=0)
    home_visit_cap: Mapped[int | None]
    operational_amount: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    created_by: Mapped[User | None] = relationship()
    level_top_ups: Mapped[list[SchemeLevelTopUp]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan", order_by="SchemeLevelTopUp.id"
    )

    __table_args__ = (
        sa.UniqueConstraint("region_id", "valid_from"),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from",
                           name="valid_period"),
        *_non_negative("base_amount", "per_opening_day", "per_home_visit",
                       "operational_amount"),
        sa.CheckConstraint("opening_day_cap IS NULL OR opening_day_cap >= 0",
                           name="opening_day_cap_non_negative"),
        sa.CheckConstraint("home_visit_cap IS NULL OR home_visit_cap >= 0",
                           name="home_visit_cap_non_negative"),
    )

    @property
    def top_up_by_level(self) -> dict[str, int]:
        return {t.level_code: t.amount for t in self.level_top_ups}


class SchemeLevelTopUp(Model):
    """The monthly top-up of a scheme for cadres at one level (curriculum level code)."""

    __tablename__ = "incentive_level_top_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("incentive_schemes.id"))
    level_code: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[int]

    scheme: Mapped[IncentiveScheme] = relationship(back_populates="level_top_ups")

    __table_args__ = (sa.UniqueConstraint("scheme_id", "level_code"), *_non_negative("amount"))


opening_day_cadres = sa.Table(
    "opening_day_cadres",
    db.metadata,
    sa.Column("opening_day_id", sa.ForeignKey("opening_days.id"), primary_key=True),
    sa.Column("cadre_id", sa.ForeignKey("cadres.id"), primary_key=True, index=True),
)


class OpeningDay(Model):
    """A posyandu opening day (*hari buka posyandu*) and the cadres who served on it."""

    __tablename__ = "opening_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    posyandu_id: Mapped[int] = mapped_column(sa.ForeignKey("posyandu.id"))
    held_on: Mapped[date] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    posyandu: Mapped[Posyandu] = relationship()
    created_by: Mapped[User | None] = relationship()
    cadres: Mapped[list[Cadre]] = relationship(
        secondary=opening_day_cadres, order_by="Cadre.full_name"
    )

    __table_args__ = (sa.UniqueConstraint("posyandu_id", "held_on"),)


class HomeVisitCount(Model):
    """How many home visits (*kunjungan rumah*) a cadre made in a month (first day)."""

    __tablename__ = "home_visit_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadres.id"))
    month: Mapped[date] = mapped_column(index=True)
    visits: Mapped[int]

    cadre: Mapped[Cadre] = relationship()

    __table_args__ = (sa.UniqueConstraint("cadre_id", "month"), *_non_negative("visits"))


class SummaryStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class IncentiveSummary(Model):
    """A village's incentive summary for one period: the draft's inputs (budget line,
    exclusions) and, once approved, its frozen versions."""

    __tablename__ = "incentive_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    period_kind: Mapped[PeriodKind] = mapped_column(enum_column(PeriodKind, "period_kind"))
    period_start: Mapped[date]
    budget_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    status: Mapped[SummaryStatus] = mapped_column(
        enum_column(SummaryStatus, "summary_status"), default=SummaryStatus.DRAFT
    )

    village: Mapped[Region] = relationship()
    exclusions: Mapped[list[SummaryExclusion]] = relationship(
        back_populates="summary", cascade="all, delete-orphan", order_by="SummaryExclusion.id"
    )
    versions: Mapped[list[SummaryVersion]] = relationship(
        back_populates="summary", order_by="SummaryVersion.number"
    )

    __table_args__ = (
        sa.UniqueConstraint("village_id", "period_kind", "period_start"),
        sa.CheckConstraint("budget_amount IS NULL OR budget_amount >= 0",
                           name="budget_non_negative"),
    )


class SummaryExclusion(Model):
    """A cadre the village head left out of a summary, with the reason."""

    __tablename__ = "summary_exclusions"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(sa.ForeignKey("incentive_summaries.id"))
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadres.id"))
    reason: Mapped[str] = mapped_column(sa.String(200))

    summary: Mapped[IncentiveSummary] = relationship(back_populates="exclusions")

    __table_args__ = (sa.UniqueConstraint("summary_id", "cadre_id"),)


class SummaryVersion(Model):
    """One approval of a summary with every figure copied. Never changed afterwards, except
    that re-opening records who re-opened it, when and why (the next approval is a new
    version)."""

    __tablename__ = "summary_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(sa.ForeignKey("incentive_summaries.id"))
    number: Mapped[int]
    approved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    approved_by_name: Mapped[str] = mapped_column(sa.String(120))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reopened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_reason: Mapped[str | None] = mapped_column(sa.String(200))
    legal_basis: Mapped[str] = mapped_column(sa.String(500))
    terms: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    months_without_scheme: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    budget_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    cadre_total: Mapped[int] = mapped_column(sa.BigInteger)
    operational_total: Mapped[int] = mapped_column(sa.BigInteger)
    grand_total: Mapped[int] = mapped_column(sa.BigInteger)
    uninsured: Mapped[int]

    summary: Mapped[IncentiveSummary] = relationship(back_populates="versions")
    approved_by: Mapped[User] = relationship(foreign_keys=[approved_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])
    cadre_rows: Mapped[list[SummaryCadreRow]] = relationship(
        back_populates="version", order_by="SummaryCadreRow.position"
    )
    posyandu_rows: Mapped[list[SummaryPosyanduRow]] = relationship(
        back_populates="version", order_by="SummaryPosyanduRow.position"
    )

    __table_args__ = (
        sa.UniqueConstraint("summary_id", "number"),
        *_non_negative("cadre_total", "operational_total", "grand_total", "uninsured"),
    )


class SummaryCadreRow(Model):
    """One cadre's frozen figures in an approved version."""

    __tablename__ = "summary_cadre_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("summary_versions.id"))
    position: Mapped[int]
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadres.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    posyandu_name: Mapped[str] = mapped_column(sa.String(120))
    level_code: Mapped[str | None] = mapped_column(sa.String(20))
    months_active_x100: Mapped[int]  # months active × 100 (no float, no Numeric on SQLite)
    days_served: Mapped[int]
    home_visits: Mapped[int]
    base: Mapped[int] = mapped_column(sa.BigInteger)
    level_top_up: Mapped[int] = mapped_column(sa.BigInteger)
    opening_day_top_up: Mapped[int] = mapped_column(sa.BigInteger)
    home_visit_top_up: Mapped[int] = mapped_column(sa.BigInteger)
    total: Mapped[int] = mapped_column(sa.BigInteger)
    bpjs_enrolled: Mapped[bool]
    inactive: Mapped[bool]
    no_activity: Mapped[bool]
    over_cap: Mapped[bool]
    excluded_reason: Mapped[str | None] = mapped_column(sa.String(200))

    version: Mapped[SummaryVersion] = relationship(back_populates="cadre_rows")

    __table_args__ = (
        sa.UniqueConstraint("version_id", "cadre_id"),
        *_non_negative("months_active_x100", "days_served", "home_visits", "base", "level_top_up",
                       "opening_day_top_up", "home_visit_top_up", "total"),
    )


class SummaryPosyanduRow(Model):
    """One posyandu's frozen operational amount in an approved version."""

    __tablename__ = "summary_posyandu_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("summary_versions.id"))
    position: Mapped[int]
    posyandu_id: Mapped[int] = mapped_column(sa.ForeignKey("posyandu.id"))
    name: Mapped[str] = mapped_column(sa.String(120))
    months: Mapped[int]
    operational: Mapped[int] = mapped_column(sa.BigInteger)

    version: Mapped[SummaryVersion] = relationship(back_populates="posyandu_rows")

    __table_args__ = (
        sa.UniqueConstraint("version_id", "posyandu_id"),
        *_non_negative("months", "operational"),
    )
