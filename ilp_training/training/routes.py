"""Training events: the list, plan and edit, participants, attendance per day, pre/post
tests, finish or cancel (with a confirmation), and the exports."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from assessments import Framework
from ilp_training.auth import permission_required
from ilp_training.certificates.permissions import may_issue_certificates
from ilp_training.core.curricula import framework_for, framework_on, framework_on_or_today
from ilp_training.core.extensions import db
from ilp_training.core.i18n import fdate, local_today
from ilp_training.core.pdf import render_pdf
from ilp_training.core.spreadsheets import XLSX_MIMETYPE
from ilp_training.core.views import committed, paginate
from ilp_training.models import (
    Posyandu,
    TrainingEvent,
    TrainingParticipant,
    TrainingStatus,
)
from ilp_training.scope import get_scoped_or_404
from ilp_training.scoring.permissions import may_score
from ilp_training.training import (
    bp,
    event_form,
    exports,
    manageable,
    recordable,
)
from ilp_training.training.forms import (
    AddCadresForm,
    AddPosyanduForm,
    AttendanceForm,
    ConfirmForm,
    EventForm,
    ParsedScores,
    ScoresForm,
    parse_scores,
)
from ilp_training.training.permissions import (
    may_manage_event,
    may_plan_trainings,
    may_record,
    sees_all_participants,
)
from ilp_training.training.services import events as events_service
from ilp_training.training.services import participation as service
from ilp_training.training.services import reports


def _status(*failed: object) -> int:
    return 422 if request.method == "POST" and any(failed) else 200


def _framework(event: TrainingEvent) -> Framework:
    try:
        return framework_for(event.framework_id, event.framework_version)
    except LookupError:
        return framework_on(event.start_date)


def _visible_rows(event: TrainingEvent) -> list[reports.ParticipantRow]:
    everyone = sees_all_participants(current_user, event)
    return reports.participant_rows(event, None if everyone else current_user)


@bp.get("/trainings/")
@login_required
def events() -> ResponseReturnValue:
    status = request.args.get("status", "")
    page = paginate(reports.event_list(current_user, status), scalars=False)
    return render_template("training/list.html", page=page, status=status,
                           statuses=list(TrainingStatus),
                           may_plan=may_plan_trainings(current_user))


@bp.route("/trainings/new", methods=["GET", "POST"])
@permission_required(may_plan_trainings)
def new() -> ResponseReturnValue:
    form = EventForm()
    framework = framework_on_or_today(form.start_date.data)
    event_form.setup_form(form, framework, event_form.own_puskesmas_id())
    if request.method == "GET":
        event_form.prefill(form, framework)
    if form.validate_on_submit():
        ok = committed(form, lambda: events_service.create_event(
            current_user, event_form.district(), event_form.place(form), event_form.data(form),
            framework))
        if ok:
            event = ok.value
            flash(_("Training “%(title)s” planned.", title=event.title), "success")
            return redirect(url_for("training.participants", event_id=event.id))
    return render_template("training/form.html", form=form, event=None,
                           framework=framework), _status(form.errors)


@bp.route("/trainings/<int:event_id>/edit", methods=["GET", "POST"])
@permission_required(may_plan_trainings)
def edit(event_id: int) -> ResponseReturnValue:
    event = manageable(event_id)
    form = EventForm(obj=event)
    framework = framework_on_or_today(form.start_date.data or event.start_date)
    event_form.setup_form(form, framework, event.puskesmas_id)
    if request.method == "GET":
        event_form.fill_from(form, event)
    if form.validate_on_submit():
        ok = committed(form, lambda: events_service.update_event(
            current_user, event, event_form.place(form), event_form.data(form), framework))
        if ok:
            flash(_("Changes saved."), "success")
            return redirect(url_for("training.event", event_id=event.id))
    return render_template("training/form.html", form=form, event=event,
                           framework=framework), _status(form.errors)


@bp.get("/trainings/<int:event_id>")
@login_required
def event(event_id: int) -> ResponseReturnValue:
    event = get_scoped_or_404(TrainingEvent, current_user, event_id)
    everyone = sees_all_participants(current_user, event)
    viewer = None if everyone else current_user
    rows = reports.participant_rows(event, viewer)
    due = (reports.due_for_assessment(event, viewer)
           if event.status == TrainingStatus.FINISHED else [])
    return render_template(
        "training/event.html", event=event, rows=rows, due=due, framework=_framework(event),
        total=service.participant_count(event), days=len(event.days),
        may_manage=may_manage_event(current_user, event),
        may_record=may_record(current_user, event),
        assessable=(reports.assessable_posyandu(current_user, due)
                    if may_score(current_user) else set()),
        may_issue_certificates=may_issue_certificates(current_user),
    )


def _candidate_filters(framework: Framework, area: list[tuple[int, str]]
                       ) -> reports.CandidateFilters:
    posyandu = request.args.get("posyandu", type=int)
    level = request.args.get("level", "")
    untrained = request.args.get("untrained", "")
    return reports.CandidateFilters(
        q=request.args.get("q", "").strip()[:80],
        posyandu_id=posyandu if posyandu in {pid for pid, _name in area} else None,
        level=level if level == "none" or level in {lv.code for lv in framework.levels} else "",
        untrained=untrained if untrained in {p.code for p in framework.packages} else "",
    )


def _participants_page(event: TrainingEvent, form: AddCadresForm,
                       posyandu_form: AddPosyanduForm) -> ResponseReturnValue:
    framework = _framework(event)
    area = reports.area_posyandu(event)
    posyandu_form.posyandu.choices = [SelectChoice(pid, name) for pid, name in area]
    filters = _candidate_filters(framework, area)
    found, more = reports.candidates(event, filters, framework)
    return render_template(
        "training/participants.html", event=event, form=form, posyandu_form=posyandu_form,
        found=found, more=more, filters=filters, area=area, framework=framework,
        rows=reports.participant_rows(event), locale=str(get_locale()),
    ), _status(form.errors, posyandu_form.errors)


def _flash_added(added: service.Added) -> None:
    flash(ngettext("%(num)d cadre added.", "%(num)d cadres added.", len(added.added)),
          "success")
    if added.already:
        flash(ngettext("%(num)d of the chosen cadres already took part.",
                       "%(num)d of the chosen cadres already took part.", added.already), "info")


def _filter_args() -> dict[str, Any]:
    """The request's query parameters to keep in a redirect, without those named like
    url_for's own options (``_scheme``, ``_external``, ``_anchor``, ``_method``), which
    would change the address or fail to build it."""
    return {k: v for k, v in request.args.items() if not k.startswith("_")}


@bp.route("/trainings/<int:event_id>/participants", methods=["GET", "POST"])
@permission_required(may_plan_trainings)
def participants(event_id: int) -> ResponseReturnValue:
    event = manageable(event_id)
    form = AddCadresForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.add_participants(
            current_user, event, form.cadres.data or []))
        if ok:
            added = ok.value
            _flash_added(added)
            return redirect(url_for("training.participants", event_id=event.id,
                                    **_filter_args()))
    return _participants_page(event, form, AddPosyanduForm(formdata=None))


@bp.post("/trainings/<int:event_id>/participants/posyandu")
@permission_required(may_plan_trainings)
def add_posyandu(event_id: int) -> ResponseReturnValue:
    event = manageable(event_id)
    form = AddPosyanduForm()
    form.posyandu.choices = [SelectChoice(pid, name) for pid, name in reports.area_posyandu(event)]
    if form.validate_on_submit():
        ok = committed(form, lambda: service.add_posyandu(
            current_user, event, db.session.get_one(Posyandu, form.posyandu.data)))
        if ok:
            added = ok.value
            _flash_added(added)
            return redirect(url_for("training.participants", event_id=event.id))
    return _participants_page(event, AddCadresForm(formdata=None), form)


@bp.route("/trainings/<int:event_id>/participants/<int:participant_id>/remove",
          methods=["GET", "POST"])
@permission_required(may_plan_trainings)
def remove(event_id: int, participant_id: int) -> ResponseReturnValue:
    """Take a cadre off the training, after a confirmation that names what is lost."""
    event = manageable(event_id)
    participant = db.session.get(TrainingParticipant, participant_id)
    if participant is None or participant.event_id != event.id:
        abort(404)
    name, form = participant.cadre.full_name, ConfirmForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.remove_participant(current_user, event, participant))
        if ok:
            flash(_("%(name)s no longer takes part.", name=name), "success")
            return redirect(url_for("training.participants", event_id=event.id))
    return render_template("training/remove.html", event=event, participant=participant,
                           days=len(participant.attendance), form=form), _status(form.errors)


def _default_day(event: TrainingEvent, asked: str | None) -> date:
    """The day asked for (``?day=``) if it is one of the event's, else today within the
    event, else its first day."""
    days = event.days
    for candidate in (asked, local_today().isoformat()):
        if candidate and candidate in {d.isoformat() for d in days}:
            return date.fromisoformat(candidate)
    return days[0]


@bp.route("/trainings/<int:event_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(event_id: int) -> ResponseReturnValue:
    event = recordable(event_id)
    rows = reports.participant_rows(event)
    form = AttendanceForm()
    if request.method == "GET":
        form.day.data = _default_day(event, request.args.get("day"))
        form.present.data = reports.present_on(event, form.day.data)
    if form.validate_on_submit():
        ok = committed(form, lambda: service.record_attendance(
            current_user, event, form.day.data, set(form.present.data or []), local_today()))
        if ok:
            count = ok.value
            flash(ngettext("%(num)d present on %(day)s.", "%(num)d present on %(day)s.", count,
                           day=fdate(form.day.data)), "success")
            return redirect(url_for("training.attendance", event_id=event.id,
                                    day=form.day.data.isoformat()))
    return render_template("training/attendance.html", event=event, rows=rows, form=form,
                           today=local_today(),
                           may_manage=may_manage_event(current_user, event)
                           ), _status(form.errors)


@bp.route("/trainings/<int:event_id>/tests", methods=["GET", "POST"])
@login_required
def tests(event_id: int) -> ResponseReturnValue:
    event = recordable(event_id)
    rows = reports.participant_rows(event)
    form = ScoresForm()
    parsed = ParsedScores(values={f"{kind}-{r.id}": "" if score is None else str(score)
                                  for r in rows for kind, score in (("pre", r.pre),
                                                                    ("post", r.post))})
    if form.validate_on_submit():
        parsed = parse_scores(request.form, [r.id for r in rows])
        if not parsed.errors:
            ok = committed(form, lambda: service.record_scores(current_user, event, parsed.scores))
            if ok:
                changed = ok.value
                flash(ngettext("Scores of %(num)d participant saved.",
                               "Scores of %(num)d participants saved.", changed), "success")
                return redirect(url_for("training.event", event_id=event.id))
    return render_template("training/tests.html", event=event, rows=rows, form=form,
                           parsed=parsed, may_manage=may_manage_event(current_user, event)
                           ), _status(parsed.errors, form.errors)


@bp.route("/trainings/<int:event_id>/finish", methods=["GET", "POST"])
@permission_required(may_plan_trainings)
def finish(event_id: int) -> ResponseReturnValue:
    event = manageable(event_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.finish_event(current_user, event, local_today()))
        if ok:
            done = ok.value
            flash(ngettext("Training finished: %(num)d participant completed.",
                           "Training finished: %(num)d participants completed.", done), "success")
            return redirect(url_for("training.event", event_id=event.id, _anchor="due"))
    outcomes = service.outcomes(event) if event.is_open else {}
    return render_template("training/finish.html", event=event, form=form, outcomes=outcomes,
                           rows=reports.participant_rows(event), days=len(event.days),
                           today=local_today()), _status(form.errors)


@bp.route("/trainings/<int:event_id>/cancel", methods=["GET", "POST"])
@permission_required(may_plan_trainings)
def cancel(event_id: int) -> ResponseReturnValue:
    event = manageable(event_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        ok = committed(form, lambda: service.cancel_event(current_user, event))
        if ok:
            flash(_("Training cancelled."), "success")
            return redirect(url_for("training.event", event_id=event.id))
    return render_template("training/cancel.html", event=event, form=form,
                           total=service.participant_count(event)), _status(form.errors)


@bp.get("/trainings/<int:event_id>/attendance.pdf")
@login_required
def attendance_pdf(event_id: int) -> ResponseReturnValue:
    event = get_scoped_or_404(TrainingEvent, current_user, event_id)
    context = exports.attendance_context(event, _visible_rows(event), _framework(event),
                                         reports.attendance_by_participant(event))
    return send_file(io.BytesIO(render_pdf("pdf/attendance.html", context)),
                     mimetype="application/pdf", download_name=f"daftar-hadir-{event.id}.pdf")


@bp.get("/trainings/<int:event_id>/results.xlsx")
@login_required
def results_xlsx(event_id: int) -> ResponseReturnValue:
    event = get_scoped_or_404(TrainingEvent, current_user, event_id)
    data = exports.results_workbook(event, _visible_rows(event))
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"hasil-pelatihan-{event.id}.xlsx")
