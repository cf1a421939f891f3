"""Registering, editing, moving and deactivating cadres. Every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ilp_training.cadres.nik import NikError, check_nik
from ilp_training.core import audit
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.models import (
    AuditEntry,
    Cadre,
    CadreAssignment,
    CadreStatus,
    Posyandu,
    Sex,
    User,
)
from ilp_training.scope import scoped

PROFILE_HISTORY = 50  # audit entries shown on a profile, newest first

AUDITED_FIELDS = [
    "full_name", "nik", "sex", "birth_date", "phone", "posyandu_id", "start_date",
    "status", "inactive_reason", "inactive_since", "bpjs_tk_enrolled", "bpjs_tk_number",
]

NIK_MESSAGES = {
    "length": _l("A NIK has exactly 16 digits."),
    "region": _l("The first six digits of the NIK are not a valid region code."),
    "date": _l("Digits 7–12 of the NIK are not a valid birth date (DDMMYY, day + 40 for women)."),
    "sequence": _l("The last four digits of the NIK cannot be 0000."),
    "birth_date": _l("The NIK does not match the birth date."),
    "sex": _l("The NIK does not match the sex (women have 40 added to the birth day)."),
}


@dataclass(frozen=True)
class CadreData:
    """The editable facts of a cadre, as entered in the form."""

    full_name: str
    sex: Sex
    nik: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    start_date: date | None = None
    bpjs_tk_enrolled: bool = False
    bpjs_tk_number: str | None = None


def _clean(data: CadreData, cadre_id: int | None, today: date) -> CadreData:
    """Normalise and validate ``data``; raise :class:`ServiceError` on the first problem."""
    def taken(nik: str) -> bool:
        stmt = sa.select(Cadre.id).where(Cadre.nik == nik, Cadre.id != (cadre_id or -1))
        return db.session.scalar(stmt) is not None

    return clean_cadre_data(data, today, taken)


def clean_cadre_data(data: CadreData, today: date, nik_taken: Callable[[str], bool]
                     ) -> CadreData:
    """The rules of a cadre's facts, for the form and the import alike: a name; a NIK of
    the right form that agrees with the birth date and sex (:mod:`.nik`) and that
    ``nik_taken`` says no other cadre holds; birth and start dates not in the future; a
    phone of 8 to 15 digits (spaces and dashes dropped, a leading +); a BPJS
    Ketenagakerjaan number when enrolled. Returns the normalised facts; raises
    :class:`ServiceError` naming the field of the first problem."""
    name = " ".join(data.full_name.split())
    if not name:
        raise ServiceError(_l("The name is required."), "full_name")
    nik = (data.nik or "").replace(" ", "") or None
    if nik is not None:
        try:
            check_nik(nik, data.birth_date, data.sex == Sex.FEMALE)
        except NikError as exc:
            raise ServiceError(NIK_MESSAGES[exc.code], "nik") from exc
        if nik_taken(nik):
            raise ServiceError(_l("Another cadre is already registered with this NIK."), "nik")
    if data.birth_date is not None and data.birth_date > today:
        raise ServiceError(_l("The birth date cannot be in the future."), "birth_date")
    if data.start_date is not None and data.start_date > today:
        raise ServiceError(_l("The start date cannot be in the future."), "start_date")
    phone = (data.phone or "").replace(" ", "").replace("-", "") or None
    digits = (phone or "").lstrip("+")
    if phone is not None and not (digits.isascii() and digits.isdigit() and 8 <= len(digits) <= 15):
        raise ServiceError(_l("A phone number has 8 to 15 digits."), "phone")
    number = (data.bpjs_tk_number or "").strip() or None
    if data.bpjs_tk_enrolled and number is None:
        raise ServiceError(
            _l("Enter the BPJS Ketenagakerjaan number of an enrolled cadre."), "bpjs_tk_number"
        )
    return CadreData(
        full_name=name, sex=data.sex, nik=nik, birth_date=data.birth_date, phone=phone,
        start_date=data.start_date, bpjs_tk_enrolled=data.bpjs_tk_enrolled,
        bpjs_tk_number=number if data.bpjs_tk_enrolled else None,
    )


def register_cadre(actor: User | None, posyandu: Posyandu, data: CadreData, today: date) -> Cadre:
    """Register a new active cadre at ``posyandu``; opens the first assignment."""
    clean = _clean(data, None, today)
    cadre = Cadre(posyandu=posyandu, status=CadreStatus.ACTIVE, **asdict(clean))
    db.session.add(cadre)
    cadre.assignments.append(
        CadreAssignment(posyandu=posyandu, start_date=clean.start_date or today)
    )
    db.session.flush()
    after = audit.snapshot(cadre, AUDITED_FIELDS)
    audit.record(actor, "create", "cadre", cadre.id, audit.diff({}, after))
    return cadre


def update_cadre(actor: User | None, cadre: Cadre, data: CadreData, today: date) -> Cadre:
    """Change a cadre's facts (not the posyandu: see :func:`move_cadre`)."""
    clean = _clean(data, cadre.id, today)
    before = audit.snapshot(cadre, AUDITED_FIELDS)
    for key, value in asdict(clean).items():
        setattr(cadre, key, value)
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(cadre, AUDITED_FIELDS))
    if changes:
        audit.record(actor, "update", "cadre", cadre.id, changes)
    return cadre


def _current_assignment(cadre: Cadre) -> CadreAssignment | None:
    open_ones = [a for a in cadre.assignments if a.end_date is None]
    return open_ones[-1] if open_ones else None


def move_cadre(
    actor: User | None, cadre: Cadre, target: Posyandu, on: date, today: date,
    note: str | None = None,
) -> Cadre:
    """Move an active cadre to ``target`` from date ``on``; the old assignment is closed
    the same day, so the history keeps where the cadre served and when."""
    if target.id == cadre.posyandu_id:
        raise ServiceError(_l("The cadre already serves at this posyandu."), "posyandu")
    if not cadre.is_active:
        raise ServiceError(_l("Reactivate the cadre before moving them."))
    if on > today:
        raise ServiceError(_l("The date cannot be in the future."), "on")
    current = _current_assignment(cadre)
    if current is not None and on < current.start_date:
        raise ServiceError(
            _l("The move cannot be dated before the current assignment began."), "on"
        )
    before = audit.snapshot(cadre, ["posyandu_id"])
    if current is not None:
        current.end_date = on
    cadre.assignments.append(
        CadreAssignment(posyandu=target, start_date=on, note=(note or "").strip() or None)
    )
    cadre.posyandu = target
    db.session.flush()
    audit.record(actor, "move", "cadre", cadre.id, audit.diff(before, {"posyandu_id": target.id}))
    return cadre


def deactivate_cadre(actor: User | None, cadre: Cadre, reason: str, on: date, today: date) -> Cadre:
    """Mark a cadre inactive from ``on`` with a reason; closes the current assignment."""
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError(_l("Give a reason."), "reason")
    if not cadre.is_active:
        raise ServiceError(_l("The cadre is already inactive."))
    if on > today:
        raise ServiceError(_l("The date cannot be in the future."), "on")
    before = audit.snapshot(cadre, AUDITED_FIELDS)
    cadre.status, cadre.inactive_reason, cadre.inactive_since = CadreStatus.INACTIVE, reason, on
    current = _current_assignment(cadre)
    if current is not None:
        current.end_date = max(on, current.start_date)
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(cadre, AUDITED_FIELDS))
    audit.record(actor, "deactivate", "cadre", cadre.id, changes)
    return cadre


def reactivate_cadre(actor: User | None, cadre: Cadre, on: date, today: date) -> Cadre:
    """Make an inactive cadre active again at the same posyandu from ``on``."""
    if cadre.is_active:
        raise ServiceError(_l("The cadre is already active."))
    if on > today:
        raise ServiceError(_l("The date cannot be in the future."), "on")
    before = audit.snapshot(cadre, AUDITED_FIELDS)
    cadre.status, cadre.inactive_reason, cadre.inactive_since = CadreStatus.ACTIVE, None, None
    cadre.assignments.append(CadreAssignment(posyandu_id=cadre.posyandu_id, start_date=on))
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(cadre, AUDITED_FIELDS))
    audit.record(actor, "reactivate", "cadre", cadre.id, changes)
    return cadre


def profile_cadre(user: User, cadre_id: int) -> Cadre | None:
    """The cadre ``cadre_id`` if ``user`` sees them, with their posyandu and its village
    loaded by the scope's own join (two queries fewer than loading them lazily,
    ``bench/roster.py``); ``None`` when out of scope or absent."""
    return db.session.scalars(
        scoped(Cadre, user).where(Cadre.id == cadre_id)
        .options(sa.orm.contains_eager(Cadre.posyandu).joinedload(Posyandu.village))
    ).first()


def cadre_history(cadre: Cadre) -> list[AuditEntry]:
    """The latest :data:`PROFILE_HISTORY` audit entries about ``cadre`` (registration,
    changes, moves, deactivation), newest first, with who made them."""
    return list(db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity == "cadre", AuditEntry.entity_id == cadre.id)
        .options(sa.orm.selectinload(AuditEntry.user))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PROFILE_HISTORY)
    ))
