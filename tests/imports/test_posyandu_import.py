"""Importing the posyandu sheet: new and changed posyandu, places out of the user's area,
and the export round trip."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import login

from ilp_training.core.extensions import db
from ilp_training.models import AuditEntry, ImportJob, ImportStatus, Posyandu, Region
from tests.imports.helpers import job_id, upload, workbook


def _job(app, ident: int) -> ImportJob:
    with app.app_context():
        job = db.session.get(ImportJob, ident)
        db.session.expunge(job)
        return job


def _code(app, village: str) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Region.code).where(Region.name == village))


def _import(client, rows) -> int:
    return job_id(upload(client, "posyandu", workbook(rows)))


def test_a_coordinator_adds_and_changes_posyandu_of_the_catchment(app, as_coordinator):
    lalibo = _code(app, "Lalibo")
    ident = _import(as_coordinator, [
        [lalibo, "Posyandu Baru", "Dusun III", "03", "", "Pustu Lantongau"],
        ["Lalibo", "Anggrek", "Dusun II", "", "Mawasangka Tengah", ""],
        [lalibo, "Melati", "", "", "", ""]])  # as stored: unchanged
    job = _job(app, ident)
    assert job.status == ImportStatus.CHECKED, job.errors
    assert job.preview["places"] == [["Mawasangka Tengah", 1, 1, 1]]
    as_coordinator.post(f"/imports/jobs/{ident}/apply")
    with app.app_context():
        new = db.session.scalar(sa.select(Posyandu).where(Posyandu.name == "Posyandu Baru"))
        assert (new.village.name, new.dusun, new.rw, new.pustu.name, new.puskesmas.name) == (
            "Lalibo", "Dusun III", "03", "Pustu Lantongau", "Mawasangka Tengah")
        anggrek = db.session.scalar(sa.select(Posyandu).where(Posyandu.name == "Anggrek"))
        assert anggrek.dusun == "Dusun II"
        actions = db.session.execute(sa.select(AuditEntry.action, AuditEntry.entity_id).where(
            AuditEntry.entity == "posyandu")).all()
        assert sorted(actions) == sorted([("create", new.id), ("update", anggrek.id)])


@pytest.mark.parametrize(("row", "column", "fragment"), [
    (["Lakudo", "Baru", "", "", "", ""], 0, "No village"),
    (["", "Baru", "", "", "", ""], 0, "required"),
    (["Lalibo", "", "", "", "", ""], 1, "name is required"),
    (["Lalibo", "Baru", "", "", "Lakudo", ""], 4, "No puskesmas"),
    (["Lalibo", "Baru", "", "", "", "Pustu Entah"], 5, "No Pustu"),
    (["Lalibo", "Baru", "", "123456789012", "", ""], 3, "At most"),
])
def test_each_bad_posyandu_row_is_refused_with_its_column(app, as_coordinator, row, column,
                                                          fragment):
    job = _job(app, _import(as_coordinator, [row]))
    assert job.status == ImportStatus.REFUSED
    [(number, found_column, msgid, _args)] = job.errors
    assert (number, found_column) == (2, column) and fragment in msgid


def test_a_posyandu_repeated_in_the_file_is_refused(app, as_coordinator):
    job = _job(app, _import(as_coordinator, [["Lalibo", "Baru", "", "", "", ""],
                                             ["lalibo", "BARU", "", "", "", ""]]))
    assert [(e[0], e[1]) for e in job.errors] == [(3, 1)]


def test_an_admin_names_the_puskesmas_and_the_village_must_be_in_its_catchment(app, client):
    login(client, "admin")
    job = _job(app, _import(client, [["Lalibo", "Baru", "", "", "Lakudo", ""],
                                     ["Lalibo", "Baru Dua", "", "", "", ""]]))
    assert [(e[0], e[1]) for e in job.errors] == [(2, 0), (3, 4)]
    assert "catchment" in job.errors[0][2]


def test_a_posyandu_served_by_another_puskesmas_is_not_changed_by_a_coordinator(app, client):
    login(client, "koordinator.lakudo")
    job = _job(app, _import(client, [["Lalibo", "Anggrek", "X", "", "", ""]]))
    assert job.status == ImportStatus.REFUSED  # Lalibo is not in Lakudo's catchment


def test_the_posyandu_export_imports_back_unchanged(app, client):
    login(client, "admin")
    exported = client.get("/imports/posyandu/export.xlsx")
    assert exported.status_code == 200
    job = _job(app, job_id(upload(client, "posyandu", exported.data)))
    assert job.status == ImportStatus.CHECKED, job.errors[:5]
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count(Posyandu.id)))
    assert job.preview["totals"] == [0, 0, count]
