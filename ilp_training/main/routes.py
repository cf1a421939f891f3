"""The dashboard, the posyandu list and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ilp_training.auth import signed_in_user
from ilp_training.auth.services import set_locale
from ilp_training.core.extensions import db
from ilp_training.core.views import paginate
from ilp_training.main.services import (
    posyandu_overview,
    puskesmas_list,
    puskesmas_overview,
    scope_totals,
)
from ilp_training.models import Puskesmas
from ilp_training.scope import get_scoped_or_404, sees_people
from ilp_training.scoring.permissions import may_score

bp = Blueprint("main", __name__)


@bp.app_context_processor
def _menu_flags() -> dict[str, bool]:
    """What the main menu offers: the lists of posyandu, cadres and trainings, to those
    who see people (:func:`ilp_training.scope.sees_people`; users above the district see
    counts only)."""
    user = signed_in_user()
    return {"sees_people": user is not None and sees_people(user)}


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The start page; users above the district start at their overview of counts."""
    if not sees_people(current_user):
        return redirect(url_for("overview.home"))
    return render_template("main/index.html", totals=scope_totals(current_user),
                           home_puskesmas=current_user.puskesmas_id)


@bp.get("/puskesmas/")
@login_required
def puskesmas_index() -> ResponseReturnValue:
    return render_template("main/puskesmas_list.html", rows=puskesmas_list(current_user))


@bp.get("/puskesmas/<int:puskesmas_id>")
@login_required
def puskesmas(puskesmas_id: int) -> ResponseReturnValue:
    place = get_scoped_or_404(Puskesmas, current_user, puskesmas_id)
    return render_template("main/puskesmas.html",
                           overview=puskesmas_overview(place, current_user))


@bp.get("/posyandu/")
@login_required
def posyandu_list() -> ResponseReturnValue:
    search = request.args.get("q", "").strip()[:80]
    page = paginate(posyandu_overview(current_user, search), scalars=False)
    return render_template("main/posyandu_list.html", page=page, q=search,
                           may_score=may_score(current_user))


@bp.post("/language")
def switch_language() -> ResponseReturnValue:
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            set_locale(current_user, lang)
            db.session.commit()
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)
