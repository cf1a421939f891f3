"""Checking and applying the sheet of paper-era results.

A row names a registered cadre of the user's area by NIK (and, if given, by name too),
the date on the paper record, the skills found competent (codes, or a package letter
for all its skills, as the framework in force that day has them) and who assessed.
Each skill becomes an assessment with method and setting ``paper`` (transferred from
paper records): competent, no indicator scores, the importing user as the one who
entered it and ``assessed_by`` as the record names the assessor. Its submission key
``paper:<date>`` makes it once per cadre, skill and day (a unique key), and a skill the
cadre already holds by an assessment that counts on that day is left alone, so
importing the same file, or an export of the mastered skills, changes nothing. The
cadre's badges, level and level history then follow by the usual rules
(:func:`ilp_training.scoring.services.refresh_cadre`): a later scored assessment of a
skill takes over from the paper record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from assessments import Framework
from ilp_training.core import audit
from ilp_training.core.curricula import first_day, framework_on
from ilp_training.core.extensions import db
from ilp_training.core.spreadsheets import Row
from ilp_training.imports import cells
from ilp_training.imports.cells import CellError, Problem, key, problem
from ilp_training.imports.checking import NEW, UNCHANGED, Places, Plan, Progress, chunks
from ilp_training.imports.sheets import is_example
from ilp_training.models import Assessment, Cadre, ImportKind, Method, Setting, User
from ilp_training.scoring.services import refresh_cadre

PAPER_KEY = "paper:"


@dataclass(frozen=True)
class _Line:
    row: int
    cadre: Cadre
    day: date
    skills: tuple[str, ...]
    assessed_by: str
    framework: Framework


def skills_of(framework: Framework, text: str) -> tuple[str, ...]:
    """The skill codes a cell names (codes or package letters, separated by commas,
    semicolons or spaces), in framework order; raises :class:`CellError`."""
    tokens = [t.upper() for t in re.split(r"[,;\s]+", text) if t]
    if not tokens:
        raise CellError(_l("Name at least one skill."))
    packages = {p.code: p for p in framework.packages}
    wanted: set[str] = set()
    unknown = []
    for token in tokens:
        if token in packages:
            wanted.update(packages[token].skill_codes)
        elif framework.has_skill(token):
            wanted.add(token)
        else:
            unknown.append(token)
    if unknown:
        raise CellError(_l("Unknown skill or package: %(codes)s.", codes=", ".join(unknown)))
    return tuple(s.code for s in framework.skills if s.code in wanted)


def _cadres(actor: User, rows: list[Row], places: Places) -> dict[str, Cadre]:
    """The cadres of the user's area with the file's NIKs."""
    niks = set()
    for _number, values in rows:
        try:
            niks.add(cells.digits(values[0], what="nik"))
        except CellError:
            continue
    found: dict[str, Cadre] = {}
    for batch in chunks(sorted(n for n in niks if n)):
        found.update({str(c.nik): c for c in db.session.scalars(sa.select(Cadre).where(
            Cadre.nik.in_(batch), Cadre.posyandu_id.in_(list(places.by_id))))})
    return found


def _read(number: int, values: tuple[Any, ...], cadres: dict[str, Cadre], today: date,
          start: date) -> tuple[_Line | None, list[Problem]]:
    problems: list[Problem] = []
    found: dict[str, Any] = {}
    readers = (("nik", lambda v: cells.digits(v, what="nik")),
               ("name", lambda v: cells.text(v, max_length=120)),
               ("day", cells.day), ("skills", lambda v: cells.text(v, max_length=400)),
               ("assessed_by", lambda v: cells.text(v, max_length=160)))
    for column, (name, read) in enumerate(readers):
        try:
            found[name] = read(values[column])
        except CellError as exc:
            problems.append(problem(number, column, exc.message))
    if problems:
        return None, problems
    cadre = cadres.get(found["nik"])
    if not found["nik"]:
        problems.append(problem(number, 0, _l("The NIK is required.")))
    elif cadre is None:
        problems.append(problem(number, 0, _l("No cadre with this NIK in your area.")))
    elif found["name"] and key(found["name"]) != key(cadre.full_name):
        problems.append(problem(number, 1, _l(
            "The name does not match the cadre with this NIK (%(name)s).", name=cadre.full_name)))
    day = found["day"]
    if day is None:
        problems.append(problem(number, 2, _l("The date is required.")))
    elif day > today:
        problems.append(problem(number, 2, _l("The date cannot be in the future.")))
    elif day < start:
        problems.append(problem(number, 2, _l(
            "The competency framework applies from %(day)s; results before it cannot be "
            "graded.", day=start.isoformat())))
        day = None
    framework = framework_on(day) if day is not None and day <= today else None
    skills: tuple[str, ...] = ()
    if framework is not None:
        try:
            skills = skills_of(framework, found["skills"])
        except CellError as exc:
            problems.append(problem(number, 3, exc.message))
    if not found["assessed_by"]:
        problems.append(problem(number, 4, _l("Name the assessor or the puskesmas.")))
    if problems or cadre is None or day is None or framework is None:
        return None, problems
    return _Line(number, cadre, day, skills, found["assessed_by"], framework), []


def _held(cadre_ids: list[int]) -> set[tuple[int, str, date]]:
    """(cadre, skill, day) of the competent assessments that count, and of every paper
    result stored (its key allows it once)."""
    held: set[tuple[int, str, date]] = set()
    superseded = sa.select(Assessment.supersedes_id).where(Assessment.supersedes_id.is_not(None))
    for batch in chunks(cadre_ids):
        held.update((c, s, d) for c, s, d in db.session.execute(sa.select(
            Assessment.cadre_id, Assessment.skill_code, Assessment.assessed_on).where(
            Assessment.cadre_id.in_(batch),
            sa.or_(Assessment.method == Method.PAPER, sa.and_(
                Assessment.competent.is_(True), Assessment.id.not_in(superseded),
                Assessment.duplicate_of_id.is_(None))))))
    return held


def check_results(actor: User, rows: list[Row], today: date, progress: Progress) -> Plan:
    """Check every row; the plan lists the problems, or the preview and the changes."""
    places, plan, start = Places(actor), Plan(), first_day()
    cadres = _cadres(actor, rows, places)
    lines: list[_Line] = []
    seen: dict[tuple[int, date], int] = {}
    for number, values in rows:
        if is_example(ImportKind.RESULTS, values):
            continue
        line, problems = _read(number, values, cadres, today, start)
        plan.problems.extend(problems)
        if line is None:
            continue
        if (line.cadre.id, line.day) in seen:
            plan.problems.append(problem(number, 2, _l(
                "Same cadre and date as row %(row)d.", row=seen[(line.cadre.id, line.day)])))
            continue
        seen[(line.cadre.id, line.day)] = number
        lines.append(line)
    held = _held(sorted({line.cadre.id for line in lines}))
    todo: list[tuple[_Line, tuple[str, ...]]] = []
    for line in lines:
        fresh = tuple(s for s in line.skills if (line.cadre.id, s, line.day) not in held)
        plan.count(places.by_id[line.cadre.posyandu_id].label, NEW if fresh else UNCHANGED)
        if fresh:
            todo.append((line, fresh))
    progress(len(rows))
    if not plan.problems:
        plan.apply = lambda report: _apply(actor, todo, today, report)
    return plan


def _apply(actor: User, todo: list[tuple[_Line, tuple[str, ...]]], today: date,
           progress: Progress) -> dict[str, Any]:
    """Store the paper results (one audit entry per row), then recompute each cadre's
    badges, level and level history once."""
    for line, skills in todo:
        for code in skills:
            db.session.add(Assessment(
                session_id=None, cadre=line.cadre, skill_code=code,
                framework_id=line.framework.id, framework_version=line.framework.version,
                assessed_on=line.day, setting=Setting.PAPER, method=Method.PAPER,
                assessor=actor, competent=True, points="0", max_points=0, percent=0,
                assessed_by=line.assessed_by, submission_key=f"{PAPER_KEY}{line.day}"))
        audit.record(actor, "transfer", "cadre", line.cadre.id, {
            "paper_result": [None, {"date": line.day.isoformat(), "skills": list(skills),
                                    "assessed_by": line.assessed_by}]})
    db.session.flush()
    cadres = {line.cadre.id: line.cadre for line, _skills in todo}
    framework = framework_on(today)
    for done, cadre in enumerate(cadres.values(), start=1):
        refresh_cadre(cadre, framework, actor)
        if done % 100 == 0:
            progress(done)
    return {"new": sum(len(s) for _line, s in todo), "updated": len(cadres), "moved": 0}
