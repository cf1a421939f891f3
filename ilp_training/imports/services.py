"""The life of an import: an upload is stored as a job and checked (in the request, or
by the worker above :data:`~.sheets.BACKGROUND_ROWS` rows); a refused file keeps its
problems, a good one its preview; confirming applies it, checked again against what is
stored then, in one transaction, once.

Once: confirming locks the job's row and applies only a job still *checked* (SQLite's
write lock does the same), so a confirm sent twice, or by two tabs at once, applies the
file once; the loser finds the job applied (or being applied) and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ilp_training.core.database import changed_rows
from ilp_training.core.extensions import db
from ilp_training.core.spreadsheets import Row, read_sheets
from ilp_training.imports.cadres import check_cadres
from ilp_training.imports.cells import Problem
from ilp_training.imports.checking import Plan, Progress, no_progress
from ilp_training.imports.posyandu import check_posyandu
from ilp_training.imports.results import check_results
from ilp_training.imports.sheets import BACKGROUND_ROWS, LIMITS, width
from ilp_training.models import ImportJob, ImportKind, ImportStatus, User, utcnow

CHECKS: dict[ImportKind, Callable[[User, list[Row], date, Progress], Plan]] = {
    ImportKind.POSYANDU: check_posyandu,
    ImportKind.CADRES: check_cadres,
    ImportKind.RESULTS: check_results,
}


def read_rows(kind: ImportKind, data: bytes) -> list[Row]:
    """The rows with content of the upload's first sheet (no database; refuses what is
    not a workbook within :data:`~.sheets.LIMITS` with a ``ServiceError`` on ``file``),
    JSON-safe: a date or time cell becomes its ``YYYY-MM-DD`` text (how the check reads
    a date written as text)."""
    def plain(value: Any) -> Any:
        return value.strftime("%Y-%m-%d") if isinstance(value, date | datetime) else value

    return [(number, tuple(plain(v) for v in values))
            for number, values in read_sheets(data, LIMITS, (width(kind),))[0]]


def create_job(actor: User, kind: ImportKind, filename: str, rows: list[Row]) -> ImportJob:
    """Store the rows read from an upload (:func:`read_rows`) as a job to check."""
    job = ImportJob(kind=kind, requested_by=actor, filename=filename[:200] or "upload.xlsx",
                    cells=[[number, list(values)] for number, values in rows],
                    rows=len(rows), status=ImportStatus.CHECKING,
                    background=len(rows) > BACKGROUND_ROWS)
    db.session.add(job)
    db.session.flush()
    return job


def rows_of(job: ImportJob) -> list[Row]:
    """The job's rows as read from the upload."""
    return [(int(number), tuple(values)) for number, values in job.cells]


def _plan(job: ImportJob, today: date, progress: Progress) -> Plan:
    return CHECKS[job.kind](job.requested_by, rows_of(job), today, progress)


def plan_job(job: ImportJob, today: date, progress: Progress = no_progress) -> Plan:
    """What the job's rows would do now (reads only)."""
    return _plan(job, today, progress)


def store_check(job: ImportJob, plan: Plan) -> ImportJob:
    """Keep a check's outcome: *refused* with every problem, or *checked* with the
    preview."""
    if plan.problems:
        _refuse(job, plan.problems)
    else:
        job.status, job.preview = ImportStatus.CHECKED, plan.preview()
    db.session.flush()
    return job


def _refuse(job: ImportJob, problems: list[Problem]) -> None:
    job.status = ImportStatus.REFUSED
    job.errors = [p.as_json() for p in problems]
    job.finished_at = utcnow()


def check_job(job: ImportJob, today: date, progress: Progress = no_progress) -> ImportJob:
    """Check the job's rows; it becomes *refused* (with every problem) or *checked*
    (with the preview). Changes nothing else."""
    return store_check(job, _plan(job, today, progress))


def lock_job(job_id: int) -> ImportJob:
    """The job's row, locked for this transaction (PostgreSQL; SQLite's write lock is
    already held by a writing transaction) and read afresh."""
    job = db.session.scalars(sa.select(ImportJob).where(ImportJob.id == job_id)
                             .with_for_update()
                             .execution_options(populate_existing=True)).one()
    return job


def claim(job_id: int, lease_until: Any = None) -> ImportJob | None:
    """For a background apply: mark a *checked* job *applying* (locked first); ``None``
    if it is not *checked* any more (applied, or claimed by another confirm)."""
    job = lock_job(job_id)
    if job.status != ImportStatus.CHECKED:
        return None
    job.status, job.leased_until = ImportStatus.APPLYING, lease_until
    db.session.flush()
    return job


def apply_job(job: ImportJob, today: date, progress: Progress = no_progress) -> ImportJob:
    """Check the rows again against what is stored now and apply them, in the caller's
    transaction (the job locked by the caller): *done* with what changed, or *refused*
    with the problems found now (nothing applied)."""
    plan = _plan(job, today, progress)
    if plan.problems or plan.apply is None:
        _refuse(job, plan.problems)
        db.session.flush()
        return job
    job.result = plan.apply(progress)
    job.status, job.finished_at, job.leased_until = ImportStatus.DONE, utcnow(), None
    db.session.flush()
    return job


def fail_job(job_id: int, message: str) -> None:
    """Record that the work broke (after a rollback: nothing applied), in its own commit."""
    job = db.session.get(ImportJob, job_id)
    if job is not None and job.status in (ImportStatus.CHECKING, ImportStatus.APPLYING):
        job.status, job.failure, job.finished_at = ImportStatus.FAILED, message[:500], utcnow()
        db.session.commit()


def problems_of(job: ImportJob) -> list[Problem]:
    return [Problem.from_json(item) for item in job.errors or []]


ENDED = (ImportStatus.REFUSED, ImportStatus.DONE, ImportStatus.FAILED)


def prune_uploads(max_age: timedelta) -> int:
    """Forget the rows of the uploads whose import ended (refused, done or failed) more
    than ``max_age`` ago: they hold NIK, phone and birth dates. The job's outcome (its
    problems, preview and result) stays. Returns how many jobs were cleared (flushes)."""
    return changed_rows(sa.update(ImportJob).where(
        ImportJob.status.in_(ENDED), ImportJob.created_at < utcnow() - max_age,
        sa.cast(ImportJob.cells, sa.Text) != "[]").values(cells=[]))


def upload_kept(job: ImportJob) -> bool:
    """Whether the job still holds its upload's rows (see :func:`prune_uploads`)."""
    return bool(job.cells)
