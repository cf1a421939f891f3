"""Certificates for coordinators and admins: issue one or all due, download the frozen
PDF, revoke, follow a bulk job, and configure the issuer (emblem, signatory)."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ilp_training.auth import permission_required, signed_in_user
from ilp_training.certificates.forms import (
    BulkForm,
    IssueForm,
    RevokeForm,
    SettingsForm,
)
from ilp_training.certificates.jobs import queue_bulk_job
from ilp_training.certificates.permissions import (
    may_configure_certificates,
    may_issue_certificates,
    may_revoke_certificates,
)
from ilp_training.certificates.services import issuing as service
from ilp_training.certificates.services import lists
from ilp_training.certificates.services import settings as settings_service
from ilp_training.certificates.services.bulk import JobOpen, print_file, start_bulk
from ilp_training.core.curricula import framework_on
from ilp_training.core.database import begin_writes, reads_first
from ilp_training.core.extensions import db
from ilp_training.core.i18n import fdate, local_today
from ilp_training.core.ids import id_or_404
from ilp_training.core.views import committed, flash_refusal, paginate
from ilp_training.credentials.downloads import credential_response
from ilp_training.models import (
    BulkJob,
    Cadre,
    Certificate,
    Posyandu,
    Puskesmas,
    TrainingEvent,
)
from ilp_training.scope import get_scoped_or_404, posyandu_clause, scoped

bp = Blueprint("certificates", __name__)


@bp.app_context_processor
def _menu_flags() -> dict[str, bool]:
    """What the main menu offers (every page): the certificates, to those who issue them."""
    user = signed_in_user()
    return {"may_issue_certificates": user is not None and may_issue_certificates(user)}


def _pdf(data: bytes, name: str) -> Response:
    """A stored PDF as a download; personal data, so never kept by a shared cache."""
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{name}.pdf")
    response.cache_control.private = True
    response.cache_control.max_age = 0
    return response


def _bulk_targets() -> list[SelectChoice]:
    rows = lists.bulk_places(current_user)
    puskesmas = {pid: pname for _i, _n, pid, pname in rows}
    return ([SelectChoice(f"puskesmas:{i}", n, optgroup=_("Puskesmas"))
             for i, n in puskesmas.items()]
            + [SelectChoice(f"posyandu:{i}", n, optgroup=_("Posyandu")) for i, n, _p, _q in rows]
            + [SelectChoice(f"training:{e.id}", f"{e.title} ({fdate(e.end_date, 'short')})",
                            optgroup=_("Training (finished)"))
               for e in lists.finished_trainings(current_user, 50)])


@bp.get("/certificates/")
@permission_required(may_issue_certificates)
def index() -> ResponseReturnValue:
    area = posyandu_clause(current_user)
    due = service.due_by_posyandu(area)
    trainings = service.due_by_training(area, lists.finished_trainings(current_user, 20))
    search = request.args.get("q", "").strip()[:lists.MAX_SEARCH]
    form = BulkForm()
    form.target.choices = _bulk_targets()
    chosen = request.args.get("target", "")
    if any(choice.value == chosen for choice in form.target.choices):
        form.target.data = chosen  # e.g. from a finished training's page
    return render_template("certificates/index.html", due=due, trainings=trainings,
                           page=paginate(lists.search_certificates(current_user, search)),
                           q=search, form=form,
                           may_configure=may_configure_certificates(current_user))


@bp.post("/cadres/<int:cadre_id>/certificate")
@permission_required(may_issue_certificates)
@reads_first  # the page is rendered before the write lock is taken
def issue(cadre_id: int) -> ResponseReturnValue:
    cadre = get_scoped_or_404(Cadre, current_user, cadre_id)
    form = IssueForm()
    event = None
    if form.event.data:
        event = get_scoped_or_404(TrainingEvent, current_user, id_or_404(form.event.data))
    if form.validate_on_submit():
        framework, today = framework_on(local_today()), local_today()
        # rendered before the write lock is taken (SQLite): only the storing waits for it
        draft = service.draft_certificate(cadre, framework, form.language.data, today, event)
        begin_writes()
        done = committed(form, lambda: service.issue_certificate(
            current_user, cadre, framework, form.language.data, today, event, draft))
        if done:
            cert = done.value.certificate
            if done.value.new:
                flash(_("Certificate %(serial)s issued.", serial=cert.serial), "success")
            else:
                flash(_("Certificate %(serial)s was already issued; no new one was made.",
                        serial=cert.serial), "info")
            return redirect(url_for("certificates.detail", cert_id=cert.id))
    for error in [*form.form_errors, *form.language.errors]:
        flash(str(error), "error")
    return redirect(url_for("cadres.profile", cadre_id=cadre_id))


@bp.get("/certificates/<int:cert_id>")
@login_required
def detail(cert_id: int) -> ResponseReturnValue:
    cert = get_scoped_or_404(Certificate, current_user, cert_id)
    return render_template("certificates/detail.html", cert=cert, form=RevokeForm(),
                           claim=service.public_claim(cert),
                           may_revoke=may_revoke_certificates(current_user))


@bp.get("/certificates/<int:cert_id>.pdf")
@login_required
def download(cert_id: int) -> ResponseReturnValue:
    cert = get_scoped_or_404(Certificate, current_user, cert_id)
    return _pdf(cert.pdf, cert.serial)


@bp.get("/certificates/<int:cert_id>/credential.jwt")
@login_required
def credential(cert_id: int) -> ResponseReturnValue:
    """The certificate's signed Open Badges credential (VC-JWT)."""
    return credential_response(get_scoped_or_404(Certificate, current_user, cert_id), False)


@bp.get("/certificates/<int:cert_id>/credential.json")
@login_required
def credential_json(cert_id: int) -> ResponseReturnValue:
    return credential_response(get_scoped_or_404(Certificate, current_user, cert_id), True)


@bp.post("/certificates/<int:cert_id>/revoke")
@permission_required(may_revoke_certificates)
def revoke(cert_id: int) -> ResponseReturnValue:
    cert = get_scoped_or_404(Certificate, current_user, cert_id)
    form = RevokeForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.revoke_certificate(
            current_user, cert, form.reason.data or ""))
        if ok:
            flash(_("Certificate %(serial)s revoked.", serial=cert.serial), "success")
            return redirect(url_for("certificates.detail", cert_id=cert.id))
    return render_template("certificates/detail.html", cert=cert, form=form,
                           claim=service.public_claim(cert),
                           may_revoke=may_revoke_certificates(current_user)), 422


@bp.post("/certificates/bulk")
@permission_required(may_issue_certificates)
def bulk() -> ResponseReturnValue:
    form = BulkForm()
    form.target.choices = _bulk_targets()
    if not form.validate_on_submit():
        flash(_("Choose a posyandu or puskesmas in your area."), "error")
        return redirect(url_for("certificates.index"))
    kind, _sep, ident = form.target.data.partition(":")
    models: dict[str, type[Posyandu | Puskesmas | TrainingEvent]] = {
        "posyandu": Posyandu, "puskesmas": Puskesmas, "training": TrainingEvent}
    target = get_scoped_or_404(models[kind], current_user, id_or_404(ident))
    open_jobs: list[JobOpen] = []

    def start() -> BulkJob:
        try:
            return start_bulk(current_user, target, form.language.data, local_today(),
                              current_app.config["BULK_PART_SIZE"],
                              current_app.config.get("PUBLIC_BASE_URL", ""))
        except JobOpen as exc:  # not an error: the page of the job already running
            open_jobs.append(exc)
            raise

    done = committed(form, start)
    if open_jobs:
        flash(str(open_jobs[0].message), "info")
        return redirect(url_for("certificates.job", job_id=open_jobs[0].job_id))
    if not done:
        flash_refusal(form)
        return redirect(url_for("certificates.index"))
    queue_bulk_job(done.value.id, done.value.parts_total)
    return redirect(url_for("certificates.job", job_id=done.value.id))


@bp.get("/certificates/jobs/<int:job_id>")
@permission_required(may_issue_certificates)
def job(job_id: int) -> ResponseReturnValue:
    return render_template("certificates/job.html",
                           job=get_scoped_or_404(BulkJob, current_user, job_id))


@bp.get("/certificates/jobs/<int:job_id>.json")
@permission_required(may_issue_certificates)
def job_status(job_id: int) -> ResponseReturnValue:
    item = get_scoped_or_404(BulkJob, current_user, job_id)
    return jsonify(status=item.status.value, total=item.total, done=item.done,
                   failed=item.failed, finished=item.finished_at is not None)


@bp.get("/certificates/jobs/<int:job_id>.pdf")
@permission_required(may_issue_certificates)
def job_pdf(job_id: int) -> ResponseReturnValue:
    item = get_scoped_or_404(BulkJob, current_user, job_id)
    data = print_file(item)
    if not data:
        abort(404)
    return _pdf(data, f"certificates-{item.id}")


def _settings_targets() -> list[SelectChoice]:
    district = current_user.district
    puskesmas = db.session.scalars(scoped(Puskesmas, current_user).order_by(Puskesmas.name))
    return ([SelectChoice("district", district.name, optgroup=_("District"))]
            + [SelectChoice(f"puskesmas:{p.id}", p.name, optgroup=_("Puskesmas"))
               for p in puskesmas])


@bp.route("/certificates/settings", methods=["GET", "POST"])
@permission_required(may_configure_certificates)
def settings() -> ResponseReturnValue:
    form = SettingsForm()
    form.target.choices = _settings_targets()
    target = request.values.get("target", "district")
    puskesmas = None
    if target.startswith("puskesmas:"):
        puskesmas = get_scoped_or_404(Puskesmas, current_user, id_or_404(target[10:]))
    current = settings_service.find_settings(current_user.district, puskesmas)
    if request.method == "GET":
        form.process(obj=current, target=target)
    elif form.validate_on_submit():
        upload = form.emblem.data.read() if form.emblem.data else None
        ok = committed(form, lambda: settings_service.save_settings(
            current_user, current_user.district, puskesmas,
            settings_service.IssuerData(form.issuer_name.data, form.signatory_name.data,
                                        form.signatory_title.data, form.signatory_nip.data,
                                        form.place.data),
            upload, bool(form.remove_emblem.data)))
        if ok:
            flash(_("Certificate settings saved."), "success")
            return redirect(url_for("certificates.settings", target=target))
    return render_template("certificates/settings.html", form=form, current=current)
