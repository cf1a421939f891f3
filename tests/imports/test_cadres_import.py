"""Importing the cadres sheet: rules, refusals, preview, all or nothing, updates by NIK,
moves, repeat imports, scope."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import AuditEntry, Cadre, ImportJob, ImportStatus
from tests.imports.helpers import job_id, upload, workbook

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
