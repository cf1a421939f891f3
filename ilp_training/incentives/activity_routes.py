"""Activity pages: a month's opening days per posyandu, recording an opening day with the
cadres who served, the home-visit grid, and the Excel template and import. For
coordinators (their puskesmas) and village heads (their village)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from ilp_training.auth import permission_required
from ilp_training.cadres import cadre_label
from ilp_training.core.database import begin_writes, reads_first
from ilp_training.core.dates import add_months
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.service import ServiceError
from ilp_training.core.spreadsheets import XLSX_MIMETYPE
from ilp_training.core.views import committed, flash_refusal
from ilp_training.incentives import exports
from ilp_training.incentives.forms import (
    ConfirmForm,
    ImportForm,
    OpeningDayForm,
    home_visits_form,
)
from ilp_training.incentives.permissions import may_approve_summary, may_record_activity
from ilp_training.incentives.rules import Period, PeriodKind
from ilp_training.incentives.services import activity as service
from ilp_training.incentives.services.activity_import import (
    ImportRefused,
    ImportResult,
    import_activity,
    importable_posyandu,
    read_workbook,
    template_cadres,
)
from ilp_training.models import OpeningDay, Posyandu, Region
from ilp_training.scope import get_scoped_or_404

T = TypeVar("T")


def _month_arg(value: str | None) -> date:
    """The month named ``YYYY-MM`` (none given: last month); anything else is a 404."""
    if not value:
        return add_months(local_today().replace(day=1), -1)
    try:
        period = Period.parse(value)
    except ValueError:
        abort(404)
    if period.kind != PeriodKind.MONTH:
        abort(404)
    return period.start


def _month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def _lock_notice(locked: service.LockedPeriod | None) -> dict[str, object] | None:
    """What the page says about a locked month: the summary, and a link to re-open it
    for the village's head (others are told that the village head must re-open it)."""
    if locked is None:
        return None
    head = may_approve_summary(current_user, db.session.get_one(Region, locked.village_id))
    return {"village_name": locked.village_name, "label": exports.period_label(locked.period),
            "month_label": exports.period_label(Period(PeriodKind.MONTH, locked.month)),
            "reopen_url": url_for(".reopen", village_id=locked.village_id,
                                  period_key=locked.period.key) if head else None}


def _first_lock(places: list[tuple[int, date]]) -> service.LockedPeriod | None:
    found = service.locked_periods(places)
    return found[0] if found else None


def _noting(call: Callable[[], T], seen: list[ServiceError]) -> Callable[[], T]:
    """``call``, keeping its refusal for the page (a locked period's notice, the bad rows
    of an import)."""
    def run() -> T:
        try:
            return call()
        except ServiceError as exc:
            seen.append(exc)
            raise
    return run


def _locked_by(refused: list[ServiceError]) -> service.LockedPeriod | None:
    """The locked period that refused the change, if that was the refusal."""
    return next((e.locked for e in refused if isinstance(e, service.PeriodLocked)), None)


@permission_required(may_record_activity)
def activity_month() -> ResponseReturnValue:
    month = _month_arg(request.args.get("month"))
    overview = service.month_overview(current_user, month)
    return render_template(
        "incentives/activity.html", month=month, posyandu=overview.posyandu,
        days=overview.days,
        label=exports.period_label(Period(PeriodKind.MONTH, month)),
        previous=add_months(month, -1), following=add_months(month, 1),
        today=local_today(), default_day=min(local_today(), _month_end(month)))


def _opening_form(posyandu: Posyandu, day: OpeningDay | None) -> OpeningDayForm:
    today = local_today()
    form = OpeningDayForm(obj=day) if request.method == "GET" and day else OpeningDayForm()
    cadres = service.cadres_serving_on(posyandu, today - timedelta(days=366), today)
    ticked = list(day.cadres) if day is not None else []
    known = {c.id for c in cadres}
    form.cadres.choices = [SelectChoice(c.id, cadre_label(c.full_name, c.id)) for c in
                           [*cadres, *(c for c in ticked if c.id not in known)]]
    if request.method == "GET":
        form.cadres.data = [c.id for c in ticked]
        if day is None:
            form.held_on.data = request.args.get("date", type=date.fromisoformat) or today
    return form


def _save_opening_day(posyandu: Posyandu, day: OpeningDay | None) -> ResponseReturnValue:
    form = _opening_form(posyandu, day)
    refused: list[ServiceError] = []
    if form.validate_on_submit():
        ok = committed(form, _noting(lambda: service.record_opening_day(
            current_user, posyandu, form.held_on.data, form.cadres.data or [], local_today(),
            day), refused))
        if ok:
            saved = ok.value
            flash(ngettext("Opening day saved: %(num)d cadre served.",
                           "Opening day saved: %(num)d cadres served.", len(saved.cadres)),
                  "success")
            return redirect(url_for(".activity_month", month=f"{saved.held_on:%Y-%m}"))
    locked = _locked_by(refused) or (
        _first_lock([(posyandu.village_id, day.held_on)]) if day else None)
    return render_template("incentives/opening_day.html", form=form, posyandu=posyandu, day=day,
                           confirm=ConfirmForm(), locked=_lock_notice(locked))


@permission_required(may_record_activity)
def opening_day_new(posyandu_id: int) -> ResponseReturnValue:
    return _save_opening_day(get_scoped_or_404(Posyandu, current_user, posyandu_id), None)


@permission_required(may_record_activity)
def opening_day_edit(day_id: int) -> ResponseReturnValue:
    day = get_scoped_or_404(OpeningDay, current_user, day_id)
    return _save_opening_day(day.posyandu, day)


@permission_required(may_record_activity)
def opening_day_delete(day_id: int) -> ResponseReturnValue:
    day = get_scoped_or_404(OpeningDay, current_user, day_id)
    month = f"{day.held_on:%Y-%m}"
    form = ConfirmForm()
    if form.validate_on_submit():
        if not committed(form, lambda: service.delete_opening_day(current_user, day)):
            flash_refusal(form)  # a locked month: the day's page says why and what next
            return redirect(url_for(".opening_day_edit", day_id=day_id))
        flash(_("Opening day removed."), "success")
    return redirect(url_for(".activity_month", month=month))


@permission_required(may_record_activity)
def home_visits(posyandu_id: int, month_key: str) -> ResponseReturnValue:
    posyandu = get_scoped_or_404(Posyandu, current_user, posyandu_id)
    month = _month_arg(month_key)
    cadres = service.cadres_serving_on(posyandu, month, _month_end(month))
    stored = service.home_visits_of([c.id for c in cadres], month)
    form = home_visits_form([c.id for c in cadres],
                            data={f"c{cid}": n for cid, n in stored.items()})
    refused: list[ServiceError] = []
    if form.validate_on_submit():
        counts = {c.id: form[f"c{c.id}"].data or 0 for c in cadres}
        ok = committed(form, _noting(lambda: service.set_home_visits(
            current_user, posyandu, month, counts, local_today()), refused))
        if ok:
            changed = ok.value
            flash(ngettext("%(num)d count changed.", "%(num)d counts changed.", changed),
                  "success")
            return redirect(url_for(".activity_month", month=f"{month:%Y-%m}"))
    locked = _locked_by(refused) or _first_lock([(posyandu.village_id, month)])
    return render_template("incentives/home_visits.html", form=form, posyandu=posyandu,
                           cadres=cadres, month=month, locked=_lock_notice(locked),
                           label=exports.period_label(Period(PeriodKind.MONTH, month)))


@permission_required(may_record_activity)
def import_template() -> ResponseReturnValue:
    return send_file(io.BytesIO(exports.import_template(template_cadres(current_user))),
                     mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name="kegiatan-kader-template.xlsx")


@permission_required(may_record_activity)
@reads_first  # the file is parsed before the write lock is taken
def import_upload() -> ResponseReturnValue:
    form, refused = ImportForm(), list[ServiceError]()
    if form.validate_on_submit():
        data = form.file.data.read()

        def read_and_import() -> ImportResult:
            rows = read_workbook(data)  # parsed before the write lock (reads_first above)
            begin_writes()
            return import_activity(current_user, importable_posyandu(current_user), rows,
                                   local_today())

        ok = committed(form, _noting(read_and_import, refused))
        if ok:
            result = ok.value
            flash(_("Imported: %(days)d opening days (%(served)d cadre-days added), "
                    "%(visits)d home-visit counts.", days=result.opening_days,
                    served=result.served, visits=result.home_visits), "success")
            return redirect(url_for(".activity_month"))
    errors = next((e.errors for e in refused if isinstance(e, ImportRefused)), [])
    return render_template("incentives/import.html", form=form, errors=errors,
                           locked=_lock_notice(_locked_by(refused)))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/activity", view_func=activity_month)
    bp.add_url_rule("/posyandu/<int:posyandu_id>/opening-days/new", view_func=opening_day_new,
                    methods=["GET", "POST"])
    bp.add_url_rule("/opening-days/<int:day_id>", view_func=opening_day_edit,
                    methods=["GET", "POST"])
    bp.add_url_rule("/opening-days/<int:day_id>/delete", view_func=opening_day_delete,
                    methods=["POST"])
    bp.add_url_rule("/posyandu/<int:posyandu_id>/home-visits/<month_key>",
                    view_func=home_visits, methods=["GET", "POST"])
    bp.add_url_rule("/activity/template.xlsx", view_func=import_template)
    bp.add_url_rule("/activity/import", view_func=import_upload, methods=["GET", "POST"])
