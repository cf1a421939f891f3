"""Cadre incentives: village summaries (review, approve, re-open, export), the district
view, and the URL table of the scheme and activity pages (``schemes.py``,
``activity.py``)."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ilp_training.auth import INCENTIVE_VIEWERS, roles_required
from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.pdf import render_pdf
from ilp_training.core.service import ServiceError
from ilp_training.core.views import committed
from ilp_training.incentives import activity_routes as activity
from ilp_training.incentives import exports
from ilp_training.incentives import scheme_routes as schemes
from ilp_training.incentives.forms import (
    BudgetForm,
    ConfirmForm,
    PeriodForm,
    ReasonForm,
)
from ilp_training.incentives.rules import Period, PeriodKind
from ilp_training.incentives.services import summaries as service
from ilp_training.incentives.services.reports import (
    SummaryReport,
    current_report,
    district_overview,
    version_report,
    village_choices,
)
from ilp_training.models import (
    Cadre,
    Region,
    Role,
    SummaryVersion,
)
from ilp_training.scope import get_scoped_or_404, village_clause

bp = Blueprint("incentives", __name__, url_prefix="/incentives")
VIEWERS = INCENTIVE_VIEWERS
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def village_or_404(village_id: int) -> Region:
    """A village holding a posyandu in the user's scope, or 404."""
    village = db.session.scalars(
        sa.select(Region).where(Region.id == village_id, village_clause(current_user))).first()
    if village is None:
        abort(404)
    return village


def period_or_404(key: str) -> Period:
    try:
        return Period.parse(key)
    except ValueError:
        abort(404)


def period_from_args() -> Period:
    """The period chosen in the period form (``kind``, ``month``), else last month."""
    form = PeriodForm(request.args)
    if request.args and form.validate():
        return Period.containing(PeriodKind(form.kind.data), form.month.data)
    return Period.month_before(local_today())


def level_names() -> dict[str, str]:
    locale = str(get_locale())
    return {lv.code: lv.name.get(locale) for lv in framework_on(local_today()).levels}


def section_links() -> list[tuple[str, str, str]]:
    """The incentive pages the signed-in user's role may open, as (endpoint, URL, label):
    the navigation of every incentives page. A village head's summary is their village's
    for last month; the others start from the list of villages."""
    role = current_user.role
    if role == Role.VILLAGE_HEAD:
        period = Period.month_before(local_today())
        links = [("incentives.summary", url_for(".summary", village_id=current_user.village_id,
                                                period_key=period.key), _("Summary"))]
    else:
        links = [("incentives.index", url_for(".index"), _("Summaries"))]
    links.append(("incentives.scheme_list", url_for(".scheme_list"), _("Incentive schemes")))
    if role in activity.EDITORS:
        links.append(("incentives.activity_month", url_for(".activity_month"),
                      _("Activity records")))
    if role == Role.ADMIN:
        links.append(("incentives.district", url_for(".district"), _("District view")))
    return links


@bp.context_processor
def _section_navigation() -> dict[str, object]:
    if not current_user.is_authenticated or current_user.role not in VIEWERS:
        return {}
    return {"incentive_links": section_links()}


@bp.get("/")
@roles_required(*VIEWERS)
def index() -> ResponseReturnValue:
    period = period_from_args()
    if current_user.role == Role.VILLAGE_HEAD and not request.args:
        return redirect(url_for(".summary", village_id=current_user.village_id,
                                period_key=period.key))
    form = PeriodForm(request.args, kind=period.kind.value, month=period.start)
    return render_template("incentives/index.html", villages=village_choices(current_user),
                           period=period, label=exports.period_label(period), form=form,
                           may_record_activity=current_user.role in activity.EDITORS)


@bp.get("/villages/<int:village_id>/")
@roles_required(*VIEWERS)
def village_period(village_id: int) -> ResponseReturnValue:
    village = village_or_404(village_id)
    return redirect(url_for(".summary", village_id=village.id, period_key=period_from_args().key))


def _render_summary(village: Region, report: SummaryReport, budget_form: BudgetForm
                    ) -> ResponseReturnValue:
    form = PeriodForm(formdata=None, kind=report.period.kind.value, month=report.period.start)
    reviewer = service.is_reviewer(current_user, village)
    return render_template(
        "incentives/summary.html", village=village, report=report, result=report.result,
        can_review=reviewer and report.state == "draft",
        can_reopen=reviewer and report.state == "approved",
        budget_form=budget_form, pform=form, levels=level_names(),
        label=exports.period_label(report.period), status=exports.status_line(report),
        notes=exports.row_notes, confirm=ConfirmForm(),
        in_words=exports.words(report.result.grand_total, str(get_locale())))


@bp.get("/villages/<int:village_id>/<period_key>")
@roles_required(*VIEWERS)
def summary(village_id: int, period_key: str) -> ResponseReturnValue:
    village, period = village_or_404(village_id), period_or_404(period_key)
    report = current_report(village, period)
    return _render_summary(village, report, BudgetForm(formdata=None, budget=report.result.budget))


@bp.post("/villages/<int:village_id>/<period_key>/budget")
@roles_required(Role.VILLAGE_HEAD)
def budget(village_id: int, period_key: str) -> ResponseReturnValue:
    village, period = village_or_404(village_id), period_or_404(period_key)
    form = BudgetForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.set_budget(
            current_user, village, period, form.budget.data))
        if ok:
            flash(_("Budget line saved."), "success")
            return redirect(url_for(".summary", village_id=village.id, period_key=period.key))
    return _render_summary(village, current_report(village, period), form)


def _listed_cadre_or_404(report: SummaryReport, cadre_id: int) -> Cadre:
    if all(line.cadre_id != cadre_id for line in report.result.cadres):
        abort(404)
    return db.session.get(Cadre, cadre_id) or abort(404)


@bp.route("/villages/<int:village_id>/<period_key>/cadres/<int:cadre_id>/exclude",
          methods=["GET", "POST"])
@roles_required(Role.VILLAGE_HEAD)
def exclude(village_id: int, period_key: str, cadre_id: int) -> ResponseReturnValue:
    village, period = village_or_404(village_id), period_or_404(period_key)
    cadre = _listed_cadre_or_404(current_report(village, period), cadre_id)
    form = ReasonForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.exclude_cadre(
            current_user, village, period, cadre, form.reason.data or ""))
        if ok:
            flash(_("%(name)s is excluded from this summary.", name=cadre.full_name), "success")
            return redirect(url_for(".summary", village_id=village.id, period_key=period.key))
    return render_template("incentives/exclude.html", form=form, cadre=cadre, village=village,
                           period=period, label=exports.period_label(period))


@bp.post("/villages/<int:village_id>/<period_key>/cadres/<int:cadre_id>/include")
@roles_required(Role.VILLAGE_HEAD)
def include(village_id: int, period_key: str, cadre_id: int) -> ResponseReturnValue:
    village, period = village_or_404(village_id), period_or_404(period_key)
    cadre = _listed_cadre_or_404(current_report(village, period), cadre_id)
    if ConfirmForm().validate_on_submit():
        try:
            service.include_cadre(current_user, village, period, cadre)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is included again.", name=cadre.full_name), "success")
    return redirect(url_for(".summary", village_id=village.id, period_key=period.key))


@bp.route("/villages/<int:village_id>/<period_key>/approve", methods=["GET", "POST"])
@roles_required(Role.VILLAGE_HEAD)
def approve(village_id: int, period_key: str) -> ResponseReturnValue:
    village, period = village_or_404(village_id), period_or_404(period_key)
    form = ConfirmForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.approve_summary(current_user, village, period))
        if ok:
            version = ok.value
            flash(_("Summary approved (version %(number)d).", number=version.number), "success")
            return redirect(url_for(".summary", village_id=village.id, period_key=period.key))
    report = current_report(village, period)
    return render_template("incentives/approve.html", form=form, report=report, village=village,
                           label=exports.period_label(period))


@bp.route("/villages/<int:village_id>/<period_key>/reopen", methods=["GET", "POST"])
@roles_required(Role.VILLAGE_HEAD)
def reopen(village_id: int, period_key: str) -> ResponseReturnValue:
    village, period = village_or_404(village_id), period_or_404(period_key)
    form = ReasonForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.reopen_summary(
            current_user, village, period, form.reason.data or ""))
        if ok:
            flash(_("Summary re-opened; the approved version stays readable."), "success")
            return redirect(url_for(".summary", village_id=village.id, period_key=period.key))
    return render_template("incentives/reopen.html", form=form, village=village,
                           period=period, label=exports.period_label(period))


def _filename(report: SummaryReport, extension: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", report.place.name).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.decode().lower()).strip("-") or "desa"
    suffix = f"-v{report.version.number}" if report.version else "-draft"
    return f"insentif-kader-{slug}-{report.period.key}{suffix}.{extension}"


def _download(report: SummaryReport, kind: str) -> Response:
    locale = str(get_locale())
    if kind == "pdf":
        context = exports.pdf_context(report, locale, level_names(), local_today())
        data, mimetype = render_pdf("pdf/incentive_summary.html", context), "application/pdf"
    else:
        data, mimetype = exports.summary_xlsx(report, locale, level_names()), XLSX
    disposition = f'attachment; filename="{_filename(report, kind)}"'
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": disposition})


@bp.get("/villages/<int:village_id>/<period_key>/summary.<any(pdf, xlsx):kind>")
@roles_required(*VIEWERS)
def download(village_id: int, period_key: str, kind: str) -> ResponseReturnValue:
    village, period = village_or_404(village_id), period_or_404(period_key)
    return _download(current_report(village, period), kind)


@bp.get("/versions/<int:version_id>")
@roles_required(*VIEWERS)
def version(version_id: int) -> ResponseReturnValue:
    record = get_scoped_or_404(SummaryVersion, current_user, version_id)
    village = record.summary.village
    report = version_report(record)
    return _render_summary(village, report, BudgetForm(formdata=None))


@bp.get("/versions/<int:version_id>.<any(pdf, xlsx):kind>")
@roles_required(*VIEWERS)
def version_download(version_id: int, kind: str) -> ResponseReturnValue:
    return _download(version_report(get_scoped_or_404(SummaryVersion, current_user,
                                                      version_id)), kind)


@bp.get("/district")
@roles_required(Role.ADMIN)
def district() -> ResponseReturnValue:
    period = period_from_args()
    form = PeriodForm(request.args, kind=period.kind.value, month=period.start)
    return render_template("incentives/district.html", overview=district_overview(
        current_user, period), label=exports.period_label(period), form=form)


schemes.register(bp)
activity.register(bp)
