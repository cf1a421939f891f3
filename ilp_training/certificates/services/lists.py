"""What the certificates pages list for a user: the certificates they see (searched),
their finished trainings and the targets a bulk job may be started for. Plain queries on
the user's scope (:mod:`ilp_training.scope`); the due rules are :mod:`.issuing`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import (
    Certificate,
    Posyandu,
    Puskesmas,
    TrainingEvent,
    TrainingStatus,
    User,
)
from ilp_training.scope import posyandu_clause, scoped

MAX_SEARCH = 80  # characters of a search that are used


def search_certificates(user: User, search: str) -> sa.Select[Any]:
    """The certificates ``user`` sees, newest first in serial order (serials rise with
    each issue, whereas a bulk job's certificates share one issue time); with ``search``,
    those whose holder's name or serial contains it (any case). A statement, for the
    pager."""
    stmt = scoped(Certificate, user).order_by(Certificate.serial.desc())
    search = search.strip()[:MAX_SEARCH]
    if search:
        stmt = stmt.where(sa.or_(Certificate.holder_name.ilike(f"%{search}%"),
                                 Certificate.serial.ilike(f"%{search}%")))
    return stmt


def finished_trainings(user: User, limit: int) -> list[TrainingEvent]:
    """The ``limit`` most recent finished trainings ``user`` sees (those that can have
    certificates), by last day, latest first."""
    return list(db.session.scalars(
        scoped(TrainingEvent, user).where(TrainingEvent.status == TrainingStatus.FINISHED)
        .order_by(TrainingEvent.end_date.desc()).limit(limit)))


def bulk_places(user: User) -> list[tuple[int, str, int, str]]:
    """The places a bulk job may cover: ``(posyandu id, name, puskesmas id, name)`` for
    every posyandu ``user`` sees, by puskesmas and posyandu name (one query)."""
    return [(row[0], row[1], row[2], row[3]) for row in db.session.execute(
        sa.select(Posyandu.id, Posyandu.name, Puskesmas.id, Puskesmas.name)
        .join(Puskesmas, Puskesmas.id == Posyandu.puskesmas_id)
        .where(posyandu_clause(user)).order_by(Puskesmas.name, Posyandu.name))]
