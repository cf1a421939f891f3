"""Planning and editing training events: the facts of an event, its place, skills and
facilitators. The rules of who may do it and of what follows (participants, attendance,
completion) are in :mod:`.training`.

- Dates: one or more days, end ≥ start, at most :data:`MAX_DAYS` days.
- Place: a puskesmas event, or a district-wide one (``puskesmas`` ``None``, admins only);
  a coordinator plans only for their own puskesmas. A partner's event still belongs to a
  puskesmas or to the district, and names the partner.
- Capacity 1–:data:`MAX_CAPACITY`, post-test pass mark 0–100, at least one skill of the
  curriculum; facilitators are site users of the event's area or outsiders by name.
- Once cadres take part, the place cannot change, the capacity cannot fall below them,
  and the dates must keep every day with recorded attendance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln

from assessments import Framework
from ilp_training.core import audit
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.models import (
    Organiser,
    Puskesmas,
    Region,
    Role,
    TrainingAttendance,
    TrainingEvent,
    TrainingFacilitator,
    TrainingParticipant,
    TrainingSkill,
    TrainingStatus,
    TrainingType,
    User,
)
from ilp_training.training.permissions import may_plan_at
from ilp_training.training.services.participation import participant_count, require_open

MAX_DAYS = 31
MAX_CAPACITY = 500
MAX_OUTSIDE_FACILITATORS = 10
AUDITED_FIELDS = ["type", "title", "organiser", "partner_name", "puskesmas_id", "venue",
                  "start_date", "end_date", "capacity", "pass_mark", "status"]


@dataclass(frozen=True)
class EventData:
    """The editable facts of an event, as entered in the form."""

    type: TrainingType
    title: str
    organiser: Organiser
    venue: str
    start_date: date
    end_date: date
    capacity: int
    pass_mark: int
    skill_codes: tuple[str, ...]
    partner_name: str | None = None
    facilitator_ids: tuple[int, ...] = ()
    outside_facilitators: tuple[str, ...] = ()


def facilitator_choices(district_id: int, puskesmas_id: int | None) -> sa.Select[User]:
    """Site users who can facilitate: the district's admins and the staff (coordinators,
    trainers) of the event's puskesmas, or of every puskesmas of a district event."""
    places = sa.select(Puskesmas.id).where(Puskesmas.district_id == district_id)
    if puskesmas_id is not None:
        places = places.where(Puskesmas.id == puskesmas_id)
    return sa.select(User).where(User.active, sa.or_(
        sa.and_(User.role == Role.ADMIN, User.district_id == district_id),
        sa.and_(User.role.in_([Role.COORDINATOR, Role.TRAINER]), User.puskesmas_id.in_(places)),
    )).order_by(User.display_name)


def _clean(data: EventData, framework: Framework) -> EventData:
    """Normalise and check ``data``; raise :class:`ServiceError` on the first problem."""
    title, venue = " ".join(data.title.split()), " ".join(data.venue.split())
    partner = " ".join((data.partner_name or "").split()) or None
    if not title:
        raise ServiceError(_l("The title is required."), "title")
    if not venue:
        raise ServiceError(_l("The venue is required."), "venue")
    if data.organiser == Organiser.PARTNER and partner is None:
        raise ServiceError(_l("Name the partner who organises the training."), "partner_name")
    if data.end_date < data.start_date:
        raise ServiceError(_l("The last day cannot be before the first day."), "end_date")
    if (data.end_date - data.start_date).days + 1 > MAX_DAYS:
        raise ServiceError(_l("A training lasts at most %(days)d days.", days=MAX_DAYS),
                           "end_date")
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise ServiceError(_l("The capacity is a number from 1 to %(max)d.", max=MAX_CAPACITY),
                           "capacity")
    if not 0 <= data.pass_mark <= 100:
        raise ServiceError(_l("The pass mark is a score from 0 to 100."), "pass_mark")
    codes = tuple(dict.fromkeys(data.skill_codes))
    if not codes:
        raise ServiceError(_l("Choose at least one skill the training covers."), "skills")
    if any(not framework.has_skill(code) for code in codes):
        raise ServiceError(_l("Choose skills of the curriculum."), "skills")
    outside = tuple(dict.fromkeys(n for n in (" ".join(x.split()) for x in
                                              data.outside_facilitators) if n))
    if len(outside) > MAX_OUTSIDE_FACILITATORS or any(len(n) > 120 for n in outside):
        raise ServiceError(_l("List at most %(max)d outside facilitators, one name per line.",
                              max=MAX_OUTSIDE_FACILITATORS), "outside_facilitators")
    return EventData(
        type=data.type, title=title, organiser=data.organiser, venue=venue,
        start_date=data.start_date, end_date=data.end_date, capacity=data.capacity,
        pass_mark=data.pass_mark, skill_codes=codes,
        partner_name=partner if data.organiser == Organiser.PARTNER else None,
        facilitator_ids=tuple(dict.fromkeys(data.facilitator_ids)), outside_facilitators=outside,
    )


def _check_place(actor: User, district: Region, puskesmas: Puskesmas | None,
                 organiser: Organiser) -> None:
    if puskesmas is not None and puskesmas.district_id != district.id:
        raise ServiceError(_l("Choose a puskesmas of the district."), "puskesmas")
    if not may_plan_at(actor, district, puskesmas):
        raise ServiceError(_l("You can only plan trainings for your own area."), "puskesmas")
    if organiser == Organiser.PUSKESMAS and puskesmas is None:
        raise ServiceError(_l("A training organised by a puskesmas belongs to that puskesmas."),
                           "puskesmas")


def _check_facilitators(district_id: int, puskesmas_id: int | None, data: EventData) -> None:
    allowed = set(db.session.scalars(
        facilitator_choices(district_id, puskesmas_id).with_only_columns(User.id)))
    if not set(data.facilitator_ids) <= allowed:
        raise ServiceError(_l("Choose facilitators among the listed users."), "facilitators")


def _set_facilitators(event: TrainingEvent, data: EventData) -> None:
    wanted = [("u", i) for i in data.facilitator_ids] + [("n", n) for n in
                                                          data.outside_facilitators]
    current = {("u", f.user_id) if f.user_id else ("n", f.name): f for f in event.facilitators}
    for key, item in current.items():
        if key not in wanted:
            event.facilitators.remove(item)
    for kind, value in wanted:
        if (kind, value) not in current:
            event.facilitators.append(TrainingFacilitator(
                user_id=value if kind == "u" else None, name=value if kind == "n" else None))


def _set_skills(event: TrainingEvent, codes: Sequence[str]) -> None:
    current = {s.skill_code: s for s in event.skills}
    for code, item in current.items():
        if code not in codes:
            event.skills.remove(item)
    for code in codes:
        if code not in current:
            event.skills.append(TrainingSkill(skill_code=code))


def _facts(event: TrainingEvent) -> dict[str, object]:
    facts = audit.snapshot(event, AUDITED_FIELDS)
    facts["skills"] = ",".join(sorted(event.skill_codes))
    facts["facilitators"] = ",".join(sorted(f.label for f in event.facilitators))
    return facts


def create_event(actor: User, district: Region, puskesmas: Puskesmas | None, data: EventData,
                 framework: Framework) -> TrainingEvent:
    """Plan a new event in ``district`` (for ``puskesmas``, or district-wide when ``None``),
    graded against ``framework`` (the version in force on its first day)."""
    clean = _clean(data, framework)
    _check_place(actor, district, puskesmas, clean.organiser)
    _check_facilitators(district.id, puskesmas.id if puskesmas else None, clean)
    event = TrainingEvent(
        type=clean.type, title=clean.title, organiser=clean.organiser,
        partner_name=clean.partner_name, district_id=district.id,
        puskesmas_id=puskesmas.id if puskesmas else None, venue=clean.venue,
        start_date=clean.start_date, end_date=clean.end_date, capacity=clean.capacity,
        pass_mark=clean.pass_mark, status=TrainingStatus.PLANNED, framework_id=framework.id,
        framework_version=framework.version, created_by_id=actor.id,
    )
    _set_skills(event, clean.skill_codes)
    _set_facilitators(event, clean)
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "create", "training_event", event.id, audit.diff({}, _facts(event)))
    return event


def update_event(actor: User, event: TrainingEvent, puskesmas: Puskesmas | None,
                 data: EventData, framework: Framework) -> TrainingEvent:
    """Change an open event. Its place changes only while nobody takes part; the dates
    must keep every day with recorded attendance; the capacity, every participant."""
    require_open(event)
    clean = _clean(data, framework)
    _check_place(actor, event.district, puskesmas, clean.organiser)
    new_place = puskesmas.id if puskesmas else None
    taken = participant_count(event)
    if new_place != event.puskesmas_id and taken:
        raise ServiceError(_l("The place cannot change once cadres take part."), "puskesmas")
    if clean.capacity < taken:
        raise ServiceError(_ln("%(num)d cadre already takes part; the capacity cannot be lower.",
                               "%(num)d cadres already take part; the capacity cannot be lower.",
                               taken), "capacity")
    recorded = db.session.execute(
        sa.select(sa.func.min(TrainingAttendance.day), sa.func.max(TrainingAttendance.day))
        .select_from(TrainingAttendance).join(TrainingParticipant)
        .where(TrainingParticipant.event_id == event.id)).one()
    if recorded[0] is not None and not (clean.start_date <= recorded[0]
                                        and recorded[1] <= clean.end_date):
        raise ServiceError(_l("Attendance was recorded on days outside these dates."),
                           "start_date")
    _check_facilitators(event.district_id, new_place, clean)
    before = _facts(event)
    for key in ("type", "title", "organiser", "partner_name", "venue", "start_date",
                "end_date", "capacity", "pass_mark"):
        setattr(event, key, getattr(clean, key))
    event.puskesmas_id = new_place
    event.framework_id, event.framework_version = framework.id, framework.version
    _set_skills(event, clean.skill_codes)
    _set_facilitators(event, clean)
    db.session.flush()
    changes = audit.diff(before, _facts(event))
    if changes:
        audit.record(actor, "update", "training_event", event.id, changes)
    return event
