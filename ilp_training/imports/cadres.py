"""Checking and applying the cadres sheet.

Each row is read cell by cell (every bad cell is a problem), then held to the rules of
the cadre form (:func:`ilp_training.cadres.services.clean_cadre_data`: NIK form and its
agreement with birth date and sex, dates, phone, BPJS Ketenagakerjaan). A registered
cadre is found by NIK (a NIK held by a cadre outside the user's area is refused as the
form refuses it); a row without NIK finds the cadre of that name at that posyandu who has
none. An empty cell leaves what is stored. A cadre found at another posyandu of the area
is moved (:func:`~ilp_training.cadres.services.move_cadre`, dated today: the assignment
history keeps the old one). Rows that change nothing are left alone, so importing a file
twice changes nothing the second time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ilp_training.cadres.services import (
    AUDITED_FIELDS,
    CadreData,
    clean_cadre_data,
    move_cadre,
    update_cadre,
)
from ilp_training.core import audit
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.core.spreadsheets import Row
from ilp_training.imports import cells
from ilp_training.imports.cells import CellError, Problem, key, problem
from ilp_training.imports.checking import (
    NEW,
    UNCHANGED,
    UPDATED,
    PlaceRow,
    Places,
    Plan,
    Progress,
    chunks,
)
from ilp_training.imports.sheets import is_example
from ilp_training.models import (
    AuditEntry,
    Cadre,
    CadreAssignment,
    CadreStatus,
    ImportKind,
    Posyandu,
    Sex,
    User,
    utcnow,
)
from ilp_training.overview import rollup_hooks

FACTS = [f.name for f in fields(CadreData)]
FIELD_COLUMNS = {"full_name": 2, "nik": 3, "sex": 4, "birth_date": 5, "phone": 6,
                 "start_date": 7, "bpjs_tk_number": 8}


@dataclass(frozen=True)
class _Line:
    row: int
    place: PlaceRow
    data: CadreData
    given: frozenset[str]  # the fields whose cell was filled



def _table(model: type[Any]) -> sa.Table:
    """The model's table, for a multi-row insert."""
    return cast(sa.Table, model.__table__)

def _read(number: int, values: tuple[Any, ...], places: Places, today: date
          ) -> tuple[_Line | None, list[Problem]]:
    found: dict[str, Any] = {}
    problems: list[Problem] = []

    def cell(column: int, name: str, read: Any) -> None:
        try:
            found[name] = read(values[column])
        except CellError as exc:
            problems.append(problem(number, column, exc.message))

    cell(0, "village", lambda v: cells.text(v, max_length=120))
    cell(1, "posyandu", lambda v: cells.text(v, max_length=120))
    cell(2, "full_name", lambda v: cells.text(v, max_length=120))
    cell(3, "nik", lambda v: cells.digits(v, what="nik").replace(" ", ""))
    cell(4, "sex", cells.sex)
    cell(5, "birth_date", cells.day)
    cell(6, "phone", lambda v: cells.digits(v, what="phone"))
    cell(7, "start_date", cells.day)
    cell(8, "bpjs_tk_number", lambda v: cells.text(v, max_length=30))
    place = None
    if "posyandu" in found:
        if not found["posyandu"]:
            problems.append(problem(number, 1, _l("The posyandu is required.")))
        else:
            try:
                place = places.find(found.get("village", ""), found["posyandu"])
            except CellError as exc:
                problems.append(problem(number, 1, exc.message))
    if problems or place is None:
        return None, problems
    data = CadreData(
        full_name=found["full_name"], sex=Sex(found["sex"]), nik=found["nik"] or None,
        birth_date=found["birth_date"], phone=found["phone"] or None,
        start_date=found["start_date"], bpjs_tk_enrolled=bool(found["bpjs_tk_number"]),
        bpjs_tk_number=found["bpjs_tk_number"] or None)
    given = frozenset(name for name in FIELD_COLUMNS if found.get(name))
    try:
        data = clean_cadre_data(data, today, lambda nik: False)
    except ServiceError as exc:
        return None, [problem(number, FIELD_COLUMNS.get(exc.field or "", 2), exc.message)]
    return _Line(number, place, data, given), []


def _merged(line: _Line, cadre: Any) -> CadreData:
    """The row's facts over the stored ones: an empty cell keeps what is stored."""
    data = line.data
    if "bpjs_tk_number" not in line.given:
        data = replace(data, bpjs_tk_enrolled=cadre.bpjs_tk_enrolled,
                       bpjs_tk_number=cadre.bpjs_tk_number)
    keep = {name: getattr(cadre, name) for name in ("nik", "birth_date", "phone", "start_date")
            if name not in line.given}
    return replace(data, **keep)


def _reserve_ids(count: int) -> list[int]:
    """``count`` ids for new cadres, taken before the insert so that one multi-row
    INSERT needs no RETURNING: PostgreSQL's sequence hands them out (never twice);
    SQLite's write lock, held by this transaction, keeps the ids after the largest."""
    if count == 0:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.scalars(sa.text(
            "SELECT nextval(pg_get_serial_sequence('cadres', 'id')) "
            "FROM generate_series(1, :n)"), {"n": count}))
    start = (db.session.scalar(sa.select(sa.func.max(Cadre.id))) or 0) + 1
    return list(range(start, start + count))


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """The audited fields of a new cadre's facts, as :func:`audit.snapshot` gives them."""
    values = {name: row.get(name) for name in AUDITED_FIELDS}
    return {name: value.value if isinstance(value, enum.Enum) else
            value.isoformat() if isinstance(value, date) else value
            for name, value in values.items()}


def _stored(cadre: Any) -> CadreData:
    return CadreData(full_name=cadre.full_name, sex=cadre.sex, nik=cadre.nik,
                     birth_date=cadre.birth_date, phone=cadre.phone,
                     start_date=cadre.start_date, bpjs_tk_enrolled=cadre.bpjs_tk_enrolled,
                     bpjs_tk_number=cadre.bpjs_tk_number)


# The stored facts a row is compared with, read as plain rows (not ORM objects: a file
# that changes nothing loads no cadre); the cadres to change are loaded when applied.
STORED = (Cadre.id, Cadre.posyandu_id, Cadre.status, Cadre.full_name, Cadre.sex, Cadre.nik,
          Cadre.birth_date, Cadre.phone, Cadre.start_date, Cadre.bpjs_tk_enrolled,
          Cadre.bpjs_tk_number)


def _existing(lines: list[_Line], places: Places) -> tuple[dict[str, Any], dict[Any, Any]]:
    """Registered cadres with the file's NIKs (anywhere), and the area's cadres without
    NIK by (posyandu, name)."""
    by_nik: dict[str, Any] = {}
    for batch in chunks(sorted({ln.data.nik for ln in lines if ln.data.nik})):
        by_nik.update({c.nik: c for c in db.session.execute(
            sa.select(*STORED).where(Cadre.nik.in_(batch)))})
    by_name: dict[Any, Any] = {}
    if any(ln.data.nik is None for ln in lines):
        for cadre in db.session.execute(sa.select(*STORED).where(
                Cadre.nik.is_(None), Cadre.posyandu_id.in_(list(places.by_id)))):
            by_name.setdefault((cadre.posyandu_id, key(cadre.full_name)), cadre)
    return by_nik, by_name


def check_cadres(actor: User, rows: list[Row], today: date, progress: Progress) -> Plan:
    """Check every row; the plan lists the problems, or the preview and the changes."""
    places, plan = Places(actor), Plan()
    lines: list[_Line] = []
    seen: dict[Any, int] = {}
    for done, (number, values) in enumerate(rows, start=1):
        if done % 500 == 0:
            progress(done)
        if is_example(ImportKind.CADRES, values):
            continue
        line, problems = _read(number, values, places, today)
        plan.problems.extend(problems)
        if line is None:
            continue
        same = ("nik", line.data.nik) if line.data.nik else (
            "name", line.place.posyandu_id, key(line.data.full_name))
        if same in seen:
            plan.problems.append(problem(number, 3 if line.data.nik else 2, _l(
                "Same cadre as row %(row)d.", row=seen[same])))
            continue
        seen[same] = number
        lines.append(line)
    by_nik, by_name = _existing(lines, places)
    new: list[_Line] = []
    changes: list[tuple[_Line, Any, CadreData | None, bool]] = []
    for line in lines:
        cadre = (by_nik.get(line.data.nik) if line.data.nik
                 else by_name.get((line.place.posyandu_id, key(line.data.full_name))))
        if cadre is None:
            new.append(line)
            plan.count(line.place.label, NEW)
            continue
        if cadre.posyandu_id not in places.by_id:
            plan.problems.append(problem(line.row, 3, _l(
                "Another cadre is already registered with this NIK.")))
            continue
        if cadre.status != CadreStatus.ACTIVE:
            plan.problems.append(problem(line.row, 2, _l(
                "This cadre is inactive: reactivate them on their profile first.")))
            continue
        try:
            merged = clean_cadre_data(_merged(line, cadre), today, lambda nik: False)
        except ServiceError as exc:
            plan.problems.append(problem(line.row, FIELD_COLUMNS.get(exc.field or "", 2),
                                         exc.message))
            continue
        facts = merged if merged != _stored(cadre) else None
        moved = cadre.posyandu_id != line.place.posyandu_id
        plan.count(line.place.label, UPDATED if facts or moved else UNCHANGED)
        if facts or moved:
            changes.append((line, cadre, facts, moved))
    progress(len(rows))
    if not plan.problems:
        plan.apply = lambda report: _apply(actor, new, changes, today, report)
    plan.problems.sort(key=lambda p: (p.row, p.column or 0))
    return plan


def _apply(actor: User, new: list[_Line], changes: list[tuple[_Line, Any, CadreData | None,
                                                                bool]],
           today: date, progress: Progress) -> dict[str, Any]:
    """Register the new cadres as :func:`~ilp_training.cadres.services.register_cadre`
    does (the cadre, its first assignment, an audit entry of its facts), in bulk: three
    multi-row inserts for all of them. Then apply the updates and moves one by one
    through the cadre services (each audited)."""
    facts = [{"posyandu_id": line.place.posyandu_id, "status": CadreStatus.ACTIVE,
              **{name: getattr(line.data, name) for name in FACTS}} for line in new]
    ids = _reserve_ids(len(facts))
    if ids:
        now = utcnow()
        db.session.execute(_table(Cadre).insert(), [
            {**row, "id": cadre_id, "created_at": now, "updated_at": now}
            for cadre_id, row in zip(ids, facts, strict=True)])
        rollup_hooks.cadres_inserted(facts)  # the multi-row INSERT bypassed the ORM
    progress(len(ids) // 2)
    if ids:
        db.session.execute(_table(CadreAssignment).insert(), [
            {"cadre_id": cadre_id, "posyandu_id": row["posyandu_id"],
             "start_date": row["start_date"] or today} for cadre_id, row in zip(ids, facts,
                                                                              strict=True)])
        db.session.execute(_table(AuditEntry).insert(), [
            {"user_id": actor.id, "action": "create", "entity": "cadre", "entity_id": cadre_id,
             "changes": audit.diff({}, _snapshot(row))} for cadre_id, row in zip(ids, facts,
                                                                                strict=True)])
    progress(len(ids))
    created = ids
    moved = 0
    for done, (line, stored, changed, move) in enumerate(changes, start=1):
        cadre = db.session.get(Cadre, stored.id)
        assert cadre is not None
        if move:
            target = db.session.get(Posyandu, line.place.posyandu_id)
            assert target is not None
            move_cadre(actor, cadre, target, today, today, note=None)
            moved += 1
        if changed is not None:
            update_cadre(actor, cadre, changed, today)
        if done % 100 == 0:
            progress(len(created) + done)
    return {"new": len(created), "updated": len(changes), "moved": moved}
