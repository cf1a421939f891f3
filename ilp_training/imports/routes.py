"""Import and export pages: the templates, the exports of the user's area, the upload
(checked at once, or by the worker for large files), the job page with the problems or
the preview, the marked copy, and the confirmation that applies the file."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ilp_training.auth import permission_required, signed_in_user
from ilp_training.core.database import begin_writes, reads_first
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.service import ServiceError
from ilp_training.core.spreadsheets import XLSX_MIMETYPE
from ilp_training.core.views import apply_service_error
from ilp_training.imports import jobs, services
from ilp_training.imports.exports import export_sheet
from ilp_training.imports.forms import ConfirmForm, UploadForm
from ilp_training.imports.permissions import may_import
from ilp_training.imports.sheets import (
    BACKGROUND_ROWS,
    COLUMNS,
    FILENAMES,
    LIMITS,
    SHEET_TITLES,
    column_name,
    marked_copy,
    notes,
    template,
)
from ilp_training.models import ImportJob, ImportKind, ImportStatus
from ilp_training.scope import get_scoped_or_404, scoped

bp = Blueprint("imports", __name__, url_prefix="/imports")
KINDS = "<any(posyandu, cadres, results):sheet>"
SHOWN_PROBLEMS = 1000  # listed on the page; the marked copy has every one



@bp.app_context_processor
def _menu_flags() -> dict[str, bool]:
    """What the main menu offers (every page): the imports, to those who may import."""
    user = signed_in_user()
    return {"may_import": user is not None and may_import(user)}

def _xlsx(data: bytes, name: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"{name}.xlsx")


def _index(forms: dict[ImportKind, UploadForm] | None = None) -> str:
    recent = db.session.scalars(scoped(ImportJob, current_user)
                                .order_by(ImportJob.id.desc()).limit(10)).all()
    forms = forms or {}
    return render_template(
        "imports/index.html", kinds=list(ImportKind), titles=SHEET_TITLES,
        columns=COLUMNS, notes={k: notes(k) for k in ImportKind},
        forms={k: forms.get(k) or UploadForm(prefix=k.value) for k in ImportKind},
        recent=recent, limits=LIMITS, background_rows=BACKGROUND_ROWS)


@bp.get("")
@permission_required(may_import)
def index() -> ResponseReturnValue:
    return _index()


@bp.get(f"/{KINDS}/template.xlsx")
@permission_required(may_import)
def template_xlsx(sheet: str) -> ResponseReturnValue:
    return _xlsx(template(ImportKind(sheet)), f"template-{FILENAMES[ImportKind(sheet)]}")


@bp.get(f"/{KINDS}/export.xlsx")
@permission_required(may_import)
def export_xlsx(sheet: str) -> ResponseReturnValue:
    data = export_sheet(ImportKind(sheet), current_user)
    return _xlsx(data, f"{FILENAMES[ImportKind(sheet)]}-{local_today():%Y-%m-%d}")


@bp.post(f"/{KINDS}")
@permission_required(may_import)
@reads_first  # the file is read before the write lock is taken
def upload(sheet: str) -> ResponseReturnValue:
    kind = ImportKind(sheet)
    form = UploadForm(prefix=kind.value)
    if not form.validate_on_submit():
        return _index({kind: form})
    data = form.file.data.read(LIMITS.file_bytes + 1)
    try:
        rows = services.read_rows(kind, data)
    except ServiceError as exc:
        apply_service_error(form, exc)
        return _index({kind: form})
    begin_writes()
    job = services.create_job(current_user, kind, form.file.data.filename or "", rows)
    if job.background:
        job.leased_until = jobs.lease_until()
        db.session.commit()
        jobs.queue_job(job)
    else:
        services.check_job(job, local_today())
        db.session.commit()
    return redirect(url_for(".job", import_id=job.id))


@bp.get("/jobs/<int:import_id>")
@permission_required(may_import)
def job(import_id: int) -> ResponseReturnValue:
    item = get_scoped_or_404(ImportJob, current_user, import_id)
    problems = services.problems_of(item)
    return render_template(
        "imports/job.html", job=item, problems=problems[:SHOWN_PROBLEMS],
        problem_count=len(problems), column_name=column_name, form=ConfirmForm(),
        title=SHEET_TITLES[item.kind], progress=_progress(item))


def _progress(item: ImportJob) -> dict[str, object]:
    running = item.status in (ImportStatus.CHECKING, ImportStatus.APPLYING)
    done = jobs.progress_of(item.id) if running else item.rows
    return {"status": item.status.value, "total": item.rows, "done": min(done, item.rows),
            "failed": 0, "finished": not running}


@bp.get("/jobs/<int:import_id>.json")
@permission_required(may_import)
def job_status(import_id: int) -> ResponseReturnValue:
    return jsonify(_progress(get_scoped_or_404(ImportJob, current_user, import_id)))


@bp.get("/jobs/<int:import_id>/marked.xlsx")
@permission_required(may_import)
def marked(import_id: int) -> ResponseReturnValue:
    item = get_scoped_or_404(ImportJob, current_user, import_id)
    if item.status != ImportStatus.REFUSED:
        abort(404)
    if not services.upload_kept(item):
        flash(_("The uploaded file is no longer kept (it held personal data); the problems "
                "are listed below. Upload the corrected file again."), "info")
        return redirect(url_for("imports.job", import_id=item.id))
    return _xlsx(marked_copy(item.kind, services.rows_of(item), services.problems_of(item)),
                 f"{FILENAMES[item.kind]}-marked-{item.id}")


@bp.post("/jobs/<int:import_id>/apply")
@permission_required(may_import)
def apply(import_id: int) -> ResponseReturnValue:
    item = get_scoped_or_404(ImportJob, current_user, import_id)
    back = redirect(url_for(".job", import_id=import_id))
    if not ConfirmForm().validate_on_submit():
        return back
    if item.background:
        claimed = services.claim(item.id, jobs.lease_until())
        if claimed is None:
            db.session.rollback()
            flash(_("This file was already applied, or is being applied."), "info")
            return back
        db.session.commit()
        jobs.queue_job(claimed)
        return back
    item = services.lock_job(item.id)
    if item.status != ImportStatus.CHECKED:
        db.session.rollback()
        flash(_("This file was already applied, or is being applied."), "info")
        return back
    try:
        services.apply_job(item, local_today())
        status = item.status
        db.session.commit()
    except (ServiceError, IntegrityError):
        db.session.rollback()
        flash(_("The records changed while the file was applied; nothing was applied. "
                "Upload the file again to check it anew."), "error")
        return back
    if status == ImportStatus.DONE:
        flash(_("The file was applied."), "success")
    else:
        flash(_("The records changed since the check: nothing was applied. See the rows "
                "below."), "error")
    return back


