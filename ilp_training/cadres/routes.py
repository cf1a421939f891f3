"""The cadre registry: roster per posyandu, profile, register, edit, move, deactivate."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ilp_training.auth import permission_required
from ilp_training.cadres import cadre_number
from ilp_training.cadres import services as service
from ilp_training.cadres.forms import (
    CadreForm,
    DeactivateForm,
    MoveForm,
    ReactivateForm,
)
from ilp_training.cadres.nik import mask_nik, mask_personal, mask_phone
from ilp_training.cadres.permissions import may_manage_cadres
from ilp_training.certificates.forms import IssueForm
from ilp_training.certificates.services.issuing import certificates_of, is_due, trainings_due
from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.views import committed, paginate
from ilp_training.main.services import cadre_roster
from ilp_training.models import (
    Cadre,
    CadreStatus,
    Posyandu,
    Sex,
)
from ilp_training.scope import get_scoped_or_404, scoped
from ilp_training.scoring.competency import competency_profile
from ilp_training.scoring.permissions import may_assess_cadre, may_score
from ilp_training.training.services.history import cadre_trainings

bp = Blueprint("cadres", __name__)
# The masks of personal data, for every template (the roster, the audit log).
bp.add_app_template_filter(mask_nik, "mask_nik")
bp.add_app_template_filter(mask_phone, "mask_phone")
bp.add_app_template_global(mask_personal, "mask_personal")
bp.add_app_template_global(cadre_number, "cadre_number")


def _data(form: CadreForm) -> service.CadreData:
    return service.CadreData(
        full_name=form.full_name.data or "", sex=Sex(form.sex.data), nik=form.nik.data,
        birth_date=form.birth_date.data, phone=form.phone.data, start_date=form.start_date.data,
        bpjs_tk_enrolled=bool(form.bpjs_tk_enrolled.data), bpjs_tk_number=form.bpjs_tk_number.data,
    )


@bp.get("/posyandu/<int:posyandu_id>/")
@login_required
def roster(posyandu_id: int) -> ResponseReturnValue:
    posyandu = get_scoped_or_404(Posyandu, current_user, posyandu_id)
    search = request.args.get("q", "").strip()[:80]
    status = request.args.get("status", "")
    page = paginate(cadre_roster(posyandu, search, status))
    return render_template(
        "cadres/roster.html", posyandu=posyandu, page=page, q=search, status=status,
        statuses=list(CadreStatus), may_manage=may_manage_cadres(current_user),
        may_assess=may_score(current_user),
    )


@bp.route("/posyandu/<int:posyandu_id>/cadres/new", methods=["GET", "POST"])
@permission_required(may_manage_cadres)
def register(posyandu_id: int) -> ResponseReturnValue:
    posyandu = get_scoped_or_404(Posyandu, current_user, posyandu_id)
    form = CadreForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.register_cadre(
            current_user, posyandu, _data(form), local_today()))
        if ok:
            cadre = ok.value
            flash(_("Cadre %(name)s registered.", name=cadre.full_name), "success")
            return redirect(url_for("cadres.profile", cadre_id=cadre.id))
    return render_template("cadres/form.html", form=form, posyandu=posyandu, cadre=None)


@bp.get("/cadres/<int:cadre_id>")
@login_required
def profile(cadre_id: int) -> ResponseReturnValue:
    cadre = service.profile_cadre(current_user, cadre_id)
    if cadre is None:
        abort(404)
    framework = framework_on(local_today())
    competency = competency_profile(cadre, framework, str(get_locale()))
    return render_template(
        "cadres/profile.html", cadre=cadre, history=service.cadre_history(cadre),
        competency=competency, skill_total=len(framework.skills),
        may_manage=may_manage_cadres(current_user),
        may_assess=may_assess_cadre(current_user, cadre),
        may_open_assessments=may_score(current_user),
        certificates=certificates_of(cadre), certificate_due=is_due(cadre),
        trainings_due=trainings_due(cadre),
        issue_form=IssueForm(), trainings=cadre_trainings(cadre.id, current_user),
    )


@bp.route("/cadres/<int:cadre_id>/edit", methods=["GET", "POST"])
@permission_required(may_manage_cadres)
def edit(cadre_id: int) -> ResponseReturnValue:
    cadre = get_scoped_or_404(Cadre, current_user, cadre_id)
    form = CadreForm(obj=cadre)
    if request.method == "GET":
        form.sex.data = cadre.sex.value
    if form.validate_on_submit():
        ok = committed(form, lambda: service.update_cadre(
            current_user, cadre, _data(form), local_today()))
        if ok:
            flash(_("Changes saved."), "success")
            return redirect(url_for("cadres.profile", cadre_id=cadre.id))
    return render_template("cadres/form.html", form=form, posyandu=cadre.posyandu, cadre=cadre)


@bp.route("/cadres/<int:cadre_id>/move", methods=["GET", "POST"])
@permission_required(may_manage_cadres)
def move(cadre_id: int) -> ResponseReturnValue:
    cadre = get_scoped_or_404(Cadre, current_user, cadre_id)
    form = MoveForm()
    targets = db.session.scalars(scoped(Posyandu, current_user).order_by(Posyandu.name)).all()
    form.posyandu.choices = [
        SelectChoice(p.id, p.name) for p in targets if p.id != cadre.posyandu_id
    ]
    if request.method == "GET":
        form.on.data = local_today()
    if form.validate_on_submit():
        target = get_scoped_or_404(Posyandu, current_user, form.posyandu.data)
        ok = committed(form, lambda: service.move_cadre(
            current_user, cadre, target, form.on.data, local_today(), form.note.data))
        if ok:
            flash(_("%(name)s now serves at %(posyandu)s.", name=cadre.full_name,
                    posyandu=target.name), "success")
            return redirect(url_for("cadres.profile", cadre_id=cadre.id))
    return render_template("cadres/move.html", form=form, cadre=cadre)


@bp.route("/cadres/<int:cadre_id>/deactivate", methods=["GET", "POST"])
@permission_required(may_manage_cadres)
def deactivate(cadre_id: int) -> ResponseReturnValue:
    cadre = get_scoped_or_404(Cadre, current_user, cadre_id)
    form = DeactivateForm()
    if request.method == "GET":
        form.on.data = local_today()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.deactivate_cadre(
            current_user, cadre, form.reason.data or "", form.on.data, local_today()))
        if ok:
            flash(_("%(name)s is now inactive.", name=cadre.full_name), "success")
            return redirect(url_for("cadres.profile", cadre_id=cadre.id))
    return render_template("cadres/deactivate.html", form=form, cadre=cadre)


@bp.route("/cadres/<int:cadre_id>/reactivate", methods=["GET", "POST"])
@permission_required(may_manage_cadres)
def reactivate(cadre_id: int) -> ResponseReturnValue:
    cadre = get_scoped_or_404(Cadre, current_user, cadre_id)
    form = ReactivateForm()
    if request.method == "GET":
        form.on.data = local_today()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.reactivate_cadre(
            current_user, cadre, form.on.data, local_today()))
        if ok:
            flash(_("%(name)s is active again.", name=cadre.full_name), "success")
            return redirect(url_for("cadres.profile", cadre_id=cadre.id))
    return render_template("cadres/reactivate.html", form=form, cadre=cadre)
