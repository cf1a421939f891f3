"""The workers' heartbeats: is the background work being done, seen from any app server.

**Where.** A row per ``flask worker`` in the table ``worker_heartbeats`` of the site's
database, not a Redis key: the database is the one thing every app server and every
worker shares whichever queue is configured (a SQLite queue file is per machine), an
admin page reads it with the rest of the site's data, and a stopped worker leaves its
row behind (a key with a time-to-live would just vanish, and with it the warning).

**How.** :class:`Heartbeat` runs in the ``flask worker`` process that supervises the
consumer (huey's own worker processes are its children): a daemon thread writes the row
at start and then every ``WORKER_HEARTBEAT_SECONDS`` (15), on an engine of its own
without a pool (a connection opened and closed per beat, so that no pooled connection
is inherited by a worker process forked later); a clean stop sets ``stopped_at``. A
worker killed, frozen or cut off from the database stops beating: once its last beat is
older than four intervals (:func:`stale_after`) it is *stale*, shown as a warning to the
admins (``admin.workers``) and as ``"worker": "stale"`` by ``/healthz`` (information:
the site itself still answers). Rows not seen for :data:`KEEP_DAYS` are pruned by the
housekeeping.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from ilp_training.core.database import changed_rows, sqlite_engine_options
from ilp_training.core.extensions import db
from ilp_training.models import WorkerHeartbeat, utcnow

MISSED_BEATS = 4  # a worker is stale after this many intervals without a beat
KEEP_DAYS = 7  # rows of workers not seen for this long are pruned


def stale_after(config: Mapping[str, Any]) -> timedelta:
    """How long without a beat makes a worker stale: four heartbeat intervals."""
    return timedelta(seconds=MISSED_BEATS * int(config["WORKER_HEARTBEAT_SECONDS"]))


@dataclass(frozen=True)
class WorkerState:
    """A worker as the admins see it."""

    worker: str
    host: str
    pid: int
    queue: str
    processes: int
    started_at: datetime
    last_seen: datetime
    stopped_at: datetime | None
    silent_minutes: int  # whole minutes since the last beat
    stale: bool  # not stopped, and silent for longer than stale_after


def worker_states(now: datetime, stale: timedelta) -> list[WorkerState]:
    """Every worker with a row, the running ones first, the most recently seen first."""
    rows = db.session.scalars(sa.select(WorkerHeartbeat).order_by(
        WorkerHeartbeat.stopped_at.is_not(None), WorkerHeartbeat.last_seen.desc()))
    return [WorkerState(
        row.worker, row.host, row.pid, row.queue, row.processes, row.started_at,
        row.last_seen, row.stopped_at, int((now - row.last_seen).total_seconds() // 60),
        row.stopped_at is None and now - row.last_seen > stale) for row in rows]


def overall(now: datetime, stale: timedelta) -> str:
    """One word for ``/healthz``: ``ok`` (a running worker beat recently), ``stale``
    (running workers, none heard from lately) or ``none`` (no running worker)."""
    newest = db.session.scalar(sa.select(sa.func.max(WorkerHeartbeat.last_seen)).where(
        WorkerHeartbeat.stopped_at.is_(None)))
    if newest is None:
        return "none"
    return "ok" if now - newest <= stale else "stale"


def prune_heartbeats(config: Mapping[str, Any]) -> int:
    """Delete the rows of workers not seen for :data:`KEEP_DAYS` days; how many."""
    return changed_rows(sa.delete(WorkerHeartbeat).where(
        WorkerHeartbeat.last_seen < utcnow() - timedelta(days=KEEP_DAYS)))


class Heartbeat:
    """The beating thread of one ``flask worker`` (see the module docstring)."""

    def __init__(self, config: Mapping[str, Any], queue: str, processes: int) -> None:
        self.interval = int(config["WORKER_HEARTBEAT_SECONDS"])
        self.engine = sa.create_engine(config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool,
                                       **sqlite_engine_options(config))
        self.started_at = utcnow()
        self.host, self.pid = socket.gethostname()[:255], os.getpid()
        self.worker = f"{self.host}:{self.pid}:{self.started_at:%Y%m%dT%H%M%S}"
        self.queue, self.processes = queue[:300], processes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        """Write the first beat now (a database that cannot be written stops the start),
        then beat in the background."""
        self.beat()
        self._thread.start()

    def beat(self, stopped: bool = False) -> None:
        """Write this worker's row: its last beat now (and its clean stop)."""
        now = utcnow()
        row = WorkerHeartbeat
        with self.engine.begin() as conn:
            values: dict[str, Any] = {"last_seen": now}
            if stopped:
                values["stopped_at"] = now
            done = conn.execute(sa.update(row).where(row.worker == self.worker)
                                .values(**values)).rowcount
            if not done:
                conn.execute(sa.insert(row).values(
                    worker=self.worker, host=self.host, pid=self.pid, queue=self.queue,
                    processes=self.processes, started_at=self.started_at, **values))

    def stop(self) -> None:
        """Stop beating and record the clean stop."""
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)
        try:
            self.beat(stopped=True)
        finally:
            self.engine.dispose()

    def _run(self) -> None:
        import logging

        log = logging.getLogger("ilp_training.heartbeat")
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:  # a database away for a while: try again next time
                log.exception("heartbeat of %s not written", self.worker)
