"""Incentive scheme pages: the list (everyone in the incentives area), create and edit
(district admins; village heads for their own village's override)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ilp_training.auth import permission_required
from ilp_training.core.curricula import framework_on
from ilp_training.core.i18n import local_today
from ilp_training.core.views import committed
from ilp_training.incentives.forms import SchemeForm, scheme_form
from ilp_training.incentives.permissions import (
    may_edit_schemes,
    may_manage_scheme,
    may_see_incentives,
    scheme_owners,
)
from ilp_training.incentives.services import schemes as service
from ilp_training.models import IncentiveScheme, RegionLevel
from ilp_training.scope import get_scoped_or_404


def _levels() -> list[tuple[str, str]]:
    locale = str(get_locale())
    return [(lv.code, lv.name.get(locale)) for lv in framework_on(local_today()).levels]


def _owners() -> list[SelectChoice]:
    """The places the user may set a scheme for, the district named as such."""
    return [SelectChoice(r.id, r.name if r.level == RegionLevel.VILLAGE
                         else _("%(name)s (whole district)", name=r.name))
            for r in scheme_owners(current_user)]


def _data(form: SchemeForm) -> service.SchemeData:
    return service.SchemeData(
        region_id=form.region_id.data, legal_basis=form.legal_basis.data or "",
        valid_from=form.valid_from.data, valid_until=form.valid_until.data,
        base_amount=form.base_amount.data or 0,
        per_opening_day=form.per_opening_day.data or 0,
        opening_day_cap=form.opening_day_cap.data,
        per_home_visit=form.per_home_visit.data or 0, home_visit_cap=form.home_visit_cap.data,
        operational_amount=form.operational_amount.data or 0,
        level_top_ups={code: form[name].data or 0 for code, name in form.level_fields},
    )


@permission_required(may_see_incentives)
def scheme_list() -> ResponseReturnValue:
    rows = service.schemes_listed(current_user)
    return render_template("incentives/schemes.html", schemes=rows, levels=dict(_levels()),
                           can_edit=may_edit_schemes(current_user),
                           manageable={s.id for s in rows
                                       if may_manage_scheme(current_user, s.region)})


@permission_required(may_edit_schemes)
def scheme_new() -> ResponseReturnValue:
    form = scheme_form(_levels())
    form.region_id.choices = _owners()
    if request.method == "GET":
        form.region_id.data = request.args.get("region", type=int)
    if form.validate_on_submit():
        codes = [code for code, _name in _levels()]
        ok = committed(form, lambda: service.create_scheme(current_user, _data(form), codes))
        if ok:
            flash(_("Scheme saved."), "success")
            return redirect(url_for(".scheme_list"))
    return render_template("incentives/scheme_form.html", form=form, scheme=None)


@permission_required(may_edit_schemes)
def scheme_edit(scheme_id: int) -> ResponseReturnValue:
    scheme = get_scoped_or_404(IncentiveScheme, current_user, scheme_id)
    if not may_manage_scheme(current_user, scheme.region):
        abort(403)
    values = {name: getattr(scheme, name) for name in service.AUDITED_FIELDS}
    values |= {f"level_{code}": amount for code, amount in scheme.top_up_by_level.items()}
    form = scheme_form(_levels(), data=values) if request.method == "GET" else scheme_form(
        _levels())
    form.region_id.choices = [SelectChoice(scheme.region_id, scheme.region.name)]
    if form.validate_on_submit():
        codes = [code for code, _name in _levels()]
        ok = committed(form, lambda: service.update_scheme(
            current_user, scheme, _data(form), codes))
        if ok:
            flash(_("Scheme saved."), "success")
            return redirect(url_for(".scheme_list"))
    return render_template("incentives/scheme_form.html", form=form, scheme=scheme)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/schemes", view_func=scheme_list)
    bp.add_url_rule("/schemes/new", view_func=scheme_new, methods=["GET", "POST"])
    bp.add_url_rule("/schemes/<int:scheme_id>/edit", view_func=scheme_edit,
                    methods=["GET", "POST"])
