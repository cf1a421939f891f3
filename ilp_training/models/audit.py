"""The append-only audit log and the rate-limit events table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ilp_training.core.extensions import Model
from ilp_training.models.base import UTCDateTime, utcnow
from ilp_training.models.users import User


class AuditEntry(Model):
    """Who did what to which record, when, with old and new values.

    ``changes`` maps a field name to ``[old, new]`` (JSON-safe values). Rows are never
    updated or deleted: the ORM refuses it (see the listeners below).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(40))
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    user: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_audit_log_entity", "entity", "entity_id"),)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_change(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise PermissionError("the audit log is append-only")


class RateEvent(Model):
    """One counted event (a failed login, a public lookup) for rate limiting by key."""

    __tablename__ = "rate_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.Index("ix_rate_events_key_at", "key", "at"),)
