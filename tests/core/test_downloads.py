"""Every download is Flask's ``send_file``: the file name in ``Content-Disposition``
(attachment, or inline for the attendance list shown in the browser), the type once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import DEMO_DAY, login, posyandu_named

from ilp_training.core.dates import add_months
from ilp_training.core.extensions import db
from ilp_training.core.spreadsheets import XLSX_MIMETYPE
from ilp_training.models import Cadre, Region, TrainingEvent, TrainingStatus

XLSX = XLSX_MIMETYPE


def _finished_training(app) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(TrainingEvent.id).where(
            TrainingEvent.status == TrainingStatus.FINISHED).order_by(TrainingEvent.id)).first()


def test_the_coordinators_downloads(as_coordinator, app):
    event_id = _finished_training(app)
    with app.app_context():
        cadre_id = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == posyandu_named("Anggrek").id,
            Cadre.level_code == "madya").order_by(Cadre.id)).first()
    issued = as_coordinator.post(f"/cadres/{cadre_id}/certificate", data={"language": "id"})
    cert_id = int(issued.location.rsplit("/", 1)[-1])
    expected = {
        f"/certificates/{cert_id}.pdf": ("application/pdf", "attachment", ".pdf"),
        f"/trainings/{event_id}/attendance.pdf":
            ("application/pdf", "inline", f"daftar-hadir-{event_id}.pdf"),
        f"/trainings/{event_id}/results.xlsx":
            (XLSX, "attachment", f"hasil-pelatihan-{event_id}.xlsx"),
        "/roster/export.xlsx": (XLSX, "attachment", ".xlsx"),
        "/roster/export.csv": ("text/csv; charset=utf-8", "attachment", ".csv"),
        "/incentives/activity/template.xlsx":
            (XLSX, "attachment", "kegiatan-kader-template.xlsx"),
    }
    for url, (content_type, disposition, name) in expected.items():
        response = as_coordinator.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == content_type, url
        kind, _sep, filename = response.headers["Content-Disposition"].partition("; ")
        assert kind == disposition and filename.startswith("filename=") and \
            filename.endswith(name), (url, filename)
        assert len(response.data) == int(response.headers["Content-Length"]) > 0
    certificate = as_coordinator.get(f"/certificates/{cert_id}.pdf")
    assert {"private", "max-age=0"} <= set(certificate.headers["Cache-Control"].split(", "))


@pytest.mark.dates
def test_the_village_heads_downloads(client, app):
    login(client, "kades.lalibo")
    with app.app_context():
        village = db.session.scalars(sa.select(Region.id).where(Region.name == "Lalibo")).first()
    month = add_months(DEMO_DAY, -1)
    url = f"/incentives/villages/{village}/{month:%Y-%m}/summary"
    for kind, content_type in (("pdf", "application/pdf"), ("xlsx", XLSX)):
        response = client.get(f"{url}.{kind}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == content_type
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment; filename=insentif-kader-lalibo-")
        assert disposition.endswith(f".{kind}")
