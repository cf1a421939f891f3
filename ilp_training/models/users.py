"""Site users, their roles and the place each role is bound to."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ilp_training.core.extensions import Model
from ilp_training.models.base import UTCDateTime, enum_column, utcnow
from ilp_training.models.regions import Puskesmas, Region


class Role(enum.StrEnum):
    """What a user may see and do; each role is bound to one place."""

    ADMIN = "admin"  # district health office (Dinkes): a regency
    COORDINATOR = "coordinator"  # a puskesmas
    TRAINER = "trainer"  # assessor bound to a puskesmas
    VILLAGE_HEAD = "village_head"  # a village
    PROVINCE = "province"  # provincial health office (Dinkes Provinsi): a province; read-only
    NATIONAL = "national"  # the ministry (Kemenkes): bound to no place; read-only


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"))
    puskesmas_id: Mapped[int | None] = mapped_column(sa.ForeignKey("puskesmas.id"))
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"))
    province_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    district: Mapped[Region | None] = relationship(foreign_keys=[district_id])
    puskesmas: Mapped[Puskesmas | None] = relationship()
    village: Mapped[Region | None] = relationship(foreign_keys=[village_id])
    province: Mapped[Region | None] = relationship(foreign_keys=[province_id])

    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'admin' AND district_id IS NOT NULL)"
            " OR (role IN ('coordinator', 'trainer') AND puskesmas_id IS NOT NULL)"
            " OR (role = 'village_head' AND village_id IS NOT NULL)"
            " OR (role = 'province' AND province_id IS NOT NULL)"
            " OR role = 'national'",
            name="role_bound_to_place",
        ),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def scope_label(self) -> str:
        """The name of the place this user's role is bound to (a national user's is the
        country's)."""
        if self.role == Role.NATIONAL:
            return "Indonesia"
        place = {
            Role.ADMIN: self.district,
            Role.COORDINATOR: self.puskesmas,
            Role.TRAINER: self.puskesmas,
            Role.VILLAGE_HEAD: self.village,
            Role.PROVINCE: self.province,
        }[self.role]
        return place.name if place is not None else ""


class UserSession(Model):
    """One signed-in browser of a user, so that a sign-in can be ended on the server.

    The browser holds a random token in its (signed) session cookie; the table holds only
    the token's SHA-256, so reading the table gives no usable session. A session whose row
    is gone (signed out, password changed, account deactivated, too old) is refused.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
