"""The overview's counts on the demo district: right after ``flask demo load``, after a
cadre import (its multi-row INSERT bypasses the ORM), and under promotions saved at
the same moment in several posyandu (``tests/live.py``): no deadlock, no error, counts
equal to the records."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from conftest import DEMO_DAY

from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.models import Cadre, CadreSkill, Posyandu, User
from ilp_training.overview import rollups
from ilp_training.overview.rollups import NATIONAL, figures, from_records
from tests.imports.helpers import job_id, upload, workbook
from tests.live import race

pytestmark = pytest.mark.dates


def test_the_demo_loads_with_true_counts(app):
    with app.app_context():
        assert rollups.differences() == []
        national = figures(NATIONAL)
        assert national == from_records(NATIONAL)
        assert national.cadres > 200 and national.by_level.get("utama")


def test_a_cadre_import_counts_at_once(app, as_coordinator):
    with app.app_context():
        before = figures(NATIONAL).cadres
    born = date(1991, 3, 4)
    row = ["Lalibo", "Anggrek", "Wa Ode Hitung", f"741402{born.day + 40:02d}{born:%m%y}0001",
           "P", born.isoformat(), "081234567890", "2020-01-01", ""]
    ident = job_id(upload(as_coordinator, "cadres", workbook([row])))
    assert as_coordinator.post(f"/imports/jobs/{ident}/apply").status_code == 302
    with app.app_context():
        assert figures(NATIONAL).cadres == before + 1
        assert rollups.differences() == []


def _purwa_without_d(live, count: int) -> list[tuple[int, int]]:
    """(posyandu, cadre) of Purwa cadres without package D, each in another posyandu of
    the trainer's puskesmas."""
    found: dict[int, int] = {}
    with live.context():
        trainer = db.session.scalar(sa.select(User).where(User.username == "pelatih"))
        for cadre in db.session.scalars(
                sa.select(Cadre).join(Posyandu).where(
                    Posyandu.puskesmas_id == trainer.puskesmas_id, Cadre.level_code == "purwa")
                .order_by(Cadre.id)):
            skills = set(db.session.scalars(sa.select(CadreSkill.skill_code).where(
                CadreSkill.cadre_id == cadre.id)))
            if cadre.posyandu_id not in found and not any(s.startswith("D") for s in skills):
                found[cadre.posyandu_id] = cadre.id
    assert len(found) >= count, found
    return list(found.items())[:count]


def test_promotions_saved_at_once_in_several_posyandu(live):
    pairs = _purwa_without_d(live, 4)
    trainers = [live.client("pelatih") for _ in pairs]
    with live.context():
        fw = framework_on(DEMO_DAY)
        codes = [i.code for s in ("D1", "D2", "D3") for i in fw.skill(s).indicators]
        madya = figures(NATIONAL).by_level.get("madya", 0)
    forms = []
    for browser, (posyandu_id, cadre_id) in zip(trainers, pairs, strict=True):
        opened = browser.post(f"/posyandu/{posyandu_id}/assessments/new", data={
            "assessed_on": DEMO_DAY.isoformat(), "setting": "posyandu_day",
            "method": "observation", "cadres": [cadre_id]})
        assert opened.status_code == 302, opened.text[:300]
        url = opened.headers["Location"].replace(browser.base_url, "") + f"/cadres/{cadre_id}"
        page = browser.get(url)
        key = re.search(r'name="submission_key" type="hidden" value="(\w+)"', page.text).group(1)
        forms.append((url, {"submission_key": key, **{f"score-{c}": "2" for c in codes}}))
    responses = race(len(pairs), lambda i: trainers[i].post(forms[i][0], data=forms[i][1]))
    assert sorted(r.status_code for r in responses) == [302] * len(pairs), \
        [r.text[:300] for r in responses]
    with live.context():
        assert figures(NATIONAL).by_level.get("madya", 0) == madya + len(pairs)
        assert rollups.differences() == []
