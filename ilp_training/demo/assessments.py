"""Demo assessment history: Posyandu Anggrek gives the seed's 1 Utama, 4 Madya, 9 Purwa;
the other posyandu a plausible spread (and some cadres not assessed at all)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from assessments import Framework
from ilp_training.core.extensions import db
from ilp_training.demo.seed_case import ANGGREK
from ilp_training.models import (
    Cadre,
    Method,
    Posyandu,
    Setting,
    User,
)
from ilp_training.scoring.services import SkillEntry, open_session, record_assessments

# Other posyandu: share of cadres per outcome (packages mastered beyond A and B).
SPREAD = ((0.35, ""), (0.35, "A"), (0.15, "ABC"), (0.1, "ABCE"), (0.05, "ABCDE"))


def _entries(framework: Framework, cadre: Cadre, mastered: frozenset[str],
             rng: random.Random) -> list[SkillEntry]:
    """Full marks on every mastered skill; one or two skills tried and not yet competent."""
    top = framework.scale.max
    entries = [SkillEntry(cadre.id, s.code, {i.code: top for i in s.indicators})
               for s in framework.skills if s.code in mastered]
    others = [s for s in framework.skills if s.code not in mastered]
    for skill in rng.sample(others, k=min(len(others), rng.randint(0, 2))):
        scores = {i.code: top for i in skill.indicators}
        scores[skill.indicators[0].code] = 0  # a critical indicator missed
        entries.append(SkillEntry(cadre.id, skill.code, scores, "Perlu latihan lagi"))
    return entries


def _spread_skills(framework: Framework, rng: random.Random) -> frozenset[str] | None:
    """Mastered skills drawn by ``SPREAD``; ``None`` for a cadre not assessed."""
    roll, total, packages = rng.random(), 0.0, ""
    for share, candidate in SPREAD:
        total += share
        if roll < total:
            packages = candidate
            break
    if not packages:
        return None  # not assessed
    if packages == "A":  # a few skills, no level yet
        return frozenset(s.code for s in framework.skills[:rng.randint(3, 9)])
    return frozenset(s.code for p in "AB" + packages for s in framework.package(p).skills)


def _assess(assessor: User, posyandu: Posyandu, plan: list[tuple[Cadre, frozenset[str]]],
            framework: Framework, on: date, rng: random.Random) -> int:
    if not plan:
        return 0
    session = open_session(assessor, posyandu, on, Setting.POSYANDU_DAY, Method.OBSERVATION,
                           [c for c, _m in plan], framework, on)
    entries = [e for cadre, mastered in plan for e in _entries(framework, cadre, mastered, rng)]
    record_assessments(assessor, session, entries, f"demo-{posyandu.id}", framework)
    return len(entries)


def load_demo_assessments(framework: Framework, trainer: User, admin: User, today: date,
                          rng: random.Random) -> int:
    """Assess the demo cadres (the caller commits); returns the number of assessments."""
    count = 0
    on = today - timedelta(days=45)
    for posyandu in db.session.scalars(sa.select(Posyandu).order_by(Posyandu.id)):
        cadres = list(db.session.scalars(
            sa.select(Cadre).where(Cadre.posyandu_id == posyandu.id).order_by(Cadre.id)))
        serves_seed = posyandu.puskesmas_id == trainer.puskesmas_id
        if posyandu.name == "Anggrek" and serves_seed:
            plan = [(c, seed.mastered) for c, seed in zip(cadres, ANGGREK, strict=True)]
        else:
            drawn = [(c, _spread_skills(framework, rng)) for c in cadres]
            plan = [(c, m) for c, m in drawn if m is not None]
        assessor = trainer if serves_seed else admin
        day = on - timedelta(days=rng.randint(0, 200))
        count += _assess(assessor, posyandu, plan, framework, day, rng)
    return count
