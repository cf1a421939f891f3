"""Checking and applying the posyandu sheet.

A posyandu is named by its village (Kemendagri code or name, among the villages of the
user's area: an admin's district, a coordinator's catchment) and its name; a posyandu
already there is updated, else a new one is registered. The puskesmas must be one of the
user's (a coordinator's own when the cell is empty), the village in its catchment, the
Pustu one of that puskesmas. An empty dusun, RW or Pustu cell leaves what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ilp_training.core import audit
from ilp_training.core.extensions import db
from ilp_training.core.spreadsheets import Row
from ilp_training.imports import cells
from ilp_training.imports.cells import VILLAGE_CODE, CellError, Problem, key, problem
from ilp_training.imports.checking import NEW, UNCHANGED, UPDATED, Plan, Progress
from ilp_training.imports.permissions import imports_district_wide
from ilp_training.imports.sheets import is_example
from ilp_training.models import (
    ImportKind,
    Posyandu,
    Puskesmas,
    Pustu,
    Region,
    User,
    puskesmas_villages,
)
from ilp_training.scope import district_villages, puskesmas_clause

FIELDS = ["name", "village_id", "puskesmas_id", "dusun", "rw", "pustu_id"]


@dataclass(frozen=True)
class _Line:
    row: int
    village: Region
    name: str
    puskesmas: Puskesmas
    dusun: str | None
    rw: str | None
    pustu: Pustu | None


class _Area:
    """The user's villages, puskesmas (with their catchments and Pustu) and the posyandu
    already in those villages."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.puskesmas = list(db.session.scalars(sa.select(Puskesmas).where(
            puskesmas_clause(user))))
        ids = [p.id for p in self.puskesmas]
        self.catchment: dict[int, set[int]] = {}
        for puskesmas_id, village_id in db.session.execute(sa.select(
                puskesmas_villages.c.puskesmas_id, puskesmas_villages.c.village_id)
                .where(puskesmas_villages.c.puskesmas_id.in_(ids))):
            self.catchment.setdefault(puskesmas_id, set()).add(village_id)
        if imports_district_wide(user):  # an admin: any village of the district
            villages = sa.select(Region).where(Region.id.in_(district_villages(user.district_id)))
        else:
            villages = sa.select(Region).where(Region.id.in_(
                set().union(*self.catchment.values()) if self.catchment else set()))
        self.villages = list(db.session.scalars(villages))
        self.pustu = list(db.session.scalars(sa.select(Pustu).where(
            Pustu.puskesmas_id.in_(ids))))
        self.existing = {(p.village_id, key(p.name)): p for p in db.session.scalars(
            sa.select(Posyandu).where(Posyandu.village_id.in_([v.id for v in self.villages])))}

    def village(self, text: str) -> Region:
        if not text:
            raise CellError(_l("The village is required."))
        if VILLAGE_CODE.fullmatch(text):
            found = [v for v in self.villages if v.code == text]
        else:
            found = [v for v in self.villages if key(v.name) == key(text)]
        if not found:
            raise CellError(_l("No village of this code or name in your area."))
        if len(found) > 1:
            raise CellError(_l("Several villages in your area have this name: give the "
                               "code."))
        return found[0]

    def find_puskesmas(self, text: str, existing: Posyandu | None) -> Puskesmas:
        if not text:
            if existing is not None and existing.puskesmas in self.puskesmas:
                return existing.puskesmas
            if not imports_district_wide(self.user) and len(self.puskesmas) == 1:
                return self.puskesmas[0]
            raise CellError(_l("The puskesmas is required."))
        found = [p for p in self.puskesmas if key(p.name) == key(text)]
        if not found:
            raise CellError(_l("No puskesmas of this name in your area."))
        return found[0]


def _read(number: int, values: tuple[Any, ...], area: _Area
          ) -> tuple[_Line | None, list[Problem]]:
    found: dict[str, Any] = {}
    problems: list[Problem] = []
    limits = (120, 120, 80, 10, 120, 120)
    for column, name in enumerate(("village", "name", "dusun", "rw", "puskesmas", "pustu")):
        try:
            found[name] = cells.text(values[column], max_length=limits[column])
        except CellError as exc:
            problems.append(problem(number, column, exc.message))
    if problems:
        return None, problems
    if not found["name"]:
        return None, [problem(number, 1, _l("The posyandu name is required."))]
    try:
        village = area.village(found["village"])
    except CellError as exc:
        return None, [problem(number, 0, exc.message)]
    existing = area.existing.get((village.id, key(found["name"])))
    if existing is not None and existing.puskesmas not in area.puskesmas:
        return None, [problem(number, 1, _l(
            "A posyandu of this name in this village is served by another puskesmas."))]
    try:
        puskesmas = area.find_puskesmas(found["puskesmas"], existing)
    except CellError as exc:
        return None, [problem(number, 4, exc.message)]
    if village.id not in area.catchment.get(puskesmas.id, set()):
        return None, [problem(number, 0, _l(
            "This village is not in the catchment of %(puskesmas)s.", puskesmas=puskesmas.name))]
    pustu = None
    if found["pustu"]:
        matches = [p for p in area.pustu if p.puskesmas_id == puskesmas.id
                   and key(p.name) == key(found["pustu"])]
        if not matches:
            return None, [problem(number, 5, _l("No Pustu of this name at %(puskesmas)s.",
                                                puskesmas=puskesmas.name))]
        pustu = matches[0]
    return _Line(number, village, found["name"], puskesmas, found["dusun"] or None,
                 found["rw"] or None, pustu), []


def _wanted(line: _Line, existing: Posyandu | None) -> dict[str, Any]:
    """The posyandu's fields after the row (an empty cell keeps what is stored)."""
    def keep(value: Any, name: str) -> Any:
        return value if value is not None or existing is None else getattr(existing, name)

    return {"name": existing.name if existing else line.name, "village_id": line.village.id,
            "puskesmas_id": line.puskesmas.id, "dusun": keep(line.dusun, "dusun"),
            "rw": keep(line.rw, "rw"),
            "pustu_id": keep(line.pustu.id if line.pustu else None, "pustu_id")}


def check_posyandu(actor: User, rows: list[Row], today: date, progress: Progress) -> Plan:
    """Check every row; the plan lists the problems, or the preview and the changes."""
    area, plan = _Area(actor), Plan()
    seen: dict[tuple[int, str], int] = {}
    todo: list[tuple[Posyandu | None, dict[str, Any]]] = []
    for number, values in rows:
        if is_example(ImportKind.POSYANDU, values):
            continue
        line, problems = _read(number, values, area)
        plan.problems.extend(problems)
        if line is None:
            continue
        same = (line.village.id, key(line.name))
        if same in seen:
            plan.problems.append(problem(number, 1, _l("Same posyandu as row %(row)d.",
                                                       row=seen[same])))
            continue
        seen[same] = number
        existing = area.existing.get(same)
        wanted = _wanted(line, existing)
        changed = existing is None or any(getattr(existing, k) != v for k, v in wanted.items())
        plan.count(line.puskesmas.name, NEW if existing is None else
                   UPDATED if changed else UNCHANGED)
        if changed:
            todo.append((existing, wanted))
    progress(len(rows))
    if not plan.problems:
        plan.apply = lambda report: _apply(actor, todo)
    return plan


def _apply(actor: User, todo: list[tuple[Posyandu | None, dict[str, Any]]]) -> dict[str, Any]:
    created = updated = 0
    for existing, wanted in todo:
        if existing is None:
            posyandu = Posyandu(**wanted)
            db.session.add(posyandu)
            db.session.flush()
            audit.record(actor, "create", "posyandu", posyandu.id,
                         audit.diff({}, audit.snapshot(posyandu, FIELDS)))
            created += 1
            continue
        before = audit.snapshot(existing, FIELDS)
        for name, value in wanted.items():
            setattr(existing, name, value)
        db.session.flush()
        audit.record(actor, "update", "posyandu", existing.id,
                     audit.diff(before, audit.snapshot(existing, FIELDS)))
        updated += 1
    return {"new": created, "updated": updated, "moved": 0}
