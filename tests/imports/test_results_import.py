"""Paper-era results: stored as assessments transferred from paper records, feeding the
badges, the level and the roster; refusals; repeat imports; a later scored assessment
takes over; the export round trip."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from conftest import DEMO_DAY, user_named

from ilp_training.core.extensions import db
from ilp_training.models import (
    Assessment,
    AuditEntry,
    Cadre,
    CadreSkill,
    ImportJob,
    ImportStatus,
    Method,
    Posyandu,
)
from tests.imports.helpers import job_id, rows_of, upload, workbook

pytestmark = pytest.mark.dates
PAPER_DAY = date(2024, 6, 17)
PURWA = "A, B, C"  # A + B + one other package


def _fresh_cadre(app) -> tuple[int, str, str, str]:
    """A cadre of Mawasangka Tengah with a NIK and nothing assessed: (id, NIK, name,
    posyandu name)."""
    with app.app_context():
        puskesmas = user_named("koordinator").puskesmas_id
        cadre = db.session.scalars(sa.select(Cadre).join(Posyandu).where(
            Posyandu.puskesmas_id == puskesmas, Cadre.nik.is_not(None),
            Cadre.badge_count == 0, Cadre.level_code.is_(None),
            Posyandu.name != "Anggrek").order_by(Cadre.id)).first()
        return cadre.id, cadre.nik, cadre.full_name, cadre.posyandu.name


def _import(client, rows) -> int:
    ident = job_id(upload(client, "results", workbook(rows)))
    return ident


def _job(app, ident: int) -> ImportJob:
    with app.app_context():
        job = db.session.get(ImportJob, ident)
        db.session.expunge(job)
        return job


def _cadre(app, cadre_id: int) -> tuple[str | None, int, list[str]]:
    with app.app_context():
        cadre = db.session.get(Cadre, cadre_id)
        skills = db.session.scalars(sa.select(CadreSkill.skill_code).where(
            CadreSkill.cadre_id == cadre_id).order_by(CadreSkill.skill_code)).all()
        return cadre.level_code, cadre.badge_count, list(skills)


def _purwa_count(client, posyandu: str) -> int:
    html = client.get("/roster").get_data(as_text=True)
    card = re.search(r'<li>\s*<h3><a [^>]*>' + re.escape(posyandu) + r"</a>.*?</li>", html,
                     re.S).group(0)
    found = re.search(r"(\d+)\s*Purwa", re.sub(r"<[^>]+>", " ", card))
    return int(found.group(1)) if found else 0


def test_paper_results_become_assessments_that_give_the_level_and_the_roster_line(
        app, as_coordinator):
    cadre_id, nik, name, posyandu = _fresh_cadre(app)
    purwa_before = _purwa_count(as_coordinator, posyandu)
    ident = _import(as_coordinator, [[nik, name, PAPER_DAY.isoformat(), PURWA,
                                      "Puskesmas Mawasangka Tengah (Bd. Wa Ode)"]])
    assert _job(app, ident).status == ImportStatus.CHECKED, _job(app, ident).errors
    assert _cadre(app, cadre_id) == (None, 0, [])  # nothing before the confirmation
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    level, badges, skills = _cadre(app, cadre_id)
    assert (level, badges) == ("purwa", 17) and len(skills) == 17
    with app.app_context():
        rows = db.session.scalars(sa.select(Assessment).where(
            Assessment.cadre_id == cadre_id)).all()
        assert {a.method for a in rows} == {Method.PAPER} and all(a.competent for a in rows)
        assert all(a.session_id is None and not a.scores for a in rows)
        assert {a.assessed_by for a in rows} == {"Puskesmas Mawasangka Tengah (Bd. Wa Ode)"}
        assert db.session.get(Cadre, cadre_id).level_since == PAPER_DAY
        audits = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "cadre", AuditEntry.entity_id == cadre_id,
            AuditEntry.action == "transfer")).all()
        assert len(audits) == 1
        some = rows[0].id
    assert _purwa_count(as_coordinator, posyandu) == purwa_before + 1
    profile = as_coordinator.get(f"/cadres/{cadre_id}").get_data(as_text=True)
    assert "Bd. Wa Ode" in profile
    page = as_coordinator.get(f"/assessments/{some}").get_data(as_text=True)
    assert "Bd. Wa Ode" in page and "/correct" not in page
    again = as_coordinator.get(f"/assessments/{some}/correct")
    assert again.status_code == 302


def test_importing_the_same_results_again_changes_nothing(app, as_coordinator):
    _cadre_id, nik, _name, _posyandu = _fresh_cadre(app)
    row = [nik, "", PAPER_DAY.isoformat(), "A, B", "Puskesmas Mawasangka Tengah"]
    as_coordinator.post(f"/imports/jobs/{_import(as_coordinator, [row])}/apply")
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count(Assessment.id)))
    ident = _import(as_coordinator, [row])
    job = _job(app, ident)
    assert job.status == ImportStatus.CHECKED and job.preview["totals"] == [0, 0, 1]
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == count


def test_a_later_scored_assessment_takes_over_from_the_paper_record(app, as_coordinator):
    from assessments import Framework  # noqa: F401  (the engine decides the level)
    from ilp_training.core.curricula import framework_on
    from ilp_training.models import Setting
    from ilp_training.scoring.services import SkillEntry, open_session, record_assessments

    cadre_id, nik, name, _posyandu = _fresh_cadre(app)
    ident = _import(as_coordinator, [[nik, name, PAPER_DAY.isoformat(), PURWA, "Puskesmas"]])
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    assert _cadre(app, cadre_id)[0] == "purwa"
    with app.app_context():
        cadre = db.session.get(Cadre, cadre_id)
        trainer = user_named("pelatih")
        framework = framework_on(DEMO_DAY)
        sitting = open_session(trainer, cadre.posyandu, DEMO_DAY, Setting.POSYANDU_DAY,
                               Method.OBSERVATION, [cadre], framework, DEMO_DAY)
        skill = framework.skill("C1")
        zeros = {i.code: 0 for i in skill.indicators}
        record_assessments(trainer, sitting, [SkillEntry(cadre_id, "C1", zeros)], "k-c1",
                           framework)
        db.session.commit()
    level, badges, skills = _cadre(app, cadre_id)
    assert level is None and badges == 16 and "C1" not in skills


@pytest.mark.parametrize(("cells", "column", "fragment"), [
    (["", "", "2024-06-17", "A", "X"], 0, "required"),
    (["7414020000000001", "", "2024-06-17", "A", "X"], 0, "No cadre with this NIK"),
    (["{nik}", "Someone Else", "2024-06-17", "A", "X"], 1, "does not match"),
    (["{nik}", "", "2023-12-31", "A", "X"], 2, "applies from"),
    (["{nik}", "", "2099-01-01", "A", "X"], 2, "future"),
    (["{nik}", "", "17 June", "A", "X"], 2, "Not a date"),
    (["{nik}", "", "2024-06-17", "A, Z9", "X"], 3, "Unknown skill"),
    (["{nik}", "", "2024-06-17", "", "X"], 3, "at least one skill"),
    (["{nik}", "", "2024-06-17", "A", ""], 4, "assessor"),
])
def test_each_bad_result_row_is_refused_with_its_column(app, as_coordinator, cells, column,
                                                        fragment):
    _cadre_id, nik, _name, _posyandu = _fresh_cadre(app)
    row = [c.replace("{nik}", nik) for c in cells]
    job = _job(app, _import(as_coordinator, [row]))
    assert job.status == ImportStatus.REFUSED
    [(number, found_column, msgid, _args)] = job.errors
    assert (number, found_column) == (2, column) and fragment in msgid


def test_a_result_row_repeated_in_the_file_is_refused(app, as_coordinator):
    _cadre_id, nik, _name, _posyandu = _fresh_cadre(app)
    row = [nik, "", "2024-06-17", "A", "X"]
    job = _job(app, _import(as_coordinator, [row, row]))
    assert [(e[0], e[1]) for e in job.errors] == [(3, 2)]


def test_a_cadre_of_another_puskesmas_is_unknown_to_a_coordinator(app, client):
    from conftest import login

    _cadre_id, nik, _name, _posyandu = _fresh_cadre(app)
    login(client, "koordinator.lakudo")
    job = _job(app, _import(client, [[nik, "", "2024-06-17", "A", "X"]]))
    assert job.status == ImportStatus.REFUSED and "No cadre" in job.errors[0][2]


def test_the_results_export_imports_back_unchanged(app, as_coordinator):
    _cadre_id, nik, name, _posyandu = _fresh_cadre(app)
    ident = _import(as_coordinator, [[nik, name, "2024-06-17", PURWA, "Bd. X"]])
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    exported = as_coordinator.get("/imports/results/export.xlsx")
    assert exported.status_code == 200
    rows = rows_of(exported.data)
    assert any(r[0] == nik and r[4] == "Bd. X" for r in rows)
    ident = job_id(upload(as_coordinator, "results", exported.data))
    job = _job(app, ident)
    assert job.status == ImportStatus.CHECKED, job.errors[:5]
    assert job.preview["totals"][:2] == [0, 0] and job.preview["totals"][2] == len(rows)
