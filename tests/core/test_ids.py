"""Ids that cannot exist (issue 13, item 1): beyond PostgreSQL's INTEGER (2^31 − 1),
beyond SQLite's 64 bits, zero, or not ASCII digits. In a URL they are a 404 before any
query; in a form's list of ids they are a form error, and nothing is stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import posyandu_named
from flask import Flask
from flask.testing import FlaskClient

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.ids import ID_MAX, coerce_id
from ilp_training.models import (
    AssessmentSession,
    AuditEntry,
    OpeningDay,
    TrainingAttendance,
    TrainingEvent,
    TrainingParticipant,
)

NO_SUCH_ID = ["2147483648", "9223372036854775807", "9223372036854775808",
              "99999999999999999999999", "0", "9" * 5000]


@pytest.mark.parametrize("value", [*NO_SUCH_ID, "٣", "00000000000000000000001x"])
@pytest.mark.parametrize("path", [
    "/cadres/{}", "/cadres/{}/edit", "/posyandu/{}/", "/trainings/{}",
    "/certificates/{}.pdf", "/assessments/{}", "/assessment-sessions/{}/cadres/1",
    "/incentives/villages/{}/2026-10", "/incentives/versions/{}.pdf",
    "/admin/users/{}"])
def test_an_id_that_cannot_exist_is_a_404(as_admin, path, value):
    assert as_admin.get(path.format(value)).status_code == 404


def test_the_largest_id_is_still_looked_up(as_admin):
    assert as_admin.get(f"/cadres/{ID_MAX}").status_code == 404  # reaches the query: none


def test_a_bounded_flag_in_a_url_keeps_its_own_range(as_admin, app):
    with app.app_context():
        from conftest import user_named

        user_id = user_named("pelatih").id
    assert as_admin.post(f"/admin/users/{user_id}/active/2").status_code == 404
    assert as_admin.post(f"/admin/users/{user_id}/active/0").status_code == 302
    assert as_admin.post(f"/admin/users/{user_id}/active/1").status_code == 302


@pytest.mark.parametrize(("value", "expected"), [
    ("1", 1), (" 42 ", 42), (str(ID_MAX), ID_MAX), (7, 7)])
def test_coerce_id_reads_ids(value, expected):
    assert coerce_id(value) == expected


@pytest.mark.parametrize("value", [*NO_SUCH_ID, "", "-1", "1.0", "²", "٣", "1e3", True,
                                   -5, 2**31, None])
def test_coerce_id_refuses_what_is_no_id(value):
    with pytest.raises(ValueError):
        coerce_id(value)


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _stored(app: Flask) -> tuple[int, ...]:
    return tuple(_count(app, m) for m in (OpeningDay, AssessmentSession, TrainingEvent,
                                          TrainingParticipant, TrainingAttendance, AuditEntry))


def _event(client: FlaskClient, app: Flask) -> int:
    """A new 2-day refresher of the coordinator's puskesmas that ended yesterday."""
    start = local_today(app) - timedelta(days=2)
    response = client.post("/trainings/new", data={
        "type": "refresher", "title": "Uji id", "organiser": "puskesmas", "partner_name": "",
        "venue": "Aula", "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=1)).isoformat(), "capacity": "20",
        "pass_mark": "70", "skills": ["D1"], "outside_facilitators": ""})
    assert response.status_code == 302, response.text[:2000]
    return int(re.search(r"/trainings/(\d+)", response.location).group(1))


@pytest.mark.parametrize("value", ["2147483648", "99999999999999999999999"])
def test_ids_that_cannot_exist_in_check_box_lists_are_a_form_error(as_coordinator, app, value):
    client = as_coordinator
    with app.app_context():
        anggrek = posyandu_named("Anggrek").id
        cadre = db.session.scalar(sa.text(
            "SELECT id FROM cadres WHERE posyandu_id = :p ORDER BY id"), {"p": anggrek})
    today = local_today(app)
    event_id = _event(client, app)
    before = _stored(app)
    posts = [
        (f"/incentives/posyandu/{anggrek}/opening-days/new",
         {"held_on": (today - timedelta(days=1)).isoformat(), "cadres": [cadre, value]}),
        (f"/posyandu/{anggrek}/assessments/new",
         {"assessed_on": today.isoformat(), "setting": "posyandu_day",
          "method": "observation", "cadres": [cadre, value]}),
        (f"/trainings/{event_id}/participants", {"cadres": [cadre, value]}),
        (f"/trainings/{event_id}/attendance",
         {"day": (today - timedelta(days=2)).isoformat(), "present": [value]}),
        ("/trainings/planning/fill", {"event": event_id, "cadres": [value], "puskesmas": ""}),
        ("/trainings/planning/fill", {"event": value, "cadres": [cadre], "puskesmas": ""}),
        (f"/trainings/{event_id}/participants/posyandu", {"posyandu": value}),
        (f"/trainings/{event_id}/edit",
         {"type": "refresher", "title": "Uji id", "organiser": "puskesmas", "venue": "Aula",
          "start_date": (today - timedelta(days=2)).isoformat(),
          "end_date": (today - timedelta(days=1)).isoformat(), "capacity": "20",
          "pass_mark": "70", "skills": ["D1"], "facilitators": [value]}),
    ]
    answers = [(url, client.post(url, data=data).status_code) for url, data in posts]
    assert all(code < 500 for _url, code in answers), answers
    assert _stored(app) == before, answers


@pytest.mark.parametrize("value", ["2147483648", "99999999999999999999999", "²", "-1"])
def test_ids_that_cannot_exist_in_hidden_fields_and_targets_are_a_404(as_admin, app, value):
    with app.app_context():
        cadre = db.session.scalar(sa.text("SELECT min(id) FROM cadres"))
    before = _stored(app)
    assert as_admin.post(f"/cadres/{cadre}/certificate",
                         data={"event": value, "language": "id"}).status_code == 404
    assert as_admin.get(f"/certificates/settings?target=puskesmas:{value}").status_code == 404
    assert _stored(app) == before
