"""Background work of large imports (on the app's queue, :mod:`ilp_training.core.queue`):
the check and the apply of a file above :data:`~.sheets.BACKGROUND_ROWS` rows. Each runs
in one transaction that a dead worker's end rolls back; :func:`recover_imports` (every
minute) queues again the jobs whose lease ran out and that no queued task will run.
Progress (rows done) is kept in the queue's own store, beside the database, so that a
page can read it while the apply's transaction is open."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from huey import crontab

from ilp_training.core.database import begin_writes
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.queue import Queue, queue
from ilp_training.imports.checking import Progress
from ilp_training.imports.services import (
    apply_job,
    fail_job,
    lock_job,
    plan_job,
    store_check,
)
from ilp_training.imports.services import (
    prune_uploads as prune_uploads_older,
)
from ilp_training.models import ImportJob, ImportStatus, utcnow

_KEY = "import-progress:{}"


def lease_until() -> datetime:
    return utcnow() + timedelta(seconds=current_app.config.get("BULK_LEASE_SECONDS", 600))


def reporter(job_id: int) -> Progress:
    def report(done: int) -> None:
        queue().huey.put(_KEY.format(job_id), done)
    return report


def progress_of(job_id: int) -> int:
    """Rows checked or applied so far by the running task (0 when none is known)."""
    try:
        value = queue().huey.get(_KEY.format(job_id), peek=True)
    except Exception:  # the store unreachable: the page shows no progress, not an error
        return 0
    return int(value) if isinstance(value, int) else 0


def _run(job_id: int, status: ImportStatus) -> None:
    """A check is made in a reading transaction (as a ``GET``'s: on SQLite no write lock
    is held meanwhile); the job is then locked and, if it is still in ``status``, the
    check stored or the apply made (checked again under the lock)."""
    report = reporter(job_id)
    report(0)
    with current_app.test_request_context():  # reads first (database.request_writes)
        job = db.session.get(ImportJob, job_id)
        if job is None or job.status != status:
            return
        plan = plan_job(job, local_today(), report) \
            if status == ImportStatus.CHECKING else None
        begin_writes()
        job = lock_job(job_id)
        if job.status != status:
            db.session.rollback()
            return
        if plan is not None:
            store_check(job, plan)
        else:
            apply_job(job, local_today(), report)
        db.session.commit()


def _task(job_id: int, status: ImportStatus) -> None:
    try:
        _run(job_id, status)
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("import %s failed", job_id)
        fail_job(job_id, f"{type(exc).__name__}: {exc}")
        raise


def check_import(job_id: int) -> None:
    """Check a stored upload (idempotent: only a job still *checking*)."""
    _task(job_id, ImportStatus.CHECKING)


def apply_import(job_id: int) -> None:
    """Apply a confirmed upload in one transaction (only a job still *applying*)."""
    _task(job_id, ImportStatus.APPLYING)


def queue_job(job: ImportJob) -> None:
    """Queue the work of a committed job in *checking* or *applying*."""
    queue()[check_import if job.status == ImportStatus.CHECKING else apply_import](job.id)


def recover_imports() -> list[int]:
    """Queue again the background jobs left *checking* or *applying* by a worker that
    died (lease run out, no task queued for them); returns their ids."""
    kinds = (queue()[check_import].task_class, queue()[apply_import].task_class)
    pending = {task.args[0] for task in queue().huey.pending() if isinstance(task, kinds)}
    jobs = list(db.session.scalars(sa.select(ImportJob).where(
        ImportJob.status.in_([ImportStatus.CHECKING, ImportStatus.APPLYING]),
        ImportJob.background.is_(True), ImportJob.leased_until < utcnow())))
    found = [job for job in jobs if job.id not in pending]
    for job in found:
        job.leased_until = lease_until()
    db.session.commit()
    for job in found:
        queue_job(job)
    return [job.id for job in found]


def recover_import_jobs() -> None:
    """Every minute: take up the imports of workers that died."""
    found = recover_imports()
    if found:
        current_app.logger.warning("imports queued again after a worker stopped: %s", found)


def prune_uploads(config: Mapping[str, Any]) -> int:
    """The hourly housekeeping's part for imports (``core.housekeeping.add_pruner``): the
    rows of uploads whose import ended ``IMPORT_KEEP_DAYS`` ago are forgotten."""
    return prune_uploads_older(timedelta(days=int(config["IMPORT_KEEP_DAYS"])))


def register(jobs: Queue) -> None:
    """The imports' tasks on the app's queue (``create_app``)."""
    jobs.task(check_import, retries=0)
    jobs.task(apply_import, retries=0)
    jobs.periodic_task(recover_import_jobs, crontab(), retries=0)
