"""Spreadsheet imports (posyandu, cadres, paper-era results): one row per uploaded file,
from the check to the apply."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ilp_training.core.extensions import Model
from ilp_training.models.base import UTCDateTime, enum_column, utcnow
from ilp_training.models.users import User


class ImportKind(enum.StrEnum):
    POSYANDU = "posyandu"
    CADRES = "cadres"
    RESULTS = "results"  # paper-era results


class ImportStatus(enum.StrEnum):
    """checking → refused (bad rows) | checked (preview) → applying → done; failed when
    the work itself broke (nothing applied)."""

    CHECKING = "checking"
    REFUSED = "refused"
    CHECKED = "checked"
    APPLYING = "applying"
    DONE = "done"
    FAILED = "failed"


class ImportJob(Model):
    """An uploaded sheet: the rows read from it, what the check found (the bad rows, or the
    preview), and what the apply changed. Seen only by the user who uploaded it."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(enum_column(ImportKind, "import_kind"))
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    # The rows read from the upload, [row number, [cell, …]] each, JSON-safe (dates as
    # YYYY-MM-DD): read once, in the request, so neither the worker nor a second look
    # parses the workbook again.
    cells: Mapped[list[Any]] = mapped_column(sa.JSON, deferred=True)
    rows: Mapped[int] = mapped_column(default=0)  # rows with content
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "import_status"), default=ImportStatus.CHECKING)
    background: Mapped[bool] = mapped_column(default=False)  # checked by the worker
    errors: Mapped[list[Any] | None] = mapped_column(sa.JSON)  # [[row, column, msgid, args]]
    preview: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    failure: Mapped[str | None] = mapped_column(sa.String(500))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requested_by: Mapped[User] = relationship()
