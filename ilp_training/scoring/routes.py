"""Scoring in the field: open a session at a posyandu, then score one skill for many
cadres (the grid) or many skills for one cadre (the full assessment); corrections."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from assessments import Framework
from ilp_training.auth import permission_required
from ilp_training.cadres import cadre_label
from ilp_training.core.curricula import framework_for, framework_on
from ilp_training.core.i18n import local_today
from ilp_training.core.views import committed
from ilp_training.models import (
    Assessment,
    AssessmentSession,
    Method,
    Posyandu,
    Setting,
)
from ilp_training.scope import get_scoped_or_404
from ilp_training.scoring import services as service
from ilp_training.scoring.forms import (
    METHOD_LABELS,
    SETTING_LABELS,
    CorrectionForm,
    ScoresForm,
    SessionForm,
)
from ilp_training.scoring.parsing import ParsedScores, parse_full, parse_grid
from ilp_training.scoring.permissions import may_score

bp = Blueprint("scoring", __name__)


def _new_key() -> str:
    return secrets.token_hex(16)


@bp.route("/posyandu/<int:posyandu_id>/assessments/new", methods=["GET", "POST"])
@permission_required(may_score)
def new_session(posyandu_id: int) -> ResponseReturnValue:
    posyandu = get_scoped_or_404(Posyandu, current_user, posyandu_id)
    active = service.active_cadres(posyandu)
    form = SessionForm()
    form.cadres.choices = [SelectChoice(c.id, cadre_label(c.full_name, c.id)) for c in active]
    if request.method == "GET":
        form.assessed_on.data = local_today()
        form.setting.data, form.method.data = Setting.POSYANDU_DAY, Method.OBSERVATION
        form.cadres.data = request.args.getlist("cadre", type=int)  # e.g. from a training
    if form.validate_on_submit():
        chosen = [c for c in active if c.id in set(form.cadres.data or [])]
        ok = committed(form, lambda: service.open_session(
            current_user, posyandu, form.assessed_on.data, Setting(form.setting.data),
            Method(form.method.data), chosen, framework_on(form.assessed_on.data),
            local_today()))
        if ok:
            return redirect(url_for("scoring.session", session_id=ok.value.id))
    return render_template("scoring/new_session.html", form=form, posyandu=posyandu)


@bp.get("/assessment-sessions/<int:session_id>")
@permission_required(may_score)
def session(session_id: int) -> ResponseReturnValue:
    sitting = get_scoped_or_404(AssessmentSession, current_user, session_id)
    framework = framework_for(sitting.framework_id, sitting.framework_version)
    return render_template(
        "scoring/session.html", sitting=sitting, framework=framework,
        counts=service.assessed_per_skill(sitting),
        setting_labels=SETTING_LABELS, method_labels=METHOD_LABELS,
    )


def _saved(
    recorded: service.Recorded, sitting: AssessmentSession, draft: str
) -> ResponseReturnValue:
    if recorded.repeated:
        flash(_("These scores were already saved; nothing was added."), "info")
    else:
        competent = sum(a.competent for a in recorded.assessments)
        flash(ngettext("%(num)d assessment saved (%(ok)d competent).",
                       "%(num)d assessments saved (%(ok)d competent).",
                       len(recorded.assessments), ok=competent), "success")
        if recorded.already:
            flash(ngettext("%(num)d skill was already saved in this sitting; it was not "
                           "added again.",
                           "%(num)d skills were already saved in this sitting; they were "
                           "not added again.", len(recorded.already)), "info")
    return redirect(url_for("scoring.session", session_id=sitting.id, saved=draft))


@dataclass(frozen=True)
class Conflict:
    """A skill the sitting holds with other scores: what to correct instead."""

    assessment_id: int
    skill_code: str
    cadre_name: str


def _scores_page(
    sitting: AssessmentSession, framework: Framework,
    parse: Callable[[MultiDict[str, str]], ParsedScores], template: str, draft: str,
    **context: object,
) -> ResponseReturnValue:
    """GET shows an empty scoring form with a fresh submission key; POST parses, records
    and redirects, or shows the form again with every value entered and the errors (and,
    for skills the sitting already holds with other scores, links to correct them)."""
    form, errors, values = ScoresForm(), [], {}
    conflicts: list[Conflict] = []
    if request.method == "GET":
        form.submission_key.data = _new_key()
    elif form.validate_on_submit():
        parsed = parse(request.form)
        errors, values = parsed.errors, parsed.values

        def record() -> service.Recorded:
            try:
                return service.record_assessments(
                    current_user, sitting, parsed.entries, form.submission_key.data, framework)
            except service.AlreadyAssessed as exc:  # plain data: the rows go with the rollback
                conflicts[:] = [Conflict(a.id, a.skill_code, a.cadre.full_name)
                                for a in exc.stored]
                raise

        if not errors:
            ok = committed(form, record)
            if ok:
                return _saved(ok.value, sitting, draft)
            errors = list(form.form_errors)
    page = render_template(template, sitting=sitting, framework=framework, form=form,
                           errors=errors, values=values, draft=draft, conflicts=conflicts,
                           **context)
    return page, 422 if errors or form.errors else 200


@bp.route("/assessment-sessions/<int:session_id>/skills/<code>", methods=["GET", "POST"])
@permission_required(may_score)
def grid(session_id: int, code: str) -> ResponseReturnValue:
    sitting = get_scoped_or_404(AssessmentSession, current_user, session_id)
    framework = framework_for(sitting.framework_id, sitting.framework_version)
    if not framework.has_skill(code):
        abort(404)
    skill = framework.skill(code)
    names = {c.id: cadre_label(c.full_name, c.id) for c in sitting.cadres}
    return _scores_page(sitting, framework, lambda f: parse_grid(f, framework, skill, names),
                        "scoring/grid.html", f"grid-{sitting.id}-{code}", skill=skill)


@bp.route("/assessment-sessions/<int:session_id>/cadres/<int:cadre_id>",
          methods=["GET", "POST"])
@permission_required(may_score)
def full(session_id: int, cadre_id: int) -> ResponseReturnValue:
    sitting = get_scoped_or_404(AssessmentSession, current_user, session_id)
    cadre = next((c for c in sitting.cadres if c.id == cadre_id), None)
    if cadre is None:
        abort(404)
    framework = framework_for(sitting.framework_id, sitting.framework_version)
    return _scores_page(sitting, framework, lambda f: parse_full(f, framework, cadre.id),
                        "scoring/full.html", f"full-{sitting.id}-{cadre.id}", cadre=cadre)


@bp.get("/assessments/<int:assessment_id>")
@permission_required(may_score)
def assessment(assessment_id: int) -> ResponseReturnValue:
    item = get_scoped_or_404(Assessment, current_user, assessment_id)
    framework = framework_for(item.framework_id, item.framework_version)
    return render_template("scoring/assessment.html", item=item, framework=framework,
                           skill=framework.skill(item.skill_code),
                           superseded_by=service.correction_of(item),
                           setting_labels=SETTING_LABELS, method_labels=METHOD_LABELS)


@bp.route("/assessments/<int:assessment_id>/correct", methods=["GET", "POST"])
@permission_required(may_score)
def correct(assessment_id: int) -> ResponseReturnValue:
    item = get_scoped_or_404(Assessment, current_user, assessment_id)
    if item.method == Method.PAPER:
        flash(_("A result transferred from paper records is not corrected: assess the skill "
                "again, and the new assessment takes over."), "info")
        return redirect(url_for("scoring.assessment", assessment_id=item.id))
    framework = framework_for(item.framework_id, item.framework_version)
    skill = framework.skill(item.skill_code)
    form, errors = CorrectionForm(), []
    values = {f"score-{s.indicator_code}": str(s.score) for s in item.scores}
    values[f"note-{skill.code}"] = item.note or ""
    if request.method == "GET":
        form.submission_key.data = _new_key()
    elif form.validate_on_submit():
        parsed = parse_full(request.form, framework, item.cadre_id)
        errors, values = parsed.errors, parsed.values
        entry = next((e for e in parsed.entries if e.skill_code == skill.code), None)
        if not errors and entry is None:
            errors = [_("Score every indicator of %(skill)s.", skill=skill.code)]
        if not errors and entry is not None:
            ok = committed(form, lambda: service.correct_assessment(
                current_user, item, entry.scores, entry.note, form.reason.data or "",
                form.submission_key.data, framework))
            if ok:
                recorded = ok.value
                flash(_("Correction saved."), "success")
                return redirect(url_for("scoring.assessment",
                                        assessment_id=recorded.assessments[0].id))
    return render_template("scoring/correct.html", item=item, framework=framework, skill=skill,
                           form=form, errors=errors, values=values), (
        422 if errors or form.errors else 200)
