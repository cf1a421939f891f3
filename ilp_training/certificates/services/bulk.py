"""Issuing many certificates outside the request, in parts, with progress.

A job snapshots the cadres whose certificate is due and splits them into parts of
``BULK_PART_SIZE`` (50). The worker renders each part as one document (fast: one layout
context, one embedded font, one shared layer), cuts it into single-page PDFs that are
stored as the individual certificates, and keeps the part for the print file. Counters
on the job are updated atomically, so parts may run in parallel; the part that completes
the job joins the print file. A cadre that cannot be certified is recorded by name with
the reason and the others go on.

Rules:

- *One open job per target*: while a job is queued or running, a job for an overlapping
  target is refused with a link to it. Level jobs overlap when they share a posyandu (a
  posyandu and the puskesmas that serves it, or the same one twice); a training job
  overlaps a job for the same training only.
- *Resumable*: a part is two units of work, each committed by the job
  (``certificates/jobs.py``) so that a restarted worker can resume: first its lease and
  reserved serials (cadre → serial, :func:`open_part`), then, after rendering, its
  certificates, failures, counters and the part marked done, all at once
  (:func:`store_part`). A part run again (its worker died) reuses its serials and issues
  only what is not yet issued. :func:`parts_to_requeue` finds the parts that no live
  worker holds and no queued task will run (at worker start and every minute); a part
  whose worker died ``MAX_ATTEMPTS`` times fails the job.
- *Serial gaps are explained*: a reserved serial that ends on no certificate (the cadre
  was no longer due, or its page failed) is recorded in the audit log (``void_serials``).
- *The print file holds valid certificates only*: it is filtered when downloaded, so a
  certificate superseded or revoked since is not printed.

These are services: plain arguments, ``flush()``, never a commit or the app's config.
The job module ``certificates/jobs.py`` runs them in the worker and commits each unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ilp_training.certificates.services.documents import keep_pages, merge
from ilp_training.certificates.services.issuing import (
    Prepared,
    cadres_due,
    due_clause,
    page_for,
    prepare,
    store,
    void_serials,
)
from ilp_training.core import audit
from ilp_training.core.curricula import framework_on
from ilp_training.core.database import changed_rows
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.models import (
    BulkJob,
    BulkJobFailure,
    BulkJobPart,
    Cadre,
    Certificate,
    CertificateStatus,
    JobStatus,
    Posyandu,
    Puskesmas,
    TrainingEvent,
    User,
)
from ilp_training.scope import posyandu_clause

MAX_ATTEMPTS = 3
OPEN = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobOpen(ServiceError):
    """A job for an overlapping target is still open: ``job_id`` is the one to follow."""

    def __init__(self, job_id: int) -> None:
        super().__init__(_l("These certificates are already being issued by a job that "
                            "has not finished; here it is."))
        self.job_id = job_id


class TooManyAttempts(Exception):
    """A part whose worker stopped ``MAX_ATTEMPTS`` times: the job is to fail."""


def _overlapping(target: Posyandu | Puskesmas | TrainingEvent) -> sa.ColumnElement[bool]:
    if isinstance(target, TrainingEvent):
        return sa.and_(BulkJob.scope_kind == "training", BulkJob.scope_id == target.id)
    puskesmas_id = target.id if isinstance(target, Puskesmas) else target.puskesmas_id
    posyandu = (sa.select(Posyandu.id).where(Posyandu.puskesmas_id == puskesmas_id)
                .scalar_subquery() if isinstance(target, Puskesmas) else [target.id])
    return sa.or_(sa.and_(BulkJob.scope_kind == "puskesmas", BulkJob.scope_id == puskesmas_id),
                  sa.and_(BulkJob.scope_kind == "posyandu", BulkJob.scope_id.in_(posyandu)))


def _lock_target(target: Posyandu | Puskesmas | TrainingEvent) -> None:
    """Serialize job starts for one puskesmas (its posyandu and itself) or one training:
    PostgreSQL locks that row; SQLite's transactions hold the write lock already."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    if isinstance(target, TrainingEvent):
        stmt = sa.select(TrainingEvent.id).where(TrainingEvent.id == target.id)
    else:
        puskesmas_id = target.id if isinstance(target, Puskesmas) else target.puskesmas_id
        stmt = sa.select(Puskesmas.id).where(Puskesmas.id == puskesmas_id)
    db.session.execute(stmt.with_for_update())


def start_bulk(actor: User, target: Posyandu | Puskesmas | TrainingEvent, language: str,
               today: date, part_size: int, public_base_url: str) -> BulkJob:
    """Create the job for every due certificate of ``target``, split into parts of
    ``part_size`` cadres (the caller commits, then queues one task per part): the level
    certificates of a posyandu or puskesmas, or the certificates of a training event for
    its participants in the actor's area. Refused without the site's public address
    (``public_base_url``: the worker has no request to take it from), and
    (:class:`JobOpen`) while a job for an overlapping target is open."""
    if language not in ("id", "en"):
        raise ServiceError(_l("Choose a language."), "language")
    if not public_base_url:
        raise ServiceError(_l("The site's public address (PUBLIC_BASE_URL) is not set, so the "
                              "QR codes cannot be made outside this page. Ask the "
                              "administrator to set it."))
    _lock_target(target)
    open_job = db.session.scalar(sa.select(BulkJob.id).where(
        BulkJob.status.in_(OPEN), _overlapping(target)).order_by(BulkJob.id))
    if open_job is not None:
        raise JobOpen(open_job)
    event = None
    if isinstance(target, Posyandu):
        kind, label, clause = "posyandu", f"Posyandu {target.name}", Posyandu.id == target.id
    elif isinstance(target, Puskesmas):
        kind, label = "puskesmas", f"Puskesmas {target.name}"
        clause = Posyandu.puskesmas_id == target.id
    else:
        kind, label, clause, event = "training", target.title, posyandu_clause(actor), target
    cadre_ids = [c.id for c in cadres_due(clause, event)]
    if not cadre_ids:
        raise ServiceError(_l("No certificate is due here."))
    parts = [cadre_ids[i:i + part_size] for i in range(0, len(cadre_ids), part_size)]
    job = BulkJob(scope_kind=kind, scope_id=target.id, scope_label=label, language=language,
                  requested_by=actor, total=len(cadre_ids), parts_total=len(parts),
                  issued_on=today)
    db.session.add(job)
    db.session.flush()
    db.session.add_all(BulkJobPart(job_id=job.id, index=i, cadre_ids=ids)
                       for i, ids in enumerate(parts))
    audit.record(actor, "bulk_issue", "bulk_job", job.id,
                 {"scope": [None, label], "certificates": [None, len(cadre_ids)]})
    db.session.flush()
    return job


@dataclass
class Part:
    """What a part needs once its first unit is committed (plain data, no locks)."""

    ready: list[Prepared]
    pages: list[dict[str, Any]]
    failures: list[tuple[int, str]]
    names: dict[int, str]
    serials: list[str]
    language: str
    requester_id: int
    issued_on: date


def _take(job_id: int, index: int, holder: str, now: datetime, lease: timedelta) -> bool:
    """Lease the part to ``holder`` unless it is done or another worker's lease runs."""
    taken = db.session.execute(
        sa.update(BulkJobPart).where(
            BulkJobPart.job_id == job_id, BulkJobPart.index == index,
            BulkJobPart.pdf.is_(None),
            sa.or_(BulkJobPart.leased_until.is_(None), BulkJobPart.leased_until < now,
                   BulkJobPart.leased_by == holder))
        .values(leased_by=holder, leased_until=now + lease,
                attempts=BulkJobPart.attempts + 1))
    return bool(taken)


def open_part(job_id: int, index: int, holder: str, now: datetime, lease: timedelta,
              today: date) -> Part | None:
    """Lease the part to ``holder`` for ``lease``, mark the job running, take the part's
    cadres still due, reserve their serials on the part (or reuse those reserved by an
    earlier run) and build their pages (flushes; the job commits before rendering, so
    that no lock is held meanwhile). ``None`` when the job is gone or finished or the part
    done or held by a live worker; :class:`TooManyAttempts` (after the attempt is
    counted) when its workers stopped ``MAX_ATTEMPTS`` times. Certificates are dated the
    job's day, or ``today`` for a job from before the day was recorded."""
    job = db.session.get(BulkJob, job_id)
    if job is None or job.status not in OPEN or not _take(job_id, index, holder, now, lease):
        return None
    part = db.session.get_one(BulkJobPart, (job_id, index))
    if part.attempts > MAX_ATTEMPTS:
        raise TooManyAttempts(f"part {index + 1} was started {MAX_ATTEMPTS} times and its "
                              "worker stopped each time")
    db.session.execute(sa.update(BulkJob).where(BulkJob.id == job_id,
                                                BulkJob.status == JobStatus.QUEUED)
                       .values(status=JobStatus.RUNNING))
    day = job.issued_on or today
    event = (db.session.get(TrainingEvent, job.scope_id) if job.scope_kind == "training"
             else None)
    cadres = db.session.scalars(
        sa.select(Cadre).where(Cadre.id.in_(part.cadre_ids), due_clause(event))
        .options(selectinload(Cadre.posyandu))).all()
    by_id = {c.id: c for c in cadres}
    failures = [(cid, str(_l("No longer due."))) for cid in part.cadre_ids if cid not in by_id]
    reserved = {int(cid): serial for cid, serial in (part.serials or {}).items()}
    ready, refused = prepare([by_id[c] for c in part.cadre_ids if c in by_id],
                             framework_on(day), day, event, reserved)
    failures += [(c.id, reason) for c, reason in refused]
    part.serials = {str(cid): serial for cid, serial in reserved.items()} | {
        str(item.cadre_id): item.claim["serial"] for item in ready}
    db.session.flush()
    return Part(ready, [page_for(item, job.language) for item in ready], failures,
                {c.id: c.full_name for c in cadres} | _names(cid for cid, _r in failures),
                list(part.serials.values()), job.language, job.requested_by_id, day)


def store_part(job_id: int, index: int, holder: str, work: Part, pdf: bytes,
               issued: list[tuple[Prepared, bytes]]) -> bool | None:
    """Store the part's rendered certificates (``issued``; ``pdf`` the part's print pages)
    with its failures, void serials and counters, and mark the part done (flushes; the
    job commits it as one unit). ``None`` when the part is no longer ``holder``'s (another
    run finished it or took it over: the job rolls back); else whether it was the job's
    last part."""
    # The part is ours and not done (its row locked on PostgreSQL until the commit).
    still_ours = db.session.execute(sa.update(BulkJobPart).where(
        BulkJobPart.job_id == job_id, BulkJobPart.index == index, BulkJobPart.pdf.is_(None),
        BulkJobPart.leased_by == holder).values(leased_until=None))
    if not still_ours:
        return None
    requester = db.session.get_one(User, work.requester_id)
    certs, dropped = store(requester, issued, work.language, work.issued_on, bulk_job_id=job_id)
    if dropped:
        gone = {id(item) for item, _reason in dropped}
        pdf = keep_pages(pdf, [i for i, (item, _pdf) in enumerate(issued)
                               if id(item) not in gone])
        work.failures += [(item.cadre_id, reason) for item, reason in dropped]
    void_serials(requester, job_id, sorted(set(work.serials) - {c.serial for c in certs}),
                 f"bulk job {job_id} part {index + 1}: not issued")
    db.session.add_all(BulkJobFailure(job_id=job_id, cadre_id=cid, reason=reason[:300],
                                      holder_name=work.names.get(cid, "?"))
                       for cid, reason in work.failures)
    part = db.session.get_one(BulkJobPart, (job_id, index))
    part.pdf, part.certificate_ids = (pdf if certs else b""), [c.id for c in certs]
    parts_done, parts_total = db.session.execute(
        sa.update(BulkJob).where(BulkJob.id == job_id)
        .values(done=BulkJob.done + len(certs), failed=BulkJob.failed + len(work.failures),
                parts_done=BulkJob.parts_done + 1)
        .returning(BulkJob.parts_done, BulkJob.parts_total)).one()
    db.session.flush()
    return bool(parts_done == parts_total)


def _names(cadre_ids: Iterable[int]) -> dict[int, str]:
    ids = list(cadre_ids)
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Cadre.id, Cadre.full_name)
                                   .where(Cadre.id.in_(ids))).all())


def finish(job_id: int, now: datetime) -> bool:
    """Join the parts into the print file and mark the job done (flushes); ``False`` for
    a job already finished (left alone, so two finishers make one print file)."""
    mine = changed_rows(sa.update(BulkJob).where(
        BulkJob.id == job_id, BulkJob.finished_at.is_(None), BulkJob.status.in_(OPEN))
        .values(finished_at=now))  # locks the job row on PostgreSQL
    if not mine:
        return False
    job = db.session.get_one(BulkJob, job_id)
    parts = db.session.scalars(sa.select(BulkJobPart).where(BulkJobPart.job_id == job_id)
                               .order_by(BulkJobPart.index)).all()
    pdfs = [p.pdf for p in parts if p.pdf]
    job.result_pdf = merge(pdfs) if pdfs else None
    job.status = JobStatus.DONE if job.done else JobStatus.FAILED
    for part in parts:
        part.pdf = b""  # the print file holds them now; keep the row as "done"
    db.session.flush()
    return True


def fail(job_id: int, error: str, now: datetime) -> None:
    """Mark a job failed when a part could not run at all (flushes)."""
    db.session.execute(sa.update(BulkJob).where(BulkJob.id == job_id).values(
        status=JobStatus.FAILED, error=error[:500], finished_at=now))


def parts_to_requeue(pending: set[tuple[int, int]], alive: Callable[[str], bool],
                     now: datetime) -> tuple[list[tuple[int, int]], list[int]]:
    """After a worker's death: the parts of open jobs that are not done, not held by a
    live worker (``alive(holder)``; their lease is cleared) and not waiting in the queue
    (``pending``: job id and part index of the queued tasks), to be queued again; and the
    open jobs whose parts are all done but whose print file was never joined (flushes)."""
    rows = db.session.execute(
        sa.select(BulkJobPart.job_id, BulkJobPart.index, BulkJobPart.leased_by,
                  BulkJobPart.leased_until)
        .join(BulkJob, BulkJob.id == BulkJobPart.job_id)
        .where(BulkJob.status.in_(OPEN), BulkJobPart.pdf.is_(None))
        .order_by(BulkJobPart.job_id, BulkJobPart.index)).all()
    requeue = []
    for job_id, index, holder, until in rows:
        if (job_id, index) in pending:
            continue
        if holder and until is not None and until > now and alive(holder):
            continue
        db.session.execute(sa.update(BulkJobPart).where(
            BulkJobPart.job_id == job_id, BulkJobPart.index == index,
            BulkJobPart.leased_by == holder if holder else BulkJobPart.leased_by.is_(None))
            .values(leased_by=None, leased_until=None))
        requeue.append((job_id, index))
    unjoined = list(db.session.scalars(sa.select(BulkJob.id).where(
        BulkJob.status.in_(OPEN), BulkJob.parts_done >= BulkJob.parts_total)))
    return requeue, unjoined


def print_file(job: BulkJob) -> bytes | None:
    """The job's print file with only the certificates that are valid now: a page whose
    certificate was superseded or revoked since the job is left out."""
    if not job.result_pdf:
        return None
    ids = [cid for ids in db.session.scalars(
        sa.select(BulkJobPart.certificate_ids).where(BulkJobPart.job_id == job.id)
        .order_by(BulkJobPart.index)) for cid in ids or []]
    valid = set(db.session.scalars(sa.select(Certificate.id).where(
        Certificate.bulk_job_id == job.id, Certificate.status == CertificateStatus.VALID)))
    if not ids:  # a job from before the pages were recorded: its valid certificates
        return merge([c.pdf for c in db.session.scalars(
            sa.select(Certificate).where(Certificate.id.in_(valid))
            .order_by(Certificate.id))]) if valid else None
    if valid.issuperset(ids):
        return job.result_pdf
    keep = [i for i, cid in enumerate(ids) if cid in valid]
    return keep_pages(job.result_pdf, keep) if keep else None
