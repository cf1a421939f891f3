"""The bulk certificate job, run by the worker (``flask worker``) outside any request.

A job module, not a service: each function here commits its own units of work, so that a
worker killed at any moment leaves a state the next one resumes, and reads the app's
config (``BULK_LEASE_SECONDS``, ``BULK_TEST_DELAY_MS``, the default locale), passing plain
values to the services of ``services/bulk.py``, which only flush. The rules (parts,
leases, reserved serials, recovery) are written there.

A part is two units: :func:`take_part` commits its lease and reserved serials before the
slow rendering; :func:`run_part` then commits its certificates, failures, counters and
"done" together, and the last part joins the print file (:func:`finish_job`). A worker
that dies (killed, out of memory, the machine restarted) loses the task it was running:
:func:`recover_jobs` queues again the parts that no live worker holds and no queued task
will run; ``flask worker`` calls it before it starts consuming, and every worker's
scheduler every minute.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from huey import crontab

from ilp_training.certificates.services import bulk
from ilp_training.certificates.services.documents import (
    merge,
    render_certificate_files,
    render_certificates,
)
from ilp_training.certificates.services.documents import warm_up as warm_up_renderer
from ilp_training.certificates.services.issuing import Prepared
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.queue import Queue, queue
from ilp_training.models import BulkJob, User, utcnow


def worker_id() -> str:
    """This process as a lease holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(holder: str) -> bool:
    """Whether the lease holder (``host:pid``) may still be running: on this host, its
    process exists and is not a zombie; on another host we cannot tell (its lease
    expires instead)."""
    host, _sep, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def issue_bulk_part(job_id: int, index: int) -> None:
    """The task: issue one part of a bulk job (idempotent: a part done is skipped); a
    part that cannot run at all fails its job."""
    try:
        run_part(job_id, index)
    except Exception as exc:
        current_app.logger.exception("bulk job %s part %s failed", job_id, index)
        fail_job(job_id, f"{type(exc).__name__}: {exc}")
        raise


def queue_bulk_job(job_id: int, parts: int) -> None:
    """Queue every part of a committed job."""
    task = queue()[issue_bulk_part]
    for index in range(parts):
        task(job_id, index)


def run_part(job_id: int, index: int) -> None:
    """Issue the certificates of one part, store them, count them, and commit. Reasons
    for failures are written in the language of the user who asked for the job."""
    locale = db.session.scalar(sa.select(User.locale).join(
        BulkJob, BulkJob.requested_by_id == User.id).where(BulkJob.id == job_id))
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        _run_part(job_id, index)


def take_part(job_id: int, index: int, holder: str) -> bulk.Part | None:
    """The first unit: lease the part for ``BULK_LEASE_SECONDS`` and reserve its serials
    (``services/bulk.open_part``), committed, so that a run after a crash reuses them and
    no lock is held while rendering. A part whose workers stopped too often fails its
    job."""
    lease = timedelta(seconds=current_app.config["BULK_LEASE_SECONDS"])
    try:
        work = bulk.open_part(job_id, index, holder, utcnow(), lease, local_today())
    except bulk.TooManyAttempts as exc:
        db.session.commit()  # the attempt is counted
        fail_job(job_id, str(exc))
        return None
    db.session.commit()
    return work


def _run_part(job_id: int, index: int) -> None:
    holder = worker_id()
    work = take_part(job_id, index, holder)
    if work is None:
        return  # gone, finished, failed, done, or held by a live worker
    pdf, issued = _render(work)
    last = bulk.store_part(job_id, index, holder, work, pdf, issued)
    if last is None:
        db.session.rollback()  # another run finished it, or took it over
        return
    db.session.commit()  # the second unit: certificates, failures, counters, "done"
    if last:
        finish_job(job_id)


def _render(work: bulk.Part) -> tuple[bytes, list[tuple[Prepared, bytes]]]:
    """The part's print PDF and each certificate's own PDF; when the part fails as a
    whole, one by one, so that only the certificate that breaks it is lost."""
    delay = current_app.config["BULK_TEST_DELAY_MS"]
    if delay:  # tests only: time to stop the worker in the middle of a job
        time.sleep(delay * len(work.pages) / 1000)
    try:
        pdf, singles = render_certificate_files(work.pages)
        return pdf, list(zip(work.ready, singles, strict=True))
    except Exception:
        current_app.logger.exception("a bulk part failed; rendering one by one")
    issued = []
    for item, page in zip(work.ready, work.pages, strict=True):
        try:
            issued.append((item, render_certificates([page])))
        except Exception as exc:
            current_app.logger.exception("certificate of cadre %s failed", item.cadre_id)
            work.failures.append((item.cadre_id, str(_l(
                "The document could not be made: %(error)s", error=type(exc).__name__))))
    return merge([single for _item, single in issued]) if issued else b"", issued


def finish_job(job_id: int) -> None:
    """Join the parts into the print file and mark the job done, committed; a job
    already finished is left alone."""
    if bulk.finish(job_id, utcnow()):
        db.session.commit()
    else:
        db.session.rollback()


def fail_job(job_id: int, error: str) -> None:
    """Mark a job failed when a part could not run at all, committed (whatever the part
    had begun is rolled back first)."""
    db.session.rollback()
    bulk.fail(job_id, error, utcnow())
    db.session.commit()


def recover_jobs() -> tuple[list[tuple[int, int]], list[int]]:
    """Queue again the parts of open jobs that a dead worker left (see
    :func:`~ilp_training.certificates.services.bulk.parts_to_requeue`) and join the print
    file of jobs whose last part finished without it; returns both (in an app context)."""
    task = queue()[issue_bulk_part]
    pending = {(item.args[0], item.args[1]) for item in queue().huey.pending()
               if isinstance(item, task.task_class)}
    parts, unjoined = bulk.parts_to_requeue(pending, process_alive, utcnow())
    db.session.commit()
    for job_id, index in parts:
        task(job_id, index)
    for job_id in unjoined:
        finish_job(job_id)
    return parts, unjoined


def recover_bulk_jobs() -> None:
    """Every minute: take up the bulk jobs of workers that died."""
    parts, _unjoined = recover_jobs()
    if parts:
        current_app.logger.warning("bulk parts queued again after a worker stopped: %s", parts)


def _recover_at_start() -> str | None:
    parts, unjoined = recover_jobs()
    if parts or unjoined:
        return f"Bulk jobs taken up again: parts {parts}, print files {unjoined}."
    return None


def warm_up() -> None:
    """In each worker process, before its first task: lay out one certificate page, so
    that loading fonts and templates is not paid by a user's job."""
    warm_up_renderer()


def register(jobs: Queue) -> None:
    """The certificates' tasks on the app's queue (``create_app``)."""
    jobs.task(issue_bulk_part, retries=0)
    jobs.periodic_task(recover_bulk_jobs, crontab(), retries=0)
    jobs.on_startup(warm_up)
    jobs.on_worker_start(_recover_at_start)
