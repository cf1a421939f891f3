"""Cadres (kader posyandu) and their posyandu assignments over time."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ilp_training.core.extensions import Model
from ilp_training.models.base import UTCDateTime, enum_column, utcnow
from ilp_training.models.regions import Posyandu


class Sex(enum.StrEnum):
    FEMALE = "F"
    MALE = "M"


class CadreStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class Cadre(Model):
    """A posyandu cadre. NIK, phone and birth date are personal data (masked in lists)."""

    __tablename__ = "cadres"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(120), index=True)
    nik: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"))
    birth_date: Mapped[date | None]
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    posyandu_id: Mapped[int] = mapped_column(sa.ForeignKey("posyandu.id"), index=True)
    start_date: Mapped[date | None]
    status: Mapped[CadreStatus] = mapped_column(
        enum_column(CadreStatus, "cadre_status"), default=CadreStatus.ACTIVE
    )
    inactive_reason: Mapped[str | None] = mapped_column(sa.String(200))
    inactive_since: Mapped[date | None]
    bpjs_tk_enrolled: Mapped[bool] = mapped_column(default=False)
    bpjs_tk_number: Mapped[str | None] = mapped_column(sa.String(30))
    # Stored results of the assessments (kept current by services/assessments.py):
    level_code: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    level_since: Mapped[date | None]
    badge_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The packages whose every skill is mastered, as ",A,B," (delimited on both sides, so
    # that ``LIKE '%,A,%'`` finds a package in SQL); "" for none. Kept with the level.
    package_codes: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    last_assessed_on: Mapped[date | None]
    framework_version: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    posyandu: Mapped[Posyandu] = relationship()
    assignments: Mapped[list[CadreAssignment]] = relationship(
        back_populates="cadre", order_by="CadreAssignment.start_date"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "status = 'active' OR inactive_since IS NOT NULL", name="inactive_has_date"
        ),
    )

    @property
    def is_active(self) -> bool:
        return self.status == CadreStatus.ACTIVE


class CadreAssignment(Model):
    """One stretch of a cadre's service at a posyandu; a move closes one and opens another."""

    __tablename__ = "cadre_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadres.id"), index=True)
    posyandu_id: Mapped[int] = mapped_column(sa.ForeignKey("posyandu.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(sa.String(200))

    cadre: Mapped[Cadre] = relationship(back_populates="assignments")
    posyandu: Mapped[Posyandu] = relationship()
