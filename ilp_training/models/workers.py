"""The background workers' heartbeats: one row per ``flask worker`` process."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ilp_training.core.extensions import Model
from ilp_training.models.base import UTCDateTime, utcnow


class WorkerHeartbeat(Model):
    """A running (or stopped, or vanished) ``flask worker``: where it runs, which queue
    it consumes, when it started and when it last said it was alive
    (``core/heartbeat.py``). ``stopped_at`` is set by a worker that stopped cleanly; a
    worker killed or cut off just stops beating."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker: Mapped[str] = mapped_column(sa.String(300), unique=True)  # host:pid:started
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    queue: Mapped[str] = mapped_column(sa.String(300))  # "redis ilp-training", "sqlite …"
    processes: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
