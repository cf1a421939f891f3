"""Training history and planning: a posyandu's trainings and package progress, the
district's trainings per month with the test gains, and "who needs which training next"
for a puskesmas, with filling a planned event from it in one step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ilp_training.auth import permission_required
from ilp_training.core.curricula import framework_on
from ilp_training.core.dates import add_months
from ilp_training.core.extensions import db
from ilp_training.core.i18n import fdate, local_today
from ilp_training.core.views import committed, flash_refusal, paginate
from ilp_training.models import Posyandu, Puskesmas
from ilp_training.scope import get_scoped_or_404, scoped
from ilp_training.training import bp, manageable
from ilp_training.training.charts import bar_chart
from ilp_training.training.forms import FillForm
from ilp_training.training.permissions import may_choose_puskesmas, may_plan_trainings
from ilp_training.training.services import history
from ilp_training.training.services import participation as service
from ilp_training.training.services import planning as planning_service

MONTHS = 12


@bp.get("/posyandu/<int:posyandu_id>/trainings")
@login_required
def posyandu(posyandu_id: int) -> ResponseReturnValue:
    posyandu = get_scoped_or_404(Posyandu, current_user, posyandu_id)
    framework = framework_on(local_today())
    active, packages = history.package_progress(posyandu.id, framework, str(get_locale()))
    page = paginate(history.posyandu_trainings(posyandu.id), scalars=False)
    page = replace(page, items=history.posyandu_event_rows(page.items))
    return render_template("training/posyandu.html", posyandu=posyandu, active=active,
                           packages=packages, page=page)


def _puskesmas_choice() -> tuple[list[Puskesmas], Puskesmas | None]:
    """The puskesmas the user may pick (admins: the district's) and the one asked for
    with ``?puskesmas=`` (``None`` when not asked or not allowed)."""
    places = list(db.session.scalars(scoped(Puskesmas, current_user).order_by(Puskesmas.name)))
    asked = request.args.get("puskesmas", type=int)
    return places, next((p for p in places if p.id == asked), None)


def _first_month(today: date) -> date:
    """The first day of the month ``MONTHS - 1`` months before this one."""
    return add_months(today, -(MONTHS - 1))


@bp.get("/trainings/district")
@permission_required(may_plan_trainings)
def district() -> ResponseReturnValue:
    places, chosen = _puskesmas_choice()
    if not may_choose_puskesmas(current_user):
        chosen = current_user.puskesmas
    first = _first_month(local_today())
    chosen_id = chosen.id if chosen else None
    months = history.trainings_per_month(current_user, first, MONTHS, chosen_id)
    gains = paginate(history.score_gains(current_user, first, chosen_id), scalars=False)
    chart = bar_chart([(fdate(m.month, "MMM"), fdate(m.month, "yyyy") if m.month.month == 1
                        or (i == 0 and m.month.month != 12) else "", m.events)
                       for i, m in enumerate(months)])
    return render_template(
        "training/district.html", months=months, chart=chart, places=places, chosen=chosen,
        gains=replace(gains, items=history.gain_rows(gains.items)), first=first,
        may_choose=may_choose_puskesmas(current_user),
    )


@bp.get("/trainings/planning")
@permission_required(may_plan_trainings)
def planning() -> ResponseReturnValue:
    places, chosen = _puskesmas_choice()
    puskesmas = chosen or (places[0] if places else None)
    if not may_choose_puskesmas(current_user):
        puskesmas = current_user.puskesmas
    if puskesmas is None:
        abort(404)
    framework = framework_on(local_today())
    groups = planning_service.planning_groups(puskesmas.id, framework, str(get_locale()))
    return render_template(
        "training/planning.html", places=places, puskesmas=puskesmas, groups=groups,
        events=planning_service.planned_events_for(current_user, puskesmas.id),
        events_for=planning_service.events_for_group,
        form=FillForm(formdata=None), may_choose=may_choose_puskesmas(current_user),
    )


@bp.post("/trainings/planning/fill")
@permission_required(may_plan_trainings)
def fill() -> ResponseReturnValue:
    """Add one planning group's chosen cadres to a planned event; a refusal (capacity,
    area) is flashed on the planning page and nothing is added."""
    form = FillForm()
    back = url_for("training.planning", puskesmas=form.puskesmas.data or None)
    if not form.validate_on_submit():
        flash(_("Choose a planned training."), "error")
        return redirect(back)
    event = manageable(form.event.data)
    ok = committed(form, lambda: service.add_participants(
        current_user, event, form.cadres.data or []))
    if not ok:
        flash_refusal(form)
        return redirect(back)
    flash(ngettext("%(num)d cadre added to “%(title)s”.", "%(num)d cadres added to “%(title)s”.",
                   len(ok.value.added), title=event.title), "success")
    return redirect(url_for("training.event", event_id=event.id))
