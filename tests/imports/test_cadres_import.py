"""Importing the cadres sheet: rules, refusals, preview, all or nothing, updates by NIK,
moves, repeat imports, scope."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from conftest import login, posyandu_named, user_named
from openpyxl import load_workbook

from ilp_training.core.extensions import db
from ilp_training.models import (
    AuditEntry,
    Cadre,
    CadreStatus,
    ImportJob,
    ImportStatus,
    Posyandu,
)
from tests.imports.helpers import job_id, rows_of, upload, workbook

pytestmark = pytest.mark.dates


def nik(day: date, female: bool = True, seq: int = 1, region: str = "741402") -> str:
    return f"{region}{day.day + (40 if female else 0):02d}{day:%m%y}{seq:04d}"


def cadre_row(name: str, born: date, *, posyandu: str = "Anggrek", village: str = "Lalibo",
              female: bool = True, seq: int = 1, **overrides):
    values = {"village": village, "posyandu": posyandu, "name": name,
              "nik": nik(born, female, seq), "sex": "P" if female else "L",
              "birth": born.isoformat(), "phone": "081234567890", "start": "2020-01-01",
              "bpjs": ""}
    values.update(overrides)
    return list(values.values())


def _job(app, ident: int) -> ImportJob:
    with app.app_context():
        job = db.session.get(ImportJob, ident)
        db.session.expunge(job)
        return job


def _scalar(app, stmt):
    with app.app_context():
        return db.session.scalar(stmt)


def _audits(app) -> int:
    return _scalar(app, sa.select(sa.func.count(AuditEntry.id)))


def test_a_good_file_is_previewed_then_applied_once_with_an_audit_entry_per_cadre(
        app, as_coordinator):
    rows = [cadre_row("Wa Ode Baru", date(1991, 3, 4)),
            cadre_row("La Ode Baru", date(1988, 7, 9), female=False, seq=2)]
    ident = job_id(upload(as_coordinator, "cadres", workbook(rows)))
    page = as_coordinator.get(f"/imports/jobs/{ident}").get_data(as_text=True)
    assert "Lalibo › Anggrek" in page
    assert _scalar(app, sa.select(Cadre.id).where(Cadre.full_name == "Wa Ode Baru")) is None
    audits = _audits(app)
    response = as_coordinator.post(f"/imports/jobs/{ident}/apply")
    assert response.status_code == 302
    with app.app_context():
        new = db.session.scalars(sa.select(Cadre).where(
            Cadre.nik.in_([rows[0][3], rows[1][3]]))).all()
        assert {c.nik for c in new} == {rows[0][3], rows[1][3]}
        assert all(c.posyandu.name == "Anggrek" and len(c.assignments) == 1 for c in new)
    assert _audits(app) == audits + 2
    assert _job(app, ident).status == ImportStatus.DONE
    as_coordinator.post(f"/imports/jobs/{ident}/apply")  # again: nothing more
    assert _audits(app) == audits + 2


def test_a_bad_row_refuses_the_whole_file_and_lists_every_problem(app, as_coordinator):
    born = date(1990, 5, 5)
    rows = [cadre_row("Good One", date(1992, 1, 2)),
            cadre_row("Wrong Sex", born, sex="L"),  # NIK says a woman
            cadre_row("Wrong Birth", born, birth="1990-05-06", seq=3),
            cadre_row("Bad Nik", born, nik="12345"),
            cadre_row("Unknown Place", born, posyandu="Nowhere", seq=4),
            cadre_row("Bad Phone", born, phone="12ab", seq=5),
            cadre_row("Future", born, start="2030-01-01", seq=6),
            cadre_row("Bad Date", born, birth="31/02/1990", seq=7),
            cadre_row("Twin", date(1992, 1, 2)),  # the first row's NIK again
            cadre_row("", born, seq=8)]
    ident = job_id(upload(as_coordinator, "cadres", workbook(rows)))
    job = _job(app, ident)
    assert job.status == ImportStatus.REFUSED
    by_row = {row: (column, msgid) for row, column, msgid, _args in job.errors}
    assert set(by_row) == set(range(3, 12))
    assert by_row[3][0] == 3 and "sex" in by_row[3][1]
    assert by_row[4][0] == 3 and "birth date" in by_row[4][1]
    assert by_row[5][0] == 3 and "16 digits" in by_row[5][1]
    assert by_row[6][0] == 1
    assert by_row[7][0] == 6 and "phone" in by_row[7][1]
    assert by_row[8][0] == 7 and "future" in by_row[8][1]
    assert by_row[9][0] == 5 and "date" in by_row[9][1]
    assert by_row[10][0] == 3 and "row %(row)d" in by_row[10][1]
    assert by_row[11][0] == 2
    page = as_coordinator.get(f"/imports/jobs/{ident}").get_data(as_text=True)
    assert "Jenis kelamin" in page or "NIK tidak cocok" in page or "NIK" in page
    assert _scalar(app, sa.select(Cadre.id).where(Cadre.full_name == "Good One")) is None
    assert as_coordinator.post(f"/imports/jobs/{ident}/apply").status_code == 302
    assert _scalar(app, sa.select(Cadre.id).where(Cadre.full_name == "Good One")) is None


def _anggrek_cadre(app, with_nik: bool = True) -> Cadre:
    with app.app_context():
        anggrek = posyandu_named("Anggrek")
        cadre = db.session.scalars(sa.select(Cadre).where(
            Cadre.posyandu_id == anggrek.id, Cadre.nik.is_not(None) if with_nik
            else Cadre.nik.is_(None)).order_by(Cadre.id)).first()
        db.session.expunge(cadre)
        return cadre


def _row_of(cadre: Cadre, **overrides) -> list:
    values = {"village": "Lalibo", "posyandu": "Anggrek", "name": cadre.full_name,
              "nik": cadre.nik, "sex": "P" if cadre.sex == "F" else "L",
              "birth": cadre.birth_date.isoformat() if cadre.birth_date else "",
              "phone": cadre.phone or "", "start": "", "bpjs": ""}
    values.update(overrides)
    return list(values.values())


def test_a_registered_cadre_is_found_by_nik_and_only_what_changed_is_updated(
        app, as_coordinator):
    cadre = _anggrek_cadre(app)
    other = _anggrek_cadre(app, with_nik=True)
    ident = job_id(upload(as_coordinator, "cadres", workbook([
        _row_of(cadre, phone="0899 1234 5678")])))
    job = _job(app, ident)
    assert job.preview["totals"] == [0, 1, 0], job.errors
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    with app.app_context():
        stored = db.session.get(Cadre, cadre.id)
        assert stored.phone == "089912345678" and stored.full_name == other.full_name
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "cadre", AuditEntry.entity_id == cadre.id)
            .order_by(AuditEntry.id.desc())).first()
        assert entry.action == "update" and set(entry.changes) == {"phone"}


def test_a_cadre_named_at_another_posyandu_is_moved_with_the_history_kept(app, as_coordinator):
    cadre = _anggrek_cadre(app)
    ident = job_id(upload(as_coordinator, "cadres", workbook([
        _row_of(cadre, posyandu="Melati")])))
    assert _job(app, ident).preview["places"] == [["Lalibo › Melati", 0, 1, 0]]
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    with app.app_context():
        stored = db.session.get(Cadre, cadre.id)
        assert stored.posyandu.name == "Melati"
        history = [(a.posyandu.name, a.end_date) for a in stored.assignments]
        assert history[-2][0] == "Anggrek" and history[-2][1] is not None
        assert history[-1] == ("Melati", None)
        assert db.session.scalar(sa.select(AuditEntry.action).where(
            AuditEntry.entity == "cadre", AuditEntry.entity_id == cadre.id)
            .order_by(AuditEntry.id.desc())) == "move"


def test_importing_a_file_twice_changes_nothing_the_second_time(app, as_coordinator):
    data = workbook([cadre_row("Wa Ode Dua Kali", date(1993, 2, 3)),
                     cadre_row("Tanpa NIK", date(1993, 2, 3), nik="", birth="")])
    as_coordinator.post(f"/imports/jobs/{job_id(upload(as_coordinator, 'cadres', data))}/apply")
    audits = _audits(app)
    ident = job_id(upload(as_coordinator, "cadres", data))
    job = _job(app, ident)
    assert job.preview["totals"] == [0, 0, 2]
    page = as_coordinator.get(f"/imports/jobs/{ident}").get_data(as_text=True)
    assert f"/imports/jobs/{ident}/apply" not in page
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    assert _audits(app) == audits
    assert _scalar(app, sa.select(sa.func.count(Cadre.id)).where(
        Cadre.full_name == "Tanpa NIK")) == 1


def test_the_cadres_export_imports_back_unchanged(app, as_coordinator):
    exported = as_coordinator.get("/imports/cadres/export.xlsx")
    assert exported.status_code == 200
    rows = rows_of(exported.data)
    with app.app_context():
        puskesmas = user_named("koordinator").puskesmas_id
        active = db.session.scalar(sa.select(sa.func.count(Cadre.id)).join(Cadre.posyandu).where(
            Posyandu.puskesmas_id == puskesmas, Cadre.status == CadreStatus.ACTIVE))
    assert len(rows) == active
    audits = _audits(app)
    ident = job_id(upload(as_coordinator, "cadres", exported.data))
    job = _job(app, ident)
    assert job.status == ImportStatus.CHECKED, job.errors[:5]
    assert job.preview["totals"] == [0, 0, active]
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    assert _audits(app) == audits


def test_a_coordinator_cannot_import_into_another_puskesmas(app, client):
    login(client, "koordinator.lakudo")
    cadre = _anggrek_cadre(app)
    job = _job(app, job_id(upload(client, "cadres", workbook([
        _row_of(cadre, village="", posyandu=_lakudo_posyandu(app)),
        cadre_row("Orang Baru", date(1990, 1, 1))]))))
    assert job.status == ImportStatus.REFUSED
    assert [(e[0], e[1], e[2]) for e in job.errors] == [
        (2, 3, "Another cadre is already registered with this NIK."),
        (3, 1, "No posyandu of this name in your area.")]


def _lakudo_posyandu(app) -> str:
    with app.app_context():
        puskesmas = user_named("koordinator.lakudo").puskesmas_id
        return db.session.scalar(sa.select(Posyandu.name).where(
            Posyandu.puskesmas_id == puskesmas).order_by(Posyandu.id))


@pytest.mark.parametrize("username", ["pelatih", "kades.lalibo"])
def test_trainers_and_village_heads_may_not_import(app, client, username):
    login(client, username)
    assert client.get("/imports").status_code == 403
    assert client.get("/imports/cadres/template.xlsx").status_code == 403
    assert client.get("/imports/cadres/export.xlsx").status_code == 403
    response = upload(client, "cadres", workbook([cadre_row("X", date(1990, 1, 1))]))
    assert response.status_code == 403


def test_an_inactive_cadre_is_not_updated(app, as_coordinator):
    cadre = _anggrek_cadre(app)
    as_coordinator.post(f"/cadres/{cadre.id}/deactivate",
                        data={"reason": "pindah", "on": "2026-11-01"})
    job = _job(app, job_id(upload(as_coordinator, "cadres", workbook([_row_of(cadre)]))))
    assert [(e[0], e[1]) for e in job.errors] == [(2, 2)] and "inactive" in job.errors[0][2]


def test_the_example_row_of_the_template_is_skipped(app, as_coordinator):
    template = as_coordinator.get("/imports/cadres/template.xlsx")
    assert template.status_code == 200
    [example] = rows_of(template.data)
    good = cadre_row("Setelah Contoh", date(1994, 4, 4))
    job = _job(app, job_id(upload(as_coordinator, "cadres", workbook([example, good]))))
    assert job.status == ImportStatus.CHECKED and job.preview["totals"] == [1, 0, 0]


def test_cells_that_cannot_be_trusted_are_refused_with_the_reason(app, as_coordinator):
    rows = [cadre_row("Nik Angka", date(1990, 1, 1), nik=7414024101900001),
            cadre_row("Hp Angka", date(1990, 1, 1), seq=2, phone=81234567890),
            cadre_row("=HYPERLINK(\"http://x\")", date(1990, 1, 1), seq=3),  # text
            cadre_row("Bidi\u202eEvil", date(1990, 1, 1), seq=4),
            cadre_row("=1+1", date(1990, 1, 1), seq=5)]  # a formula: never run
    book = load_workbook(io.BytesIO(workbook(rows)))
    book.active["C4"].data_type = "s"  # stored as text, as a careful user would
    out = io.BytesIO()
    book.save(out)
    job = _job(app, job_id(upload(as_coordinator, "cadres", out.getvalue())))
    found = {(e[0], e[1]): e[2] for e in job.errors}
    assert "as text" in found[(2, 3)] and "leading 0" in found[(3, 6)]
    assert (4, 2) not in found  # a formula-like name is only text
    assert "not allowed" in found[(5, 2)]
    assert "required" in found[(6, 2)]  # the formula has no stored value: an empty cell
    marked = as_coordinator.get(f"/imports/jobs/{job.id}/marked.xlsx")
    assert marked.status_code == 200
    ws = load_workbook(io.BytesIO(marked.data)).worksheets[0]
    assert ws["D2"].fill.fgColor.rgb.endswith("F4C7C3") and ws["D2"].comment is not None
    assert ws["C4"].data_type == "s" and ws["C4"].value.startswith("=HYPERLINK")
    assert ws["C4"].fill.fgColor.rgb != ws["D2"].fill.fgColor.rgb


def test_a_large_file_is_checked_and_applied_in_the_background(app, as_coordinator):
    rows = [cadre_row(f"Kader Latar {i:03d}", date(1980, 1, 1) + timedelta(days=i), seq=i + 1)
            for i in range(301)]
    ident = job_id(upload(as_coordinator, "cadres", workbook(rows)))
    job = _job(app, ident)
    assert job.background and job.status == ImportStatus.CHECKED  # the worker ran it
    status = as_coordinator.get(f"/imports/jobs/{ident}.json").get_json()
    assert status == {"status": "checked", "total": 301, "done": 301, "failed": 0,
                      "finished": True}
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    assert _job(app, ident).status == ImportStatus.DONE
    assert _scalar(app, sa.select(sa.func.count(Cadre.id)).where(
        Cadre.full_name.like("Kader Latar %"))) == 301


def test_records_changed_after_the_check_refuse_the_apply_and_nothing_is_applied(
        app, as_coordinator):
    born = date(1991, 8, 8)
    rows = [cadre_row("Pertama", date(1992, 2, 2), seq=7), cadre_row("Kedua", born)]
    ident = job_id(upload(as_coordinator, "cadres", workbook(rows)))
    with app.app_context():  # meanwhile someone registers the second NIK elsewhere
        lakudo = db.session.scalar(sa.select(Posyandu).where(
            Posyandu.puskesmas_id == user_named("koordinator.lakudo").puskesmas_id))
        from ilp_training.cadres.services import CadreData, register_cadre
        from ilp_training.models import Sex
        register_cadre(None, lakudo, CadreData("Kedua Lain", Sex.FEMALE, nik=rows[1][3],
                                               birth_date=born), date(2026, 12, 1))
        db.session.commit()
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    job = _job(app, ident)
    assert job.status == ImportStatus.REFUSED and job.errors[0][:2] == [3, 3]
    assert _scalar(app, sa.select(Cadre.id).where(Cadre.full_name == "Pertama")) is None


def test_problems_are_shown_in_the_readers_language(app, as_coordinator):
    ident = job_id(upload(as_coordinator, "cadres", workbook([
        cadre_row("Salah", date(1990, 5, 5), phone="12ab")])))
    page = as_coordinator.get(f"/imports/jobs/{ident}").get_data(as_text=True)
    assert "8 sampai 15 digit" in page
    as_coordinator.post("/language", data={"lang": "en", "next": "/"})
    page = as_coordinator.get(f"/imports/jobs/{ident}").get_data(as_text=True)
    assert "8 to 15 digits" in page


def test_a_job_left_by_a_dead_worker_is_taken_up_again_and_its_page_shows_progress(
        app, as_coordinator):
    from ilp_training.imports.jobs import recover_imports
    from ilp_training.models import utcnow

    rows = [cadre_row(f"Kader Sisa {i:03d}", date(1981, 1, 1) + timedelta(days=i), seq=i + 1)
            for i in range(301)]
    ident = job_id(upload(as_coordinator, "cadres", workbook(rows)))
    with app.app_context():  # as if the confirming worker had died mid-apply
        job = db.session.get(ImportJob, ident)
        job.status, job.leased_until = ImportStatus.APPLYING, utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = as_coordinator.get(f"/imports/jobs/{ident}").get_data(as_text=True)
    assert 'id="job-progress"' in page and "js/progress.js" in page
    assert as_coordinator.get(f"/imports/jobs/{ident}.json").get_json()["finished"] is False
    with app.test_request_context(method="POST"):  # the worker's transactions write
        assert recover_imports() == [ident]  # queued again (run at once in the tests)
    assert _job(app, ident).status == ImportStatus.DONE
    assert _scalar(app, sa.select(sa.func.count(Cadre.id)).where(
        Cadre.full_name.like("Kader Sisa %"))) == 301


def test_an_admin_imports_across_the_district_and_names_the_village_of_a_common_name(
        app, client):
    login(client, "admin")
    cadre = _anggrek_cadre(app)
    with app.app_context():
        flamboyan = db.session.scalars(sa.select(Posyandu).where(
            Posyandu.name == "Flamboyan").order_by(Posyandu.id)).first()
        village = flamboyan.village.code
    rows = [cadre_row("Dua Desa", date(1990, 3, 3), village="", posyandu="Flamboyan"),
            _row_of(cadre, village=village, posyandu="Flamboyan")]
    job = _job(app, job_id(upload(client, "cadres", workbook(rows))))
    assert [(e[0], e[1]) for e in job.errors] == [(2, 1)]
    assert "give the village" in job.errors[0][2]
    ident = job_id(upload(client, "cadres", workbook(rows[1:])))
    client.post(f"/imports/jobs/{ident}/apply")
    with app.app_context():  # moved to another puskesmas of the district
        assert db.session.get(Cadre, cadre.id).posyandu_id == flamboyan.id


@pytest.mark.dates
def test_an_ended_import_forgets_its_rows_after_the_keeping_time(app, as_coordinator):
    """The upload's rows hold NIK, phone and birth dates: the hourly housekeeping clears
    them IMPORT_KEEP_DAYS after the import ended; the problems stay readable, and the
    marked copy (made from the rows) says the file is gone instead of coming back empty."""
    from ilp_training.core.housekeeping import prune_expired
    from ilp_training.models import utcnow

    rows = [cadre_row("Wa Ode Hilang", date(1990, 1, 1), seq=7, posyandu="Nowhere")]
    ident = job_id(upload(as_coordinator, "cadres", workbook(rows)))
    assert _job(app, ident).status == ImportStatus.REFUSED
    with app.app_context():
        assert prune_expired(app.config)["import_jobs"] == 0  # ended just now: kept
        db.session.execute(sa.update(ImportJob).where(ImportJob.id == ident).values(
            created_at=utcnow() - timedelta(days=app.config["IMPORT_KEEP_DAYS"], minutes=1)))
        assert prune_expired(app.config)["import_jobs"] == 1
        assert prune_expired(app.config)["import_jobs"] == 0  # nothing left to clear
        db.session.commit()
    assert _scalar(app, sa.select(ImportJob.cells).where(ImportJob.id == ident)) == []
    assert _job(app, ident).errors  # the rows gone, the problems kept
    page = as_coordinator.get(f"/imports/jobs/{ident}/marked.xlsx", follow_redirects=True)
    assert page.status_code == 200 and "tidak lagi disimpan" in page.get_data(as_text=True)
