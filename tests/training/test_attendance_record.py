"""The attendance PDF: the sheet to sign before the training, the record of who attended
once attendance is recorded (issue 15, item 8). Rendered by the real PDF path and read
back as text."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import login, pdf_text

from ilp_training.cadres import cadre_number
from ilp_training.core.extensions import db
from ilp_training.models import TrainingEvent, TrainingStatus
from ilp_training.training.services.reports import attendance_by_participant, participant_rows

pytestmark = pytest.mark.dates


def _event(app, status: TrainingStatus) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(TrainingEvent.id).where(
            TrainingEvent.status == status).order_by(TrainingEvent.id)).first()


def test_finished_training_pdf_shows_days_tests_and_outcome(client, app):
    event_id = _event(app, TrainingStatus.FINISHED)
    with app.app_context():
        event = db.session.get(TrainingEvent, event_id)
        rows = participant_rows(event)
        attended = attendance_by_participant(event)
        days = len(event.days)
    login(client, "koordinator")
    text = " ".join(pdf_text(client.get(f"/trainings/{event_id}/attendance.pdf").data).split())
    assert "Kehadiran tercatat" in text and "Attendance recorded" in text
    assert "Tanda tangan" not in text  # no blank boxes to sign any more
    for row in rows:
        shown = len(attended.get(row.id, ()))
        pattern = (rf"{re.escape(row.name)} {cadre_number(row.cadre_id)} .*?"
                   rf"{shown} / {days} {row.pre} {row.post} (tuntas|belum tuntas)")
        assert re.search(pattern, text), (row.name, text[:1500])
    assert text.count("✓ hadir") == sum(len(d) for d in attended.values())


def test_planned_training_pdf_is_the_sheet_to_sign(client, app):
    event_id = _event(app, TrainingStatus.PLANNED)
    login(client, "koordinator")
    text = " ".join(pdf_text(client.get(f"/trainings/{event_id}/attendance.pdf").data).split())
    assert "Tanda tangan" in text and "Signature" in text
    assert "Kehadiran tercatat" not in text and "✓" not in text


def test_recording_a_day_turns_the_sheet_into_the_record(client, app):
    event_id = _event(app, TrainingStatus.PLANNED)
    login(client, "koordinator")
    with app.app_context():
        event = db.session.get(TrainingEvent, event_id)
        first_day = event.days[0]
        from ilp_training.core.curricula import framework_on
        from ilp_training.training.services.reports import CandidateFilters, candidates

        found, _more = candidates(event, CandidateFilters(), framework_on(first_day), limit=2)
    added = client.post(f"/trainings/{event_id}/participants",
                        data={"cadres": [c.id for c in found]})
    assert added.status_code == 302, added.text[:500]
    with app.app_context():
        rows = participant_rows(db.session.get(TrainingEvent, event_id))
    before = " ".join(pdf_text(client.get(f"/trainings/{event_id}/attendance.pdf").data).split())
    assert "Tanda tangan" in before and "✓" not in before
    response = client.post(f"/trainings/{event_id}/attendance", data={
        "day": first_day.isoformat(), "present": [rows[0].id]})
    assert response.status_code == 302, response.text[:500]
    text = " ".join(pdf_text(client.get(f"/trainings/{event_id}/attendance.pdf").data).split())
    assert "Kehadiran tercatat" in text and text.count("✓ hadir") == 1
    assert f"{rows[0].name} {cadre_number(rows[0].cadre_id)}" in text
    absent = rf"{re.escape(rows[1].name)} {cadre_number(rows[1].cadre_id)} .*?– tidak hadir"
    assert re.search(absent, text)
