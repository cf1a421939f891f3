"""Importing activity from an Excel workbook (the template of ``incentives/exports.py``).

Sheet 1, *opening days*: date, posyandu, cadre ID, cadre name (optional; when given it
must match the ID), one row per cadre who served. Sheet 2, *home visits*: month, cadre
ID, cadre name (optional), number of visits. Row 1 of each sheet is the heading; empty
rows are skipped; other sheets are ignored.

All or nothing: every row is checked first (the rules of :mod:`.activity`, plus: no row
repeated); if any row is bad, nothing is saved and every bad row is reported with its
sheet, row number and reason. Opening days from the file are *added* to a day already
recorded (importing a file twice changes nothing); home-visit counts replace the stored
ones. Rows that would change a month an approved summary locks refuse the whole file
(:class:`~.activity.PeriodLocked`, the rule of :mod:`.activity`).

Limits, so that a small upload cannot tie up the server: reading
(:func:`read_workbook`, through :func:`ilp_training.core.spreadsheets.read_sheets`)
needs no database and comes first, so the view holds no transaction (on SQLite: no
write lock) while a file is read. The package is checked before any XML is parsed: at
most :data:`MAX_FILE_BYTES` uploaded, :data:`MAX_PARTS` members,
:data:`MAX_UNPACKED_BYTES` unpacked, deflate or stored only. The sheets are then
streamed and reading stops at the first row past the limits: :data:`MAX_ROWS` rows with
content in all, nothing read below row :data:`MAX_SHEET_ROWS` + 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ilp_training.core import audit
from ilp_training.core.dates import add_months
from ilp_training.core.extensions import db
from ilp_training.core.input_policy import ascii_int
from ilp_training.core.service import ServiceError
from ilp_training.core.spreadsheets import WorkbookLimits, read_sheets
from ilp_training.incentives.services.activity import (
    MAX_VISITS,
    ensure_unlocked,
    serving_cadres,
    store_visit_counts,
)
from ilp_training.models import (
    Cadre,
    OpeningDay,
    Posyandu,
    Region,
    User,
)
from ilp_training.scope import posyandu_clause, scoped

MAX_ROWS = 5000  # rows with content, both sheets together
MAX_SHEET_ROWS = 2 * MAX_ROWS  # how far down a sheet is read, empty rows included
MAX_FILE_BYTES = 4 * 2**20  # the upload (a full template is about 250 KB)
MAX_UNPACKED_BYTES = 8 * 2**20  # all members unpacked (a full template: about 2.5 MB)
MAX_PART_BYTES = 2**20  # any other part, e.g. the shared strings (about 300 KB)
MAX_PARTS = 64  # members of the package (a template has about 12)
LIMITS = WorkbookLimits(file_bytes=MAX_FILE_BYTES, unpacked_bytes=MAX_UNPACKED_BYTES,
                        part_bytes=MAX_PART_BYTES, parts=MAX_PARTS, rows=MAX_ROWS,
                        sheet_rows=MAX_SHEET_ROWS)


@dataclass(frozen=True)
class RowError:
    """One bad row: the sheet (1 opening days, 2 home visits), its row number, why."""

    sheet: int
    row: int
    message: str


class ImportRefused(ServiceError):
    """The file had bad rows; ``errors`` lists every one. Nothing was saved."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(_l("Nothing was imported: correct the rows below and try again."),
                         "file")
        self.errors = list(errors)


@dataclass(frozen=True)
class ImportResult:
    opening_days: int  # distinct posyandu days in the file
    served: int  # cadre-days added
    home_visits: int  # counts stored or changed


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _month(value: Any) -> date | None:
    day = _day(value)
    if day is not None:
        return day.replace(day=1)
    text = _text(value)
    for fmt in ("%Y-%m", "%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    number = ascii_int(_text(value))
    return number if number is not None and number >= 0 else None


class _Checker:
    """Checks rows against the user's posyandu and the cadres serving there."""

    def __init__(self, posyandu: Sequence[Posyandu], today: date, first: date) -> None:
        self.today = today
        self.by_name: dict[str, list[Posyandu]] = {}
        for p in posyandu:
            self.by_name.setdefault(p.name.casefold(), []).append(p)
        self.stretches = serving_cadres([p.id for p in posyandu], first, today)
        self.cadres = {c.id: c for rows in self.stretches.values() for c, _s, _e in rows}

    def serves(self, cadre_id: int, first: date, last: date, posyandu_id: int | None) -> bool:
        return any(
            c.id == cadre_id and start <= last and (end is None or end > first)
            for pid, rows in self.stretches.items() if posyandu_id in (None, pid)
            for c, start, end in rows
        )

    def cadre(self, id_cell: Any, name_cell: Any) -> tuple[Cadre | None, str | None]:
        text = _text(id_cell) if isinstance(id_cell, str) else ""
        if text[:2].upper() == "K-":  # the cadre number as the pages show it, K-000049
            id_cell = text[2:]
        cadre_id = _whole(id_cell)
        cadre = self.cadres.get(cadre_id or -1)
        if cadre is None:
            return None, str(_l("No cadre with this ID serves in your area."))
        name = _text(name_cell)
        if name and name.casefold() != " ".join(cadre.full_name.split()).casefold():
            return None, str(_l("The name does not match cadre ID %(id)s (%(name)s).",
                                id=cadre.id, name=cadre.full_name))
        return cadre, None


def _opening_problem(check: _Checker, values: tuple[Any, ...],
                     seen: dict[tuple[int, date, int], int]
                     ) -> tuple[object | None, tuple[int, date, int] | None]:
    """Why an opening-day row is bad (``None`` if good), and its (posyandu, date, cadre)."""
    held, place, cadre_id, name = values[:4]
    held_on = _day(held)
    matches = check.by_name.get(_text(place).casefold(), [])
    cadre, problem = check.cadre(cadre_id, name)
    if held_on is None:
        return _l("Not a date (use YYYY-MM-DD)."), None
    if held_on > check.today:
        return _l("The date cannot be in the future."), None
    if len(matches) != 1:
        return (_l("No posyandu of this name in your area.") if not matches
                else _l("Several posyandu in your area have this name.")), None
    if cadre is None:
        return problem, None
    if not check.serves(cadre.id, held_on, held_on, matches[0].id):
        return _l("%(name)s did not serve at this posyandu on that day.",
                  name=cadre.full_name), None
    key = (matches[0].id, held_on, cadre.id)
    if key in seen:
        return _l("Same as row %(row)d.", row=seen[key]), None
    return None, key


def _visit_problem(check: _Checker, values: tuple[Any, ...], seen: dict[tuple[date, int], int]
                   ) -> tuple[object | None, tuple[date, int, int] | None]:
    """Why a home-visit row is bad (``None`` if good), and its (month, cadre, visits)."""
    month_cell, cadre_id, name, visits_cell = values[:4]
    month = _month(month_cell)
    cadre, problem = check.cadre(cadre_id, name)
    visits = _whole(visits_cell)
    if month is None:
        return _l("Not a month (use YYYY-MM)."), None
    if month > check.today:
        return _l("The month cannot be in the future."), None
    if cadre is None:
        return problem, None
    if not check.serves(cadre.id, month, add_months(month, 1) - timedelta(days=1), None):
        return _l("%(name)s did not serve in your area that month.", name=cadre.full_name), None
    if visits is None or not 0 <= visits <= MAX_VISITS:
        return _l("The number of visits must be a whole number from 0 to %(max)d.",
                  max=MAX_VISITS), None
    if (month, cadre.id) in seen:
        return _l("Same as row %(row)d.", row=seen[(month, cadre.id)]), None
    return None, (month, cadre.id, visits)


def _opening_rows(check: _Checker, rows: list[tuple[int, tuple[Any, ...]]],
                  errors: list[RowError]) -> dict[tuple[int, date], set[int]]:
    days: dict[tuple[int, date], set[int]] = {}
    seen: dict[tuple[int, date, int], int] = {}
    for number, values in rows:
        problem, key = _opening_problem(check, values, seen)
        if key is None:
            errors.append(RowError(1, number, str(problem)))
            continue
        seen[key] = number
        days.setdefault(key[:2], set()).add(key[2])
    return days


def _visit_rows(check: _Checker, rows: list[tuple[int, tuple[Any, ...]]],
                errors: list[RowError]) -> dict[date, dict[int, int]]:
    counts: dict[date, dict[int, int]] = {}
    seen: dict[tuple[date, int], int] = {}
    for number, values in rows:
        problem, found = _visit_problem(check, values, seen)
        if found is None:
            errors.append(RowError(2, number, str(problem)))
            continue
        month, cadre_id, visits = found
        seen[(month, cadre_id)] = number
        counts.setdefault(month, {})[cadre_id] = visits
    return counts


@dataclass(frozen=True)
class ActivityRows:
    """The rows with content of the two sheets: ``(row number, (cell, …))`` each."""

    opening: list[tuple[int, tuple[Any, ...]]]
    visits: list[tuple[int, tuple[Any, ...]]]


def read_workbook(data: bytes) -> ActivityRows:
    """Read an uploaded workbook, without the database (:func:`read_sheets`: the
    archive checked first, then sheets 1 and 2 streamed up to :data:`MAX_ROWS` rows with
    content in all). Refuses (``ServiceError`` on ``file``) a file that is not a
    workbook, too large, or has no rows."""
    opening, visits = read_sheets(data, LIMITS, (4, 4))
    return ActivityRows(opening, visits)


def template_cadres(user: User) -> Sequence[Any]:
    """The cadres listed on the template's third sheet, to copy IDs from: every cadre of
    the posyandu ``user`` sees, as ``(id, name, posyandu, village)`` by village,
    posyandu and name."""
    return db.session.execute(
        sa.select(Cadre.id, Cadre.full_name, Posyandu.name, Region.name)
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .join(Region, Region.id == Posyandu.village_id)
        .where(posyandu_clause(user))
        .order_by(Region.name, Posyandu.name, Cadre.full_name)).all()


def importable_posyandu(user: User) -> list[Posyandu]:
    """The posyandu whose activity ``user`` may import: those they see."""
    return list(db.session.scalars(scoped(Posyandu, user)))


def import_activity(actor: User, posyandu: Sequence[Posyandu], rows: ActivityRows,
                    today: date) -> ImportResult:
    """Check every row read by :func:`read_workbook` against ``posyandu`` (the user's
    scope), then save all of it, or raise :class:`ImportRefused` listing every bad row."""
    opening, visits = rows.opening, rows.visits
    dates = [d for d in (*(_day(v[0]) for _n, v in opening), *(_month(v[0]) for _n, v in visits))
             if d is not None]
    check = _Checker(posyandu, today, min([*dates, today]))
    errors: list[RowError] = []
    days = _opening_rows(check, opening, errors)
    counts = _visit_rows(check, visits, errors)
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: (e.sheet, e.row)))
    added = _add_opening_days(actor, days)
    visit_changes = {f"{month:%Y-%m}": changes for month, by_cadre in counts.items()
                     if (changes := store_visit_counts(month, by_cadre))}
    served = sum(len(ids) for ids in added.values())
    changed = sum(len(changes) for changes in visit_changes.values())
    if added or visit_changes:  # what changed, cadre by cadre (old → new for visits)
        audit.record(actor, "import", "activity", None, {
            "opening_days_added": [None, added], "home_visits": [None, visit_changes]})
    return ImportResult(opening_days=len(days), served=served, home_visits=changed)


def _add_opening_days(actor: User, days: dict[tuple[int, date], set[int]]
                      ) -> dict[str, list[int]]:
    """Add the cadres to their opening days (creating the days); the cadre ids added per
    ``"<posyandu id> <date>"``."""
    if not days:
        return {}
    existing = {(d.posyandu_id, d.held_on): d for d in db.session.scalars(
        sa.select(OpeningDay).where(OpeningDay.held_on.in_({h for _p, h in days})))}
    wanted = {i for ids in days.values() for i in ids}
    cadres = {c.id: c for c in db.session.scalars(sa.select(Cadre).where(Cadre.id.in_(wanted)))}
    villages = dict(db.session.execute(sa.select(Posyandu.id, Posyandu.village_id).where(
        Posyandu.id.in_({p for p, _h in days}))).all())
    ensure_unlocked({(villages[p], h) for (p, h), ids in days.items()
                     if (p, h) not in existing or ids - {c.id for c in existing[(p, h)].cadres}})
    added: dict[str, list[int]] = {}
    for (posyandu_id, held_on), ids in sorted(days.items()):
        day = existing.get((posyandu_id, held_on))
        if day is None:
            day = OpeningDay(posyandu_id=posyandu_id, held_on=held_on, created_by=actor)
            db.session.add(day)
        have = {c.id for c in day.cadres}
        day.cadres = [*day.cadres, *(cadres[i] for i in sorted(ids - have))]
        if ids - have:
            added[f"{posyandu_id} {held_on.isoformat()}"] = sorted(ids - have)
    db.session.flush()
    return added
