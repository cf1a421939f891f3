"""The input policy (``ilp_training/input_policy.py``): text without control characters
or bidi controls, numbers in ASCII digits, dates within range, no NUL anywhere in a
request; exports that never fail on text stored before the policy."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from conftest import login, posyandu_named
from flask import Flask
from openpyxl import load_workbook

from ilp_training.core.extensions import db
from ilp_training.core.input_policy import ascii_int, refused_character
from ilp_training.core.spreadsheets import cell_text
from ilp_training.models import (
    Assessment,
    AuditEntry,
    Cadre,
    HomeVisitCount,
    OpeningDay,
    TrainingEvent,
)
from ilp_training.scoring.services import effective_assessments
from tests.helpers import (
    SITTING_DAY,
    active_cadres,
    activity_book,
    anggrek_cadres,
    coordinator_in_english,
    create_training,
    form_key,
    grid_scores,
    indicators,
    open_sitting,
    participants_of,
    purwa_without,
    summary_url,
    training_form,
    upload_activity,
)

pytestmark = pytest.mark.dates  # the scoring and training helpers count from the demo day


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _refused(response, *, status: int | None = None) -> bool:
    """A form shown again with an error (or a 4xx), not a redirect and not a 5xx."""
    return response.status_code not in {301, 302, 303} and response.status_code < 500 and (
        status is None or response.status_code == status)


# --- the rules as tables ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), (" 7 ", 7), ("-3", -3), ("0", 0), ("9" * 18, int("9" * 18)),
    ("9" * 19, None), ("²", None), ("٣", None), ("1e3", None), ("1_000", None), ("", None),
    ("+5", None), ("1.0", None), ("12a", None),
])
def test_ascii_int_reads_ascii_digits_only(text, expected):
    assert ascii_int(text) == expected


@pytest.mark.parametrize(("text", "multiline", "expected"), [
    ("Wa Ode Nurhayati", False, None), ("Ani 😀", False, None), ("Bidan Salma", False, None),
    ("Wa\x00Nul", False, "\x00"), ("a\x07\x1bb", False, "\x07"), ("a\tb", False, "\t"),
    ("a\nb", False, "\n"), ("a\x85b", False, "\x85"), ("a\x7fb", False, "\x7f"),
    ("ab\u202ecd", False, "\u202e"), ("x\u2066y", False, "\u2066"),
    ("a\r\nb\tc", True, None), ("a\x07b", True, "\x07"), ("ab\u202acd", True, "\u202a"),
])
def test_text_refuses_control_and_bidi_characters(text, multiline, expected):
    assert refused_character(text, multiline=multiline) == expected


def test_cells_lose_the_characters_a_workbook_cannot_hold():
    assert cell_text("Wa\x00Nul") == "Wa\ufffdNul"
    assert cell_text("a\x07\x1bb\tc\nd") == "a\ufffd\ufffdb\tc\nd"
    assert cell_text(5) == 5 and cell_text(None) is None


# --- exports never fail on stored text -------------------------------------------------

def _store_name(app: Flask, name: str) -> int:
    """Give an Anggrek (Lalibo) cadre ``name`` as if stored before the policy."""
    with app.app_context():
        cadre = db.session.scalars(sa.select(Cadre).where(
            Cadre.posyandu_id == posyandu_named("Anggrek").id).order_by(Cadre.id)).first()
        cadre.full_name = name
        db.session.commit()
        return cadre.id


def _names(data: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(data))
    return {c for ws in book.worksheets for row in ws.iter_rows(values_only=True)
            for c in row if isinstance(c, str)}


def test_exports_hold_names_stored_with_control_characters(app, database_url):
    # PostgreSQL cannot store NUL at all; SQLite could, before the policy.
    bad = "a\x07\x1bb" if database_url.startswith("postgresql") else "Wa\x00Nul\x07\x1bb"
    _store_name(app, bad)
    expected = cell_text(bad)
    admin, coordinator, head = app.test_client(), app.test_client(), app.test_client()
    login(admin, "admin")
    login(coordinator, "koordinator")
    login(head, "kades.lalibo")
    downloads = {
        "district roster": admin.get("/roster/export.xlsx"),
        "activity template": coordinator.get("/incentives/activity/template.xlsx"),
        "village summary": head.get(summary_url(app) + "/summary.xlsx"),
    }
    for what, response in downloads.items():
        assert response.status_code == 200, what
        assert any(expected in text for text in _names(response.data)), what


# --- text fields -------------------------------------------------------------------------

CADRE = {"full_name": "Wa Ode Sitti", "sex": "F", "birth_date": "", "nik": "", "phone": "",
         "start_date": "", "bpjs_tk_number": ""}


@pytest.mark.parametrize(("name", "shown"), [
    ("a\x07\x1bb", "U+0007"), ("Wa\tOde", "U+0009"), ("ab\u202ecd", "U+202E"),
    ("\x1c", "U+001C"),  # blank to str.strip(): the policy runs before Optional/DataRequired
])
def test_a_name_with_control_or_bidi_characters_is_refused(as_coordinator, app, name, shown):
    with app.app_context():
        posyandu_id = posyandu_named("Anggrek").id
    before = _count(app, Cadre)
    response = as_coordinator.post(f"/posyandu/{posyandu_id}/cadres/new",
                                   data={**CADRE, "full_name": name})
    assert _refused(response) and shown in response.text
    assert _count(app, Cadre) == before


def test_an_emoji_in_a_name_is_fine(as_coordinator, app):
    with app.app_context():
        posyandu_id = posyandu_named("Anggrek").id
    response = as_coordinator.post(f"/posyandu/{posyandu_id}/cadres/new",
                                   data={**CADRE, "full_name": "Wa Ode 🌺"})
    assert response.status_code == 302


def test_a_training_title_refuses_control_characters_a_text_area_takes_lines(
        as_coordinator, app):
    before = _count(app, TrainingEvent)
    response = as_coordinator.post("/trainings/new", data=training_form(app, title="Paket\x07D"))
    assert _refused(response, status=422) and "U+0007" in response.text
    tabbed = as_coordinator.post("/trainings/new", data=training_form(
        app, outside_facilitators="Bidan\x0bSalma"))
    assert _refused(tabbed, status=422) and "U+000B" in tabbed.text
    assert _count(app, TrainingEvent) == before
    create_training(as_coordinator, app, outside_facilitators="Bidan Salma\r\nLa Ode\tMuhammad")


# --- NUL ----------------------------------------------------------------------------------

def test_a_nul_anywhere_in_a_request_is_a_clear_400(client, app):
    audit = _count(app, AuditEntry)
    public = client.get("/v/a%00b")
    assert public.status_code == 400 and "NUL" in public.text
    as_json = client.get("/v/a%00b.json")
    assert as_json.status_code == 400 and as_json.json["error"]["code"] == 400
    sign_in = client.post("/login", data={"username": "admin\x00", "password": "x"})
    assert sign_in.status_code == 400
    login(client, "koordinator")
    assert client.get("/posyandu/?q=%00").status_code == 400
    assert client.get("/roster?posyandu%00=1").status_code == 400
    with app.app_context():
        posyandu_id = posyandu_named("Anggrek").id
    stored = client.post(f"/posyandu/{posyandu_id}/cadres/new",
                         data={**CADRE, "full_name": "Wa\x00Nul"})
    assert stored.status_code == 400
    assert _count(app, AuditEntry) == audit + 0  # the sign-in above added none either


# --- numbers: ASCII digits only --------------------------------------------------------------

def test_superscript_digits_in_the_scoring_grid_are_an_error(client, app):
    login(client, "pelatih")
    posyandu_id, cadre_id = purwa_without(app, "D")
    session_url = open_sitting(client, posyandu_id, [cadre_id])
    url = f"{session_url}/skills/D1"
    codes = indicators(app, "D1")
    before = _count(app, Assessment)
    in_value = {**grid_scores(cadre_id, codes), f"score-{cadre_id}-{codes[0]}": "²"}
    in_name = {f"score-²-{code}": "2" for code in codes}
    for data in (in_value, in_name):
        response = client.post(url, data={"submission_key": form_key(client, url), **data})
        assert _refused(response, status=422), response.status_code
    full_url = f"{session_url}/cadres/{cadre_id}"
    full = client.post(full_url, data={"submission_key": form_key(client, full_url),
                                       **{f"score-{c}": "2" for c in codes},
                                       f"score-{codes[1]}": "²"})
    assert _refused(full, status=422)
    assert _count(app, Assessment) == before


def test_superscript_digits_in_a_correction_are_an_error(client, app):
    login(client, "pelatih")
    posyandu_id, cadre_id = purwa_without(app, "D")
    session_url = open_sitting(client, posyandu_id, [cadre_id], day=SITTING_DAY)
    url = f"{session_url}/skills/D1"
    client.post(url, data={"submission_key": form_key(client, url),
                           **grid_scores(cadre_id, indicators(app, "D1"))})
    with app.app_context():
        original = effective_assessments(cadre_id)["D1"].id
    correct = f"/assessments/{original}/correct"
    scores = {f"score-{code}": "²" for code in indicators(app, "D1")}
    response = client.post(correct, data={"submission_key": form_key(client, correct),
                                          "reason": "Salah input", **scores})
    assert _refused(response, status=422)


def test_superscript_ids_for_certificates_are_not_found(as_admin, app):
    cadre_id = anggrek_cadres(app)[0][0]
    issue = as_admin.post(f"/cadres/{cadre_id}/certificate", data={"event": "²",
                                                                   "language": "id"})
    assert issue.status_code == 404
    # a target that cannot name a puskesmas is not found (ids.id_or_404), never a 500
    assert as_admin.get("/certificates/settings?target=puskesmas:²").status_code == 404
    assert as_admin.get("/certificates/settings?target=puskesmas:" + "9" * 30).status_code == 404


def test_non_ascii_digits_in_training_scores_are_an_error(as_coordinator, app):
    event_id = create_training(as_coordinator, app)
    as_coordinator.post(f"/trainings/{event_id}/participants",
                        data={"cadres": active_cadres(app, "Anggrek")[:1]})
    (pid,) = participants_of(app, event_id).values()
    response = as_coordinator.post(f"/trainings/{event_id}/tests",
                                   data={f"pre-{pid}": "٣", f"post-{pid}": "٣٠"})
    assert _refused(response, status=422)


def test_superscript_digits_in_import_cells_are_row_errors(app):
    client = coordinator_in_english(app)
    (a_id, a_name), *_rest = anggrek_cadres(app)
    days, visits = _count(app, OpeningDay), _count(app, HomeVisitCount)
    response = upload_activity(client, activity_book(
        [("2026-10-15", "Anggrek", "²", a_name)],
        [("2026-10", "1²", None, 2), ("2026-10", a_id, a_name, "²")]))
    assert _refused(response)
    assert (_count(app, OpeningDay), _count(app, HomeVisitCount)) == (days, visits)


def test_a_nik_with_superscript_digits_is_refused(as_coordinator, app):
    with app.app_context():
        posyandu_id = posyandu_named("Anggrek").id
    response = as_coordinator.post(f"/posyandu/{posyandu_id}/cadres/new",
                                   data={**CADRE, "nik": "741403²²0²900001"})
    assert _refused(response)


def test_integer_fields_take_ascii_digits_only(as_coordinator, app):
    before = _count(app, TrainingEvent)
    response = as_coordinator.post("/trainings/new", data=training_form(app, capacity="٢٠"))
    assert _refused(response, status=422)
    assert _count(app, TrainingEvent) == before


# --- dates within range --------------------------------------------------------------------

@pytest.mark.parametrize("day", ["0001-01-01", "1950-06-01", "9999-12-31"])
def test_training_and_assessment_dates_outside_the_range_are_form_errors(client, app, day):
    login(client, "koordinator")
    before = (_count(app, TrainingEvent), _count(app, Assessment))
    training = client.post("/trainings/new", data=training_form(app, start_date=day,
                                                              end_date=day))
    assert _refused(training, status=422)
    assert re.search(r'name="start_date"[^>]* min="2024-01-01"', training.text) or \
        re.search(r'min="2024-01-01"[^>]*name="start_date"', training.text)
    posyandu_id, cadre_id = purwa_without(app, "D")
    session = client.post(f"/posyandu/{posyandu_id}/assessments/new", data={
        "assessed_on": day, "setting": "posyandu_day", "method": "observation",
        "cadres": [cadre_id]})
    assert _refused(session)
    assert (_count(app, TrainingEvent), _count(app, Assessment)) == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_other_dates_outside_the_range_are_form_errors(as_coordinator, app, day):
    with app.app_context():
        posyandu_id = posyandu_named("Anggrek").id
    before = _count(app, Cadre)
    response = as_coordinator.post(f"/posyandu/{posyandu_id}/cadres/new",
                                   data={**CADRE, "birth_date": day})
    assert _refused(response)
    assert _count(app, Cadre) == before
    district = as_coordinator.get(f"/incentives/?kind=month&month={day[:7]}")
    assert district.status_code < 500


def test_a_scoring_note_with_control_characters_is_an_error(client, app):
    login(client, "pelatih")
    posyandu_id, cadre_id = purwa_without(app, "D")
    session_url = open_sitting(client, posyandu_id, [cadre_id])
    url = f"{session_url}/skills/D1"
    before = _count(app, Assessment)
    response = client.post(url, data={"submission_key": form_key(client, url),
                                      **grid_scores(cadre_id, indicators(app, "D1")),
                                      f"note-{cadre_id}": "Bagus\x1b[31m"})
    assert _refused(response, status=422) and "U+001B" in response.text
    assert _count(app, Assessment) == before
