"""bench/national.py's generator at a tiny size on the test database: the rows it says
it wrote are there, the places nest, the stored levels follow the district's history
(the engine's rule) and the spread outside it; the script without --db skips."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from assessments import grade_masks
from ilp_training.core.curricula import framework_on
from ilp_training.models import (
    Cadre,
    CadreSkill,
    CadreStatus,
    Posyandu,
    Puskesmas,
    Region,
    RegionLevel,
    Role,
    User,
)
from ilp_training.overview import rollups
from ilp_training.scoring.services import package_codes

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from _national import BADGES, Sizes, build, synthetic_places  # noqa: E402

TODAY = date(2026, 11, 1)


def test_the_generator_writes_a_consistent_national_set(db_session) -> None:
    framework = framework_on(TODAY)
    sizes = Sizes(cadres=900, district_cadres=300, district_puskesmas=2, posyandu=150,
                  puskesmas=9)
    built = build(framework, TODAY, sizes, synthetic_places(3, 6, 18, 90))
    db_session.flush()

    def count(model: type) -> int:
        return db_session.scalar(sa.select(sa.func.count()).select_from(model)) or 0

    assert count(Cadre) == built.written["cadres"] == 900
    assert count(Posyandu) == built.written["posyandu"] == 150
    assert count(Puskesmas) == built.written["puskesmas"] == 9
    assert count(Region) == 3 + 6 + 18 + 90
    # Every posyandu's village lies in its puskesmas' regency.
    village, regency = aliased(Region), aliased(Region)
    misplaced = db_session.scalar(
        sa.select(sa.func.count()).select_from(Posyandu)
        .join(Puskesmas, Puskesmas.id == Posyandu.puskesmas_id)
        .join(village, village.id == Posyandu.village_id)
        .join(regency, regency.id == Puskesmas.district_id)
        .where(sa.func.substr(village.code, 1, 5) != regency.code))
    assert misplaced == 0

    district = db_session.get(Region, built.district_id)
    assert district.level == RegionLevel.REGENCY
    admin = db_session.scalars(sa.select(User).where(User.role == Role.ADMIN)).one()
    assert admin.district_id == district.id

    # The district under test: level and badges follow from the stored badges.
    own = list(db_session.scalars(
        sa.select(Cadre).join(Posyandu).join(Puskesmas)
        .where(Puskesmas.district_id == district.id).order_by(Cadre.id)))
    assert len(own) == 300
    badges: dict[int, list[str]] = {c.id: [] for c in own}
    for cadre_id, code in db_session.execute(
            sa.select(CadreSkill.cadre_id, CadreSkill.skill_code)
            .where(CadreSkill.cadre_id.in_(badges))):
        badges[cadre_id].append(code)
    levels = grade_masks(framework, [framework.mask(badges[c.id]) for c in own])
    assert [c.level_code for c in own] == levels
    assert [c.badge_count for c in own] == [len(badges[c.id]) for c in own]
    assert [c.package_codes for c in own] == [package_codes(
        p.code for p in framework.packages if set(p.skill_codes) <= set(badges[c.id]))
        for c in own]
    assert {"purwa", "madya", "utama", None} <= set(levels)

    # Outside it: most Purwa, fewer Madya, few Utama, some not graded; badges to match.
    others = list(db_session.scalars(sa.select(Cadre).where(Cadre.id.not_in(badges))))
    spread = Counter(c.level_code for c in others)
    assert spread["purwa"] > spread["madya"] > spread["utama"] > 0 and spread[None] > 0
    assert all(BADGES[c.level_code][0] <= c.badge_count <= BADGES[c.level_code][1]
               for c in others)

    # The rollups rebuilt over the set equal the records.
    rollups.rebuild()
    national = rollups.figures(rollups.NATIONAL)
    assert national == rollups.from_records(rollups.NATIONAL)
    assert national.cadres == sum(c.status == CadreStatus.ACTIVE for c in [*own, *others])


def test_without_a_database_the_script_says_it_skipped() -> None:
    done = subprocess.run([sys.executable, str(BENCH / "national.py")], capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.startswith("national: skipped (give --db postgresql+psycopg:///")
