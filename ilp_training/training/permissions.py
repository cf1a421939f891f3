"""Who may do what with training events: every "may" rule of the training area, with its
SQL form beside it where a list needs one. Views, templates (through the flags the views
pass) and services ask these functions; none tests a role itself.

Seeing an event is :mod:`ilp_training.scope` (``_scoped_training_events``); the rules
here decide what a user may *change* among the events they see:

- **Plan** (:func:`may_plan_trainings`): admins and coordinators plan, fill, finish and
  cancel trainings; an admin for any place of their district or the whole district, a
  coordinator for their own puskesmas (:func:`may_plan_at`, :func:`may_choose_puskesmas`).
- **Manage an event** (:func:`may_manage_event`, :func:`manageable_clause`): an admin any
  event of their district; a coordinator the events of their puskesmas.
- **Record** attendance and tests (:func:`may_record`): the event's managers and the
  trainers named among its facilitators.
- **See every participant** (:func:`sees_all_participants`): those who record, and the
  trainers of the event's puskesmas; other viewers see the cadres of their own scope.
"""

from __future__ import annotations

import sqlalchemy as sa

from ilp_training.models import Puskesmas, Region, Role, TrainingEvent, User

PLANNERS = (Role.ADMIN, Role.COORDINATOR)


def may_plan_trainings(user: User) -> bool:
    """Whether ``user`` may plan trainings, fill them and see the district and planning
    pages: admins and coordinators (each within their place, :func:`may_plan_at`)."""
    return user.role in PLANNERS


def may_choose_puskesmas(user: User) -> bool:
    """Whether ``user`` picks the puskesmas a page or a new event is for (admins: any of
    their district, or the whole district); everyone else works for their own puskesmas."""
    return user.role == Role.ADMIN


def may_plan_at(user: User, district: Region, puskesmas: Puskesmas | None) -> bool:
    """Whether ``user`` may plan an event of ``district`` for ``puskesmas`` (``None``: the
    whole district): the district's admin anywhere in it; a coordinator for their own
    puskesmas only."""
    if user.role == Role.ADMIN:
        return user.district_id == district.id
    return (user.role == Role.COORDINATOR and puskesmas is not None
            and puskesmas.id == user.puskesmas_id)


def may_manage_event(user: User, event: TrainingEvent) -> bool:
    """Whether ``user`` may change ``event`` (its facts, participants, finishing and
    cancelling): an admin any event of their district; a coordinator an event of their
    puskesmas (not a district-wide one). Viewing is :mod:`ilp_training.scope`."""
    if user.role == Role.ADMIN:
        return event.district_id == user.district_id
    return (user.role == Role.COORDINATOR and event.puskesmas_id is not None
            and event.puskesmas_id == user.puskesmas_id)


def manageable_clause(user: User) -> sa.ColumnElement[bool]:
    """:func:`may_manage_event` as a WHERE clause on :class:`TrainingEvent`."""
    if user.role == Role.ADMIN:
        return TrainingEvent.district_id == user.district_id
    if user.role == Role.COORDINATOR and user.puskesmas_id is not None:
        return TrainingEvent.puskesmas_id == user.puskesmas_id
    return sa.false()


def may_record(user: User, event: TrainingEvent) -> bool:
    """Whether ``user`` may record attendance and test scores of ``event``: its managers
    (:func:`may_manage_event`), and the trainers named among its facilitators (they run
    the sessions)."""
    return may_manage_event(user, event) or (
        user.role == Role.TRAINER and any(f.user_id == user.id for f in event.facilitators))


def sees_all_participants(user: User, event: TrainingEvent) -> bool:
    """Whether ``user`` sees every participant of ``event``: those who may record it, and
    the trainers of its puskesmas; other viewers see only the cadres in their own scope."""
    return may_record(user, event) or (
        user.role == Role.TRAINER and event.puskesmas_id is not None
        and event.puskesmas_id == user.puskesmas_id)
