"""Cadre incentives: village summaries (review, approve, re-open, export), the district
view, and the URL table of the scheme and activity pages (``schemes.py``,
``activity.py``)."""

from __future__ import annotations

import io
import re
import unicodedata

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ilp_training.auth import permission_required, signed_in_user
from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.pdf import render_pdf
from ilp_training.core.spreadsheets import XLSX_MIMETYPE
from ilp_training.core.views import committed, flash_refusal
from ilp_training.incentives import activity_routes as activity
from ilp_training.incentives import exports
from ilp_training.incentives import scheme_routes as schemes
from ilp_training.incentives.forms import (
    BudgetForm,
    ConfirmForm,
    PeriodForm,
    ReasonForm,
)
from ilp_training.incentives.permissions import (
    may_approve_summary,
    may_record_activity,
    may_review_summaries,
    may_see_district_overview,
    may_see_incentives,
)
from ilp_training.incentives.rules import Period, PeriodKind
from ilp_training.incentives.services import summaries as service
from ilp_training.incentives.services.reports import (
    SummaryReport,
    current_report,
    district_overview,
    version_report,
    village_choices,
    village_in_scope,
)
from ilp_training.models import (
    Cadre,
    Region,
    SummaryVersion,
)
from ilp_training.scope import get_scoped_or_404

bp = Blueprint("incentives", __name__, url_prefix="/incentives")


@bp.app_context_processor
def _menu_flags() -> dict[str, bool]:
    """What the main menu offers (every page): the incentives, to those who see them."""
    user = signed_in_user()
    return {"may_see_incentives": user is not None and may_see_incentives(user)}


def village_or_404(village_id: int) -> Region:
    """A village holding a posyandu in the user's scope, or 404."""
    village = village_in_scope(current_user, village_id)
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
    user = current_user
    if may_review_summaries(user):  # a village head: their village's summary
        period = Period.month_before(local_today())
        links = [("incentives.summary", url_for(".summary", village_id=current_user.village_id,
                                                period_key=period.key), _("Summary"))]
    else:
        links = [("incentives.index", url_for(".index"), _("Summaries"))]
    links.append(("incentives.scheme_list", url_for(".scheme_list"), _("Incentive schemes")))
    if may_record_activity(user):
        links.append(("incentives.activity_month", url_for(".activity_month"),
                      _("Activity records")))
    if may_see_district_overview(user):
        links.append(("incentives.district", url_for(".district"), _("District view")))
    return links


@bp.context_processor
def _section_navigation() -> dict[str, object]:
    user = signed_in_user()
    if user is None or not may_see_incentives(user):
        return {}
    return {"incentive_links": section_links()}


@bp.get("/")
@permission_required(may_see_incentives)
def index() -> ResponseReturnValue:
    period = period_from_args()
    if may_review_summaries(current_user) and not request.args:
        return redirect(url_for(".summary", village_id=current_user.village_id,
                                period_key=period.key))
    form = PeriodForm(request.args, kind=period.kind.value, month=period.start)
    return render_template("incentives/index.html", villages=village_choices(current_user),
                           period=period, label=exports.period_label(period), form=form,
                           may_record_activity=may_record_activity(current_user),
                           may_see_district=may_see_district_overview(current_user))


@bp.get("/villages/<int:village_id>/")
@permission_required(may_see_incentives)
def village_period(village_id: int) -> ResponseReturnValue:
    village = village_or_404(village_id)
    return redirect(url_for(".summary", village_id=village.id, period_key=period_from_args().key))


def _render_summary(village: Region, report: SummaryReport, budget_form: BudgetForm
                    ) -> ResponseReturnValue:
    form = PeriodForm(formdata=None, kind=report.period.kind.value, month=report.period.start)
    reviewer = may_approve_summary(current_user, village)
    return render_template(
        "incentives/summary.html", village=village, report=report, result=report.result,
        can_review=reviewer and report.state == "draft",
        can_reopen=reviewer and report.state == "approved",
        budget_form=budget_form, pform=form, levels=level_names(),
        label=exports.period_label(report.period), status=exports.status_line(report),
        notes=exports.row_notes, confirm=ConfirmForm(),
        in_words=exports.words(report.result.grand_total, str(get_locale())))


@bp.get("/villages/<int:village_id>/<period_key>")
@permission_required(may_see_incentives)
def summary(village_id: int, period_key: str) -> ResponseReturnValue:
    village, period = village_or_404(village_id), period_or_404(period_key)
    report = current_report(village, period)
    return _render_summary(village, report, BudgetForm(formdata=None, budget=report.result.budget))


@bp.post("/villages/<int:village_id>/<period_key>/budget")
@permission_required(may_review_summaries)
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
@permission_required(may_review_summaries)
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
@permission_required(may_review_summaries)
def include(village_id: int, period_key: str, cadre_id: int) -> ResponseReturnValue:
    village, period = village_or_404(village_id), period_or_404(period_key)
    cadre = _listed_cadre_or_404(current_report(village, period), cadre_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if committed(form, lambda: service.include_cadre(current_user, village, period, cadre)):
            flash(_("%(name)s is included again.", name=cadre.full_name), "success")
        else:
            flash_refusal(form)
    return redirect(url_for(".summary", village_id=village.id, period_key=period.key))


@bp.route("/villages/<int:village_id>/<period_key>/approve", methods=["GET", "POST"])
@permission_required(may_review_summaries)
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
@permission_required(may_review_summaries)
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
        data, mimetype = exports.summary_xlsx(report, locale, level_names()), XLSX_MIMETYPE
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=_filename(report, kind))


@bp.get("/villages/<int:village_id>/<period_key>/summary.<any(pdf, xlsx):kind>")
@permission_required(may_see_incentives)
def download(village_id: int, period_key: str, kind: str) -> ResponseReturnValue:
    village, period = village_or_404(village_id), period_or_404(period_key)
    return _download(current_report(village, period), kind)


@bp.get("/versions/<int:version_id>")
@permission_required(may_see_incentives)
def version(version_id: int) -> ResponseReturnValue:
    record = get_scoped_or_404(SummaryVersion, current_user, version_id)
    village = record.summary.village
    report = version_report(record)
    return _render_summary(village, report, BudgetForm(formdata=None))


@bp.get("/versions/<int:version_id>.<any(pdf, xlsx):kind>")
@permission_required(may_see_incentives)
def version_download(version_id: int, kind: str) -> ResponseReturnValue:
    return _download(version_report(get_scoped_or_404(SummaryVersion, current_user,
                                                      version_id)), kind)


@bp.get("/district")
@permission_required(may_see_district_overview)
def district() -> ResponseReturnValue:
    period = period_from_args()
    form = PeriodForm(request.args, kind=period.kind.value, month=period.start)
    return render_template("incentives/district.html", overview=district_overview(
        current_user, period), label=exports.period_label(period), form=form)


schemes.register(bp)
activity.register(bp)
