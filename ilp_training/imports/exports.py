"""The three sheets exported for the user's area, in the template's columns, so that
an import of an export changes nothing (posyandu; active cadres; the mastered skills of
cadres with a NIK, one row per cadre and day)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.imports.sheets import export
from ilp_training.models import (
    Assessment,
    Cadre,
    CadreSkill,
    CadreStatus,
    ImportKind,
    Posyandu,
    Puskesmas,
    Pustu,
    Region,
    User,
)
from ilp_training.scope import posyandu_clause


def _posyandu(user: User) -> Iterator[tuple[Any, ...]]:
    yield from db.session.execute(
        sa.select(Region.code, Posyandu.name, Posyandu.dusun, Posyandu.rw, Puskesmas.name,
                  Pustu.name)
        .join(Region, Region.id == Posyandu.village_id)
        .join(Puskesmas, Puskesmas.id == Posyandu.puskesmas_id)
        .outerjoin(Pustu, Pustu.id == Posyandu.pustu_id)
        .where(posyandu_clause(user)).order_by(Region.code, Posyandu.name))


def _cadres(user: User) -> Iterator[tuple[Any, ...]]:
    rows = db.session.execute(
        sa.select(Region.code, Posyandu.name, Cadre.full_name, Cadre.nik, Cadre.sex,
                  Cadre.birth_date, Cadre.phone, Cadre.start_date, Cadre.bpjs_tk_number,
                  Cadre.bpjs_tk_enrolled)
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .join(Region, Region.id == Posyandu.village_id)
        .where(posyandu_clause(user), Cadre.status == CadreStatus.ACTIVE)
        .order_by(Region.code, Posyandu.name, Cadre.full_name, Cadre.id))
    for code, place, name, nik, sex, birth, phone, start, number, enrolled in rows:
        yield (code, place, name, nik, "P" if sex == "F" else "L", birth, phone, start,
               number if enrolled else None)


def _results(user: User) -> Iterator[tuple[Any, ...]]:
    """One row per cadre and day on which skills they hold were mastered; who assessed
    as the paper record names it, else the assessor's name."""
    assessor = aliased(User)
    rows = db.session.execute(
        sa.select(Cadre.nik, Cadre.full_name, CadreSkill.mastered_on, CadreSkill.skill_code,
                  Assessment.assessed_by, assessor.display_name)
        .join(Cadre, Cadre.id == CadreSkill.cadre_id)
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .join(Assessment, Assessment.id == CadreSkill.assessment_id)
        .join(assessor, assessor.id == Assessment.assessor_id)
        .where(posyandu_clause(user), Cadre.nik.is_not(None))
        .order_by(Cadre.nik, CadreSkill.mastered_on))
    order = {s.code: i for i, s in enumerate(framework_on(local_today()).skills)}
    groups: dict[tuple[str | None, Any], list[Any]] = {}
    for nik, name, day, code, assessed_by, assessor_name in rows:
        group = groups.setdefault((nik, day), [name, [], assessed_by or assessor_name])
        group[1].append(code)
    for (nik, day), (name, codes, by) in groups.items():
        codes.sort(key=lambda c: (order.get(c, 99), c))
        yield (nik, name, day, ", ".join(codes), by)


SOURCES = {ImportKind.POSYANDU: _posyandu, ImportKind.CADRES: _cadres,
           ImportKind.RESULTS: _results}


def export_sheet(kind: ImportKind, user: User) -> bytes:
    """The workbook of ``kind`` for the user's area."""
    return export(kind, SOURCES[kind](user))
