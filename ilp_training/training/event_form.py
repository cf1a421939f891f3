"""The event form's moving parts: its choices by role (admins pick the place, others plan
for their own puskesmas), the defaults of a new event (``?package=`` pre-fills a package's
skills, from the planning page), the values of an existing one, and the plain data it
hands to :mod:`ilp_training.training.services.events`."""

from __future__ import annotations

from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from assessments import Framework
from ilp_training.core.extensions import db
from ilp_training.models import (
    Organiser,
    Puskesmas,
    Region,
    TrainingEvent,
    TrainingType,
)
from ilp_training.scope import get_scoped_or_404, scoped
from ilp_training.training.forms import EventForm
from ilp_training.training.permissions import may_choose_puskesmas
from ilp_training.training.services import events as events_service


def own_puskesmas_id() -> int | None:
    """The puskesmas a coordinator plans for; ``None`` for an admin (any, or none)."""
    return None if may_choose_puskesmas(current_user) else current_user.puskesmas_id


def district() -> Region:
    """The district a new event belongs to: the admin's, or the coordinator's puskesmas's."""
    return db.session.get_one(Region, current_user.district_id
                              or current_user.puskesmas.district_id)


def setup_form(form: EventForm, framework: Framework, puskesmas_id: int | None) -> None:
    """Choices of the event form; the place is chosen by admins only."""
    locale = str(get_locale())
    if may_choose_puskesmas(current_user):
        places = db.session.scalars(scoped(Puskesmas, current_user).order_by(Puskesmas.name))
        form.puskesmas.choices = [SelectChoice(0, _("The whole district")),
                                  *(SelectChoice(p.id, p.name) for p in places)]
        district_id = current_user.district_id
    else:
        del form.puskesmas
        district_id = current_user.puskesmas.district_id
    form.skills.choices = [SelectChoice(s.code, s.name.get(locale)) for s in framework.skills]
    users = db.session.scalars(events_service.facilitator_choices(district_id, puskesmas_id))
    form.facilitators.choices = [SelectChoice(u.id, u.display_name) for u in users]


def place(form: EventForm) -> Puskesmas | None:
    """The puskesmas the event is for: a coordinator's own; an admin's choice (in scope,
    else 404), ``None`` for the whole district."""
    if not may_choose_puskesmas(current_user):
        return current_user.puskesmas
    return get_scoped_or_404(Puskesmas, current_user, form.puskesmas.data) \
        if form.puskesmas.data else None


def data(form: EventForm) -> events_service.EventData:
    """The form's values as the service's plain data (outsiders: one name per line)."""
    return events_service.EventData(
        type=TrainingType(form.type.data), title=form.title.data or "",
        organiser=Organiser(form.organiser.data), venue=form.venue.data or "",
        start_date=form.start_date.data, end_date=form.end_date.data,
        capacity=form.capacity.data, pass_mark=form.pass_mark.data,
        skill_codes=tuple(form.skills.data or ()), partner_name=form.partner_name.data,
        facilitator_ids=tuple(form.facilitators.data or ()),
        outside_facilitators=tuple((form.outside_facilitators.data or "").splitlines()),
    )


def prefill(form: EventForm, framework: Framework) -> None:
    """A new event's defaults; ``?package=D`` (from the planning page) picks its skills."""
    form.type.data, form.capacity.data, form.pass_mark.data = "refresher", 30, 70
    form.organiser.data = "district" if may_choose_puskesmas(current_user) else "puskesmas"
    code = request.args.get("package", "")
    if code in {p.code for p in framework.packages}:
        package = framework.package(code)
        form.skills.data = list(package.skill_codes)
        form.title.data = _("Training on package %(code)s: %(name)s", code=code,
                            name=package.name.get(str(get_locale())))
    if may_choose_puskesmas(current_user):
        form.puskesmas.data = request.args.get("puskesmas", 0, type=int)


def fill_from(form: EventForm, event: TrainingEvent) -> None:
    """The values of an existing event that ``EventForm(obj=event)`` cannot fill itself."""
    form.type.data, form.organiser.data = event.type.value, event.organiser.value
    form.skills.data = event.skill_codes
    form.facilitators.data = [f.user_id for f in event.facilitators if f.user_id]
    form.outside_facilitators.data = "\n".join(f.name for f in event.facilitators if f.name)
    if form.puskesmas is not None:
        form.puskesmas.data = event.puskesmas_id or 0
