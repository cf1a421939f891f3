"""Issuing many certificates outside the request, in parts, with progress.

A job snapshots the cadres whose certificate is due and splits them into parts of
``PART_SIZE``. The worker renders each part as one document (fast: one layout context,
one embedded font, one shared layer), cuts it into single-page PDFs that are stored as
the individual certificates, and keeps the part for the print file. Counters on the job are updated
atomically, so parts may run in parallel; the part that completes the job merges the
print file. A cadre that cannot be certified is recorded by name with the reason and the
others go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..curricula import framework_on
from ..extensions import db
from ..models import (
    BulkJob,
    BulkJobFailure,
    BulkJobPart,
    Cadre,
    JobStatus,
    Posyandu,
    Puskesmas,
    TrainingEvent,
    User,
    utcnow,
)
from ..scope import posyandu_clause
from . import ServiceError, audit
from .certificate_documents import merge, render_certificate_files, render_certificates
from .certificates import Prepared, cadres_due, due_clause, page_for, prepare, store

PART_SIZE = 50


def start_bulk(actor: User, target: Posyandu | Puskesmas | TrainingEvent,
               language: str) -> BulkJob:
    """Create the job for every due certificate of ``target`` (the caller commits, then
    queues one task per part): the level certificates of a posyandu or puskesmas, or the
    certificates of a training event for its participants in the actor's area."""
    if language not in ("id", "en"):
        raise ServiceError(_l("Choose a language."), "language")
    if not current_app.config.get("PUBLIC_BASE_URL"):
        raise ServiceError(_l("The site's public address (PUBLIC_BASE_URL) is not set, so the "
                              "QR codes cannot be made outside this page. Ask the "
                              "administrator to set it."))
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
    parts = [cadre_ids[i:i + PART_SIZE] for i in range(0, len(cadre_ids), PART_SIZE)]
    job = BulkJob(scope_kind=kind, scope_id=target.id, scope_label=label, language=language,
                  requested_by=actor, total=len(cadre_ids), parts_total=len(parts))
    db.session.add(job)
    db.session.flush()
    db.session.add_all(BulkJobPart(job_id=job.id, index=i, cadre_ids=ids)
                       for i, ids in enumerate(parts))
    audit.record(actor, "bulk_issue", "bulk_job", job.id,
                 {"scope": [None, label], "certificates": [None, len(cadre_ids)]})
    db.session.flush()
    return job


@dataclass
class _Part:
    """What a part needs once its transaction is closed (plain data, no open locks)."""

    ready: list[Prepared]
    pages: list[dict[str, Any]]
    failures: list[tuple[int, str]]
    names: dict[int, str]
    language: str
    requester_id: int


def _open_part(job_id: int, index: int, today: date) -> _Part | None:
    """Mark the job running, take the part's cadres still due, allocate their serials and
    build their pages; commit, so that no lock is held while rendering."""
    db.session.execute(sa.update(BulkJob).where(BulkJob.id == job_id,
                                                BulkJob.status == JobStatus.QUEUED)
                       .values(status=JobStatus.RUNNING))
    job = db.session.get(BulkJob, job_id)
    part = db.session.get(BulkJobPart, (job_id, index))
    if job is None or part is None or part.pdf is not None:
        db.session.commit()
        return None  # gone or already done (a task delivered twice)
    event = (db.session.get(TrainingEvent, job.scope_id) if job.scope_kind == "training"
             else None)
    cadres = db.session.scalars(
        sa.select(Cadre).where(Cadre.id.in_(part.cadre_ids), due_clause(event))
        .options(selectinload(Cadre.posyandu))).all()
    by_id = {c.id: c for c in cadres}
    failures = [(cid, str(_l("No longer due."))) for cid in part.cadre_ids if cid not in by_id]
    ready, refused = prepare([by_id[c] for c in part.cadre_ids if c in by_id],
                             framework_on(today), today, event)
    failures += [(c.id, reason) for c, reason in refused]
    result = _Part(ready, [page_for(item, job.language) for item in ready], failures,
                   {c.id: c.full_name for c in cadres} | _names(cid for cid, _r in failures),
                   job.language, job.requested_by_id)
    db.session.commit()  # serials are taken: never reused, even if rendering fails
    return result


def _render(work: _Part) -> tuple[bytes, list[tuple[Prepared, bytes]]]:
    """The part's print PDF and each certificate's own PDF; when the part fails as a
    whole, one by one, so that only the certificate that breaks it is lost."""
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


def run_part(job_id: int, index: int, today: date) -> None:
    """Issue the certificates of one part, store them, count them, and commit. Reasons
    for failures are written in the language of the user who asked for the job."""
    locale = db.session.scalar(sa.select(User.locale).join(
        BulkJob, BulkJob.requested_by_id == User.id).where(BulkJob.id == job_id))
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        _run_part(job_id, index, today)


def _run_part(job_id: int, index: int, today: date) -> None:
    work = _open_part(job_id, index, today)
    if work is None:
        return
    pdf, issued = _render(work)
    store(db.session.get(User, work.requester_id), issued, work.language, today,
          bulk_job_id=job_id)
    db.session.add_all(BulkJobFailure(job_id=job_id, cadre_id=cid, reason=reason[:300],
                                      holder_name=work.names.get(cid, "?"))
                       for cid, reason in work.failures)
    db.session.get(BulkJobPart, (job_id, index)).pdf = pdf
    parts_done, parts_total = db.session.execute(
        sa.update(BulkJob).where(BulkJob.id == job_id)
        .values(done=BulkJob.done + len(issued), failed=BulkJob.failed + len(work.failures),
                parts_done=BulkJob.parts_done + 1)
        .returning(BulkJob.parts_done, BulkJob.parts_total)).one()
    db.session.commit()
    if parts_done == parts_total:
        finish_job(job_id)


def _names(cadre_ids: object) -> dict[int, str]:
    ids = list(cadre_ids)  # type: ignore[call-overload]
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Cadre.id, Cadre.full_name)
                                   .where(Cadre.id.in_(ids))).all())


def finish_job(job_id: int) -> None:
    """Join the parts into the print file and mark the job done (commits)."""
    job = db.session.get(BulkJob, job_id)
    if job is None:
        return
    parts = db.session.scalars(sa.select(BulkJobPart).where(BulkJobPart.job_id == job_id)
                               .order_by(BulkJobPart.index)).all()
    pdfs = [p.pdf for p in parts if p.pdf]
    job.result_pdf = merge(pdfs) if pdfs else None
    job.status = JobStatus.DONE if job.done else JobStatus.FAILED
    job.finished_at = utcnow()
    for part in parts:
        part.pdf = b""  # the print file holds them now; keep the row as "done"
    db.session.commit()


def fail_job(job_id: int, error: str) -> None:
    """Mark a job failed when a part could not run at all (commits)."""
    db.session.rollback()
    db.session.execute(sa.update(BulkJob).where(BulkJob.id == job_id).values(
        status=JobStatus.FAILED, error=error[:500], finished_at=utcnow()))
    db.session.commit()
