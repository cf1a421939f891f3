"""A benchmark district: the demo data grown to N puskesmas of M cadres each, with a full
assessment history, written with bulk inserts.

Every cadre gets an outcome (never assessed, a few skills, Purwa, Madya or Utama), sat
up to three sessions at their posyandu, and has every assessment with its indicator
scores: some skills failed first and passed at a later sitting, some tried and not yet
passed. Badges (``cadre_skills``), ``level_code``, ``level_since``, ``badge_count``,
``last_assessed_on`` and the level history follow from those assessments by the engine's
rule (:func:`assessments.grade_masks`), as :mod:`ilp_training.scoring.services` would
store them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import insert

from assessments import Framework, grade_masks
from ilp_training.core.extensions import db
from ilp_training.models import (
    Assessment,
    AssessmentSession,
    Cadre,
    CadreAssignment,
    CadreSkill,
    CadreStatus,
    IndicatorScore,
    LevelChange,
    Method,
    Posyandu,
    Puskesmas,
    Region,
    RegionLevel,
    Setting,
    Sex,
    User,
    session_cadres,
    utcnow,
)

NAMES = ("Wa Ode Sariati", "Nurlina", "Wa Ani", "Sitti Aminah", "Hasriani", "Rosmiati",
         "Hastuti", "Sumarni", "Jumriati", "Rahmawati", "Murniati", "Herlina", "La Udin")
SURNAMES = ("", " Hamzah", " Saleh", " Kadir", " Umar", " Rauf", " Tahir", " Binti La Ode")
# (share, packages beyond A and B): "" = never assessed, "-" = a few A/B skills only
OUTCOMES = ((0.10, ""), (0.20, "-"), (0.12, "C"), (0.10, "D"), (0.08, "E"), (0.10, "CD"),
            (0.08, "CE"), (0.07, "DE"), (0.15, "CDE"))
SITTING = {"A": 0, "B": 0, "C": 1, "D": 2, "E": 2}  # the sitting a package is first tried


@dataclass
class _Ids:
    """Next free primary keys, so rows can refer to each other without RETURNING."""

    posyandu: int
    cadre: int
    session: int
    assessment: int

    def take(self, name: str) -> int:
        value = getattr(self, name)
        setattr(self, name, value + 1)
        return value


@dataclass
class _Batch:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)


def _next_id(column: Any) -> int:
    return (db.session.scalar(sa.select(sa.func.max(column))) or 0) + 1


def _outcome(framework: Framework, rng: random.Random) -> list[str] | None:
    roll, total, packages = rng.random(), 0.0, OUTCOMES[-1][1]
    for share, candidate in OUTCOMES:
        total += share
        if roll < total:
            packages = candidate
            break
    if packages == "":
        return None
    if packages == "-":
        ab = [s.code for p in "AB" for s in framework.package(p).skills]
        return rng.sample(ab, rng.randint(3, 9))
    return [s.code for p in "AB" + packages for s in framework.package(p).skills]


def _attempts(framework: Framework, mastered: list[str], rng: random.Random
              ) -> list[tuple[int, str, bool]]:
    """(sitting, skill, competent) for one cadre: every mastered skill passed (20 % after
    failing at the sitting before), plus up to two skills tried and failed."""
    attempts = []
    for code in mastered:
        sitting = max(SITTING[framework.skill(code).package], 1 if rng.random() < 0.2 else 0)
        if sitting and rng.random() < 0.2:
            attempts.append((sitting - 1, code, False))
        attempts.append((sitting, code, True))
    others = [s.code for s in framework.skills if s.code not in set(mastered)]
    for code in rng.sample(others, min(len(others), rng.randint(0, 2))):
        attempts.append((rng.randint(0, 2), code, False))
    return attempts


def _assessment(ids: _Ids, batch: _Batch, framework: Framework, session: dict[str, Any],
                cadre_id: int, code: str, competent: bool) -> int:
    skill = framework.skill(code)
    top = framework.scale.max
    scores = {i.code: top for i in skill.indicators}
    points = skill.max_points
    if not competent:  # the first indicator (critical) not met
        first = skill.indicators[0]
        scores[first.code] = 0
        points -= first.points
    assessment_id = ids.take("assessment")
    batch.add("assessments", {
        "id": assessment_id, "session_id": session["id"], "cadre_id": cadre_id,
        "skill_code": code, "framework_id": framework.id,
        "framework_version": framework.version, "assessed_on": session["assessed_on"],
        "setting": Setting.POSYANDU_DAY, "method": Method.OBSERVATION,
        "assessor_id": session["assessor_id"], "competent": competent, "points": str(points),
        "max_points": skill.max_points, "percent": points * 100 // skill.max_points,
        "note": None, "supersedes_id": None, "correction_reason": None,
        "submission_key": f"bench-{session['id']}", "created_at": session["created_at"],
    })
    for indicator, score in scores.items():
        batch.add("scores", {"assessment_id": assessment_id, "indicator_code": indicator,
                             "score": score})
    return assessment_id


def _cadre_history(ids: _Ids, batch: _Batch, framework: Framework, cadre: dict[str, Any],
                   sessions: list[dict[str, Any]], rng: random.Random) -> list[int]:
    """Write one cadre's assessments; return the skill mask after each sitting."""
    mastered = _outcome(framework, rng)
    if mastered is None:
        return [0, 0, 0]
    present: set[int] = set()
    badges: dict[str, tuple[int, date]] = {}
    for sitting, code, competent in sorted(_attempts(framework, mastered, rng)):
        session = sessions[sitting]
        present.add(sitting)
        assessment_id = _assessment(ids, batch, framework, session, cadre["id"], code,
                                    competent)
        if competent:
            badges[code] = (assessment_id, session["assessed_on"])
    for sitting in sorted(present):
        batch.add("present", {"session_id": sessions[sitting]["id"], "cadre_id": cadre["id"]})
    for code, (assessment_id, on) in badges.items():
        batch.add("skills", {"cadre_id": cadre["id"], "skill_code": code,
                             "assessment_id": assessment_id, "mastered_on": on})
    cadre["badge_count"] = len(badges)
    cadre["last_assessed_on"] = max(sessions[s]["assessed_on"] for s in present)
    cadre["framework_version"] = framework.version
    return [framework.mask(c for c, (_a, on) in badges.items()
                           if on <= sessions[k]["assessed_on"]) for k in range(3)]


def _levels(batch: _Batch, framework: Framework, cadres: list[dict[str, Any]],
            masks: list[list[int]], sessions: dict[int, list[dict[str, Any]]]) -> None:
    """Store each cadre's level and the level changes, sitting by sitting."""
    per_sitting = [grade_masks(framework, [m[k] for m in masks]) for k in range(3)]
    for i, cadre in enumerate(cadres):
        previous = None
        for k in range(3):
            level = per_sitting[k][i]
            if level != previous:
                on = sessions[cadre["posyandu_id"]][k]["assessed_on"]
                batch.add("levels", {
                    "cadre_id": cadre["id"], "level_code": level, "previous_code": previous,
                    "changed_on": on, "framework_id": framework.id,
                    "framework_version": framework.version, "assessment_id": None,
                    "created_at": utcnow()})
                cadre["level_since"] = on if level else None
                previous = level
        cadre["level_code"] = previous


def _new_cadre(ids: _Ids, posyandu_id: int, rng: random.Random, today: date) -> dict[str, Any]:
    inactive = rng.random() < 0.03
    now = utcnow()
    return {
        "id": ids.take("cadre"), "full_name": rng.choice(NAMES) + rng.choice(SURNAMES),
        "nik": None, "sex": Sex.FEMALE, "birth_date": date(rng.randint(1968, 2000), 6, 1),
        "phone": None, "posyandu_id": posyandu_id,
        "start_date": today - timedelta(days=rng.randint(800, 3000)),
        "status": CadreStatus.INACTIVE if inactive else CadreStatus.ACTIVE,
        "inactive_reason": "pindah" if inactive else None,
        "inactive_since": today - timedelta(days=30) if inactive else None,
        "bpjs_tk_enrolled": False, "bpjs_tk_number": None, "level_code": None,
        "level_since": None, "badge_count": 0, "last_assessed_on": None,
        "framework_version": None, "created_at": now, "updated_at": now,
    }


def _sittings(ids: _Ids, posyandu_id: int, assessor_id: int, framework: Framework,
              rng: random.Random, today: date) -> list[dict[str, Any]]:
    """Three sittings about nine months apart; a quarter of posyandu stopped a year ago."""
    last = today - timedelta(days=rng.randint(10, 120) + (400 if rng.random() < 0.25 else 0))
    return [{
        "id": ids.take("session"), "posyandu_id": posyandu_id, "assessor_id": assessor_id,
        "assessed_on": last - timedelta(days=270 * (2 - k)), "setting": Setting.POSYANDU_DAY,
        "method": Method.OBSERVATION, "framework_id": framework.id,
        "framework_version": framework.version, "created_at": utcnow(),
    } for k in range(3)]


# The batch's keys and their tables, in foreign-key order.
TABLES = (("posyandu", Posyandu.__table__), ("cadres", Cadre.__table__),
          ("assignments", CadreAssignment.__table__),
          ("sessions", AssessmentSession.__table__), ("present", session_cadres),
          ("assessments", Assessment.__table__), ("scores", IndicatorScore.__table__),
          ("skills", CadreSkill.__table__), ("levels", LevelChange.__table__))


def _write(batch: _Batch) -> None:
    """Insert a batch in foreign-key order."""
    for key, table in TABLES:
        rows = batch.rows.get(key)
        if rows:
            db.session.execute(insert(table), rows)


def _grow_puskesmas(count: int) -> list[Puskesmas]:
    """The district's puskesmas, with new ones (three new villages each) up to ``count``."""
    district = db.session.scalars(
        sa.select(Region).where(Region.level == RegionLevel.REGENCY)).one()
    existing = list(db.session.scalars(
        sa.select(Puskesmas).where(Puskesmas.district_id == district.id).order_by(Puskesmas.id)))
    kecamatan = list(db.session.scalars(
        sa.select(Region).where(Region.parent_id == district.id).order_by(Region.code)))
    for n in range(len(existing), count):
        kec = kecamatan[n % len(kecamatan)]
        villages = [Region(code=f"{kec.code}.2{n:02d}{v}", name=f"Desa Uji {n}-{v}",
                           level=RegionLevel.VILLAGE, parent=kec) for v in range(3)]
        existing.append(Puskesmas(name=f"Puskesmas Uji {n:02d}", district=district,
                                  subdistrict=kec, villages=villages))
        db.session.add(existing[-1])
    db.session.flush()
    return existing


def _posyandu_of(puskesmas: Puskesmas, ids: _Ids, batch: _Batch, wanted: int) -> list[int]:
    """Ids of new posyandu (inserted with ``batch``) that bring the puskesmas to ``wanted``;
    its existing ones when it has enough."""
    have = list(db.session.scalars(sa.select(Posyandu.id).where(
        Posyandu.puskesmas_id == puskesmas.id).order_by(Posyandu.id)))
    for j in range(len(have), wanted):
        village = puskesmas.villages[j % len(puskesmas.villages)]
        batch.add("posyandu", {
            "id": ids.take("posyandu"), "name": f"Posyandu Uji {puskesmas.id}-{j:02d}",
            "village_id": village.id, "puskesmas_id": puskesmas.id, "dusun": None, "rw": None})
    return [row["id"] for row in batch.rows.get("posyandu", [])] or have


def _round_robin(items: list[int], count: int) -> Iterator[int]:
    for i in range(count):
        yield items[i % len(items)]


def history_batch(ids: _Ids, framework: Framework, today: date, rng: random.Random,
                  posyandu_ids: list[int], assessor_id: int, count: int) -> _Batch:
    """``count`` new cadres spread over ``posyandu_ids`` (which exist or are written
    first), with three sittings per posyandu by ``assessor_id`` and each cadre's whole
    history: the rows of every table of :data:`TABLES` but ``posyandu``."""
    batch = _Batch()
    sessions = {p: _sittings(ids, p, assessor_id, framework, rng, today) for p in posyandu_ids}
    for rows in sessions.values():
        for row in rows:
            batch.add("sessions", row)
    cadres = [_new_cadre(ids, p, rng, today) for p in _round_robin(posyandu_ids, count)]
    masks = [_cadre_history(ids, batch, framework, c, sessions[c["posyandu_id"]], rng)
             for c in cadres]
    _levels(batch, framework, cadres, masks, sessions)
    batch.rows["cadres"] = cadres
    batch.rows["assignments"] = [
        {"cadre_id": c["id"], "posyandu_id": c["posyandu_id"],
         "start_date": c["start_date"], "end_date": None, "note": None} for c in cadres]
    return batch


def fill_district(framework: Framework, today: date, *, puskesmas: int = 25,
                  cadres_each: int = 400, posyandu_each: int = 40, seed: int = 2024) -> int:
    """Grow the demo district to ``puskesmas`` puskesmas of ``posyandu_each`` posyandu and
    ``cadres_each`` cadres (counting the demo's), with histories; commits per puskesmas.
    Returns the number of assessments written."""
    rng = random.Random(seed)
    ids = _Ids(_next_id(Posyandu.id), _next_id(Cadre.id), _next_id(AssessmentSession.id),
               _next_id(Assessment.id))
    first_assessment = ids.assessment
    users = {u.username: u.id for u in db.session.scalars(sa.select(User))}
    for pkm in _grow_puskesmas(puskesmas):
        new_posyandu = _Batch()
        targets = _posyandu_of(pkm, ids, new_posyandu, posyandu_each)
        existing = db.session.scalar(sa.select(sa.func.count(Cadre.id)).join(Posyandu).where(
            Posyandu.puskesmas_id == pkm.id)) or 0
        assessor = users["pelatih"] if pkm.name == "Mawasangka Tengah" else users["admin"]
        batch = history_batch(ids, framework, today, rng, targets, assessor,
                              max(0, cadres_each - existing))
        batch.rows.update(new_posyandu.rows)
        _write(batch)
        db.session.commit()
    _reset_sequences()
    return ids.assessment - first_assessment


def _reset_sequences() -> None:
    """PostgreSQL: move the id sequences past the ids written explicitly."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("posyandu", "cadres", "assessment_sessions", "assessments"):
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT MAX(id) FROM {table}))"))
    db.session.commit()
