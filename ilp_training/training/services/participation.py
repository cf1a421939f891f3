"""Training events: participants, attendance, pre/post tests, the completion rule and
finishing. Planning and editing an event's facts is :mod:`.events`; the read side is
:mod:`.reports`, :mod:`.history` and :mod:`.planning`; who may change an event or record
it is :mod:`ilp_training.training.permissions`.

The rules:

- **Participants**: active cadres serving in the event's area (the posyandu of its
  puskesmas; for a district event, of the district). Adding is all-or-nothing against the
  capacity; cadres already taking part are skipped.
- **Attendance and scores** change only while the event is open (planned or running),
  for days of the event up to today; the first record makes a planned event running.
- **Completion**: :func:`completion`. Finishing fixes every participant's outcome.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln

from ilp_training.core import audit
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.models import (
    Cadre,
    CadreStatus,
    Outcome,
    OutcomeReason,
    Posyandu,
    Puskesmas,
    TrainingAttendance,
    TrainingEvent,
    TrainingParticipant,
    TrainingStatus,
    User,
    utcnow,
)


@dataclass(frozen=True)
class Completion:
    """A participant's outcome: completed, or not and every reason why (rule order)."""

    completed: bool
    reasons: tuple[OutcomeReason, ...] = ()


def completion(days: int, days_present: int, post_score: int | None,
               pass_mark: int) -> Completion:
    """Whether a participant completed a training of ``days`` days.

    Rule: completed when present on every day of the event (``days_present`` ≥ ``days``)
    **and** the post-test score (0–100) is at least the event's ``pass_mark`` (0–100);
    the pre-test does not count. Otherwise not completed, with every reason that applies,
    in this order: ``missed_days``, ``no_post_test``, ``below_pass_mark``. A missing
    post-test never passes, even with a pass mark of 0.
    """
    reasons = []
    if days_present < days:
        reasons.append(OutcomeReason.MISSED_DAYS)
    if post_score is None:
        reasons.append(OutcomeReason.NO_POST_TEST)
    elif post_score < pass_mark:
        reasons.append(OutcomeReason.BELOW_PASS_MARK)
    return Completion(not reasons, tuple(reasons))


def area_clause(event: TrainingEvent) -> sa.ColumnElement[bool]:
    """A WHERE clause on :class:`Posyandu`: the posyandu whose cadres may take part."""
    if event.puskesmas_id is not None:
        return Posyandu.puskesmas_id == event.puskesmas_id
    in_district = sa.select(Puskesmas.id).where(Puskesmas.district_id == event.district_id)
    return Posyandu.puskesmas_id.in_(in_district)


def participant_count(event: TrainingEvent) -> int:
    """How many cadres take part (one query)."""
    return db.session.scalar(sa.select(sa.func.count(TrainingParticipant.id))
                             .where(TrainingParticipant.event_id == event.id)) or 0


def require_open(event: TrainingEvent) -> None:
    """Refuse to change a finished or cancelled event."""
    if not event.is_open:
        raise ServiceError(_l("This training is finished or cancelled; it cannot change."))


def _lock(event: TrainingEvent) -> None:
    """Hold the event's row until the commit (PostgreSQL), so that two coordinators adding
    cadres at the same moment cannot together exceed the capacity."""
    db.session.execute(sa.select(TrainingEvent.id).where(TrainingEvent.id == event.id)
                       .with_for_update())


@dataclass(frozen=True)
class Added:
    added: tuple[TrainingParticipant, ...]
    already: int  # chosen cadres who were already taking part


def add_participants(actor: User, event: TrainingEvent, cadre_ids: Collection[int]) -> Added:
    """Enrol the chosen cadres: every one active and serving in the event's area, and all
    of them within the places left; otherwise nothing is added."""
    require_open(event)
    if not cadre_ids:
        raise ServiceError(_l("Choose at least one cadre."), "cadres")
    _lock(event)
    cadres = db.session.scalars(
        sa.select(Cadre).join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(Cadre.id.in_(set(cadre_ids)), area_clause(event)).order_by(Cadre.full_name)).all()
    if len(cadres) != len(set(cadre_ids)):
        raise ServiceError(_l("A chosen cadre does not serve in this training's area; "
                              "nothing was added."), "cadres")
    inactive = [c.full_name for c in cadres if c.status != CadreStatus.ACTIVE]
    if inactive:
        raise ServiceError(_l("Only active cadres can take part (%(names)s); nothing was added.",
                              names=", ".join(inactive)), "cadres")
    enrolled = set(db.session.scalars(sa.select(TrainingParticipant.cadre_id).where(
        TrainingParticipant.event_id == event.id)))
    new = [c for c in cadres if c.id not in enrolled]
    left = event.capacity - len(enrolled)
    if len(new) > left:
        raise ServiceError(_ln(
            "Only %(num)d place is left and you chose %(chosen)d new cadres; nothing was added.",
            "Only %(num)d places are left and you chose %(chosen)d new cadres; nothing was added.",
            max(left, 0), chosen=len(new)), "cadres")
    added = tuple(TrainingParticipant(event_id=event.id, cadre_id=c.id, posyandu_id=c.posyandu_id)
                  for c in new)
    db.session.add_all(added)
    db.session.flush()
    if added:
        audit.record(actor, "add_participants", "training_event", event.id,
                     {"cadres": [None, [c.id for c in new]]})
    return Added(added, len(cadres) - len(new))


def add_posyandu(actor: User, event: TrainingEvent, posyandu: Posyandu) -> Added:
    """Enrol every active cadre of ``posyandu`` (all or nothing, as
    :func:`add_participants`)."""
    ids = db.session.scalars(sa.select(Cadre.id).where(
        Cadre.posyandu_id == posyandu.id, Cadre.status == CadreStatus.ACTIVE)).all()
    if not ids:
        raise ServiceError(_l("This posyandu has no active cadre."), "posyandu")
    try:
        return add_participants(actor, event, ids)
    except ServiceError as exc:
        raise ServiceError(exc.message, "posyandu") from exc


def remove_participant(actor: User, event: TrainingEvent,
                       participant: TrainingParticipant) -> None:
    """Take a cadre off an open event, with their attendance and scores."""
    require_open(event)
    if participant.event_id != event.id:
        raise ServiceError(_l("This cadre does not take part in the training."))
    db.session.delete(participant)
    db.session.flush()
    audit.record(actor, "remove_participant", "training_event", event.id,
                 {"cadre_id": [participant.cadre_id, None]})


def _start_if_planned(event: TrainingEvent) -> None:
    if event.status == TrainingStatus.PLANNED:
        event.status = TrainingStatus.RUNNING


def record_attendance(actor: User, event: TrainingEvent, day: date,
                      present: Collection[int], today: date) -> int:
    """Set who was present on ``day`` (participant ids; the others are absent) and return
    how many were. ``day`` must be a day of the event and not after ``today``."""
    require_open(event)
    if not event.start_date <= day <= event.end_date:
        raise ServiceError(_l("This day is not a day of the training."), "day")
    if day > today:
        raise ServiceError(_l("Attendance cannot be recorded for a day still to come."), "day")
    ids = set(db.session.scalars(sa.select(TrainingParticipant.id).where(
        TrainingParticipant.event_id == event.id)))
    if not set(present) <= ids:
        raise ServiceError(_l("Someone who does not take part was marked present."), "present")
    rows = {a.participant_id: a for a in db.session.scalars(
        sa.select(TrainingAttendance).where(TrainingAttendance.participant_id.in_(ids),
                                            TrainingAttendance.day == day))}
    for participant_id, row in rows.items():
        if participant_id not in present:
            db.session.delete(row)
    db.session.add_all(TrainingAttendance(participant_id=p, day=day)
                       for p in set(present) - rows.keys())
    _start_if_planned(event)
    db.session.flush()
    cadres = _cadre_ids(event)
    audit.record(actor, "attendance", "training_event", event.id, {
        "day": [None, day.isoformat()],
        "present_cadres": [sorted(cadres[p] for p in rows), sorted(cadres[p] for p in present)]})
    return len(present)


def _cadre_ids(event: TrainingEvent) -> dict[int, int]:
    """Participant id → cadre id, so that the audit log names cadres, not rows."""
    return dict(db.session.execute(sa.select(TrainingParticipant.id, TrainingParticipant.cadre_id)
                                   .where(TrainingParticipant.event_id == event.id)).all())


def record_scores(actor: User, event: TrainingEvent,
                  scores: Mapping[int, tuple[int | None, int | None]]) -> int:
    """Store pre- and post-test scores (0–100, ``None`` = not taken) per participant id;
    returns how many participants changed. All scores are checked before any is stored."""
    require_open(event)
    participants = {p.id: p for p in db.session.scalars(
        sa.select(TrainingParticipant).where(TrainingParticipant.event_id == event.id))}
    if not scores.keys() <= participants.keys():
        raise ServiceError(_l("Someone who does not take part was scored."))
    for pre, post in scores.values():
        if any(s is not None and not 0 <= s <= 100 for s in (pre, post)):
            raise ServiceError(_l("A score is a whole number from 0 to 100."))
    changes: dict[str, list[object]] = {}
    for participant_id, (pre, post) in scores.items():
        participant = participants[participant_id]
        before = (participant.pre_score, participant.post_score)
        if before != (pre, post):
            participant.pre_score, participant.post_score = pre, post
            changes[f"cadre {participant.cadre_id} pre/post"] = [list(before), [pre, post]]
    if changes:
        _start_if_planned(event)
        db.session.flush()
        audit.record(actor, "scores", "training_event", event.id, changes)
    return len(changes)


def days_present(event: TrainingEvent) -> dict[int, int]:
    """Participant id → days present (one query)."""
    return dict(db.session.execute(
        sa.select(TrainingAttendance.participant_id, sa.func.count(TrainingAttendance.id))
        .select_from(TrainingAttendance).join(TrainingParticipant)
        .where(TrainingParticipant.event_id == event.id)
        .group_by(TrainingAttendance.participant_id)).all())


def outcomes(event: TrainingEvent) -> dict[int, Completion]:
    """Participant id → the outcome :func:`completion` gives today (not stored)."""
    present = days_present(event)
    return {p.id: completion(len(event.days), present.get(p.id, 0), p.post_score,
                             event.pass_mark) for p in event.participants}


def finish_event(actor: User, event: TrainingEvent, today: date) -> int:
    """Close an open event from its last day on and fix each participant's outcome (the
    first reason is stored); returns how many completed."""
    require_open(event)
    if today < event.end_date:
        raise ServiceError(_l("A training can be finished from its last day on."))
    if not event.participants:
        raise ServiceError(_l("Nobody takes part: cancel the training instead."))
    done = 0
    results = outcomes(event)
    for participant in event.participants:
        result = results[participant.id]
        participant.outcome = Outcome.COMPLETED if result.completed else Outcome.NOT_COMPLETED
        participant.outcome_reason = result.reasons[0] if result.reasons else None
        done += result.completed
    event.status, event.finished_at = TrainingStatus.FINISHED, utcnow()
    db.session.flush()
    audit.record(actor, "finish", "training_event", event.id, {
        "status": ["open", TrainingStatus.FINISHED.value],
        "completed": [None, done], "participants": [None, len(results)]})
    return done


def cancel_event(actor: User, event: TrainingEvent) -> None:
    """Cancel an open event; its participants and records stay, marked by the status."""
    require_open(event)
    before = event.status.value
    event.status = TrainingStatus.CANCELLED
    db.session.flush()
    audit.record(actor, "cancel", "training_event", event.id,
                 {"status": [before, TrainingStatus.CANCELLED.value]})
