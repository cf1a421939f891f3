"""Helpers that several test modules share (a test module never imports another one).

The form helpers below drive the site's own forms on the demo database (``app``
fixture): the journeys and sweeps that use the demo share them.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import sqlalchemy as sa
from conftest import DEMO_DAY, login, posyandu_named
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.incentives.rules import add_months
from ilp_training.models import Cadre, CadreSkill, CadreStatus, Region, RegionLevel
from ilp_training.models import TrainingParticipant as Participant
from tests.factories import PASSWORD


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> FlaskClient:
    """Sign ``client`` in through the real form as a factory-made user."""
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.data[:500]
    return client


def page_text(html: str) -> str:
    """A page's text: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- scoring forms (demo) ------------------------------------------------------------------

SITTING_DAY = (DEMO_DAY + timedelta(days=1)).isoformat()  # the day after the demo


def posyandu_cadres(app: Flask, name: str = "Anggrek") -> tuple[int, list[tuple]]:
    """(posyandu id, [(cadre id, level code, name)]) of a demo posyandu, by cadre id."""
    with app.app_context():
        posyandu = posyandu_named(name)
        cadres = db.session.scalars(
            sa.select(Cadre).where(Cadre.posyandu_id == posyandu.id).order_by(Cadre.id)).all()
        return posyandu.id, [(c.id, c.level_code, c.full_name) for c in cadres]


def purwa_without(app: Flask, package: str) -> tuple[int, int]:
    """(posyandu id, cadre id) of an Anggrek Purwa cadre who has no skill of ``package``."""
    posyandu_id, cadres = posyandu_cadres(app)
    with app.app_context():
        for cadre_id, level, _name in cadres:
            codes = set(db.session.scalars(
                sa.select(CadreSkill.skill_code).where(CadreSkill.cadre_id == cadre_id)))
            if level == "purwa" and not any(c.startswith(package) for c in codes):
                return posyandu_id, cadre_id
    raise AssertionError("no such cadre in the seed")


def indicators(app: Flask, skill: str) -> list[str]:
    """The indicator codes of ``skill`` in the framework in force today."""
    from ilp_training.core.curricula import framework_on

    with app.test_request_context():
        return [i.code for i in framework_on(local_today()).skill(skill).indicators]


def open_sitting(client: FlaskClient, posyandu_id: int, cadre_ids, day: str = SITTING_DAY
                 ) -> str:
    """Open an assessment sitting through the form; its URL."""
    response = client.post(f"/posyandu/{posyandu_id}/assessments/new", data={
        "assessed_on": day, "setting": "posyandu_day", "method": "observation",
        "cadres": cadre_ids})
    assert response.status_code == 302, response.text[:400]
    return response.location


def form_key(client: FlaskClient, url: str) -> str:
    """The hidden submission key of the scoring form at ``url``."""
    page = client.get(url)
    assert page.status_code == 200
    return re.search(r'name="submission_key" type="hidden" value="(\w+)"', page.text).group(1)


def grid_scores(cadre_id: int, codes, score: int = 2) -> dict[str, str]:
    return {f"score-{cadre_id}-{code}": str(score) for code in codes}


# --- training forms (demo) -----------------------------------------------------------------

D_SKILLS = ["D1", "D2", "D3"]


def active_cadres(app: Flask, posyandu: str, puskesmas: str | None = None) -> list[int]:
    """The ids of the active cadres of a demo posyandu."""
    with app.app_context():
        pid = posyandu_named(posyandu, puskesmas).id
        return list(db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == pid, Cadre.status == CadreStatus.ACTIVE).order_by(Cadre.id)))


def training_form(app: Flask, **overrides: object) -> dict[str, object]:
    """A valid new-event form: a 2-day refresher on package D that ended yesterday."""
    with app.app_context():
        start = local_today() - timedelta(days=2)
    data: dict[str, object] = {
        "type": "refresher", "title": "Penyegaran Paket D (uji)", "organiser": "puskesmas",
        "partner_name": "", "venue": "Aula Puskesmas", "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=1)).isoformat(), "capacity": "20",
        "pass_mark": "70", "skills": D_SKILLS, "outside_facilitators": "Bidan Salma",
    }
    data.update(overrides)
    return data


def create_training(client: FlaskClient, app: Flask, **overrides: object) -> int:
    """Plan a training through the form (:func:`training_form`); its id."""
    response = client.post("/trainings/new", data=training_form(app, **overrides))
    assert response.status_code == 302, response.text[:2000]
    return int(re.search(r"/trainings/(\d+)/participants", response.location).group(1))


def participants_of(app: Flask, event_id: int) -> dict[int, int]:
    """cadre id → participant id."""
    with app.app_context():
        return dict(db.session.execute(sa.select(Participant.cadre_id, Participant.id)
                                       .where(Participant.event_id == event_id)).all())


# --- incentives (demo) ---------------------------------------------------------------------

# The demo's months: the demo is loaded as of DEMO_DAY (conftest), which moves with the
# clock the suite runs on; DEMO_MONTH (the month before) has a draft summary.
DEMO_MONTH = add_months(DEMO_DAY, -1)
DEMO_PERIOD = f"{DEMO_MONTH:%Y-%m}"


def lalibo_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(Region.id).where(
            Region.level == RegionLevel.VILLAGE, Region.name == "Lalibo")).one()


def summary_url(app: Flask, period: str = DEMO_PERIOD) -> str:
    """The demo village's incentive summary of ``period``."""
    return f"/incentives/villages/{lalibo_id(app)}/{period}"


def coordinator_in_english(app: Flask) -> FlaskClient:
    """A new client signed in as the demo coordinator, the site in English."""
    client = app.test_client()
    login(client, "koordinator")
    client.post("/language", data={"lang": "en"})
    return client


def activity_book(opening: list[tuple], visits: list[tuple]) -> bytes:
    """An activity workbook: opening days, then home visits, each after its header row."""
    book = Workbook()
    first = book.active
    first.append(["Date", "Posyandu", "Cadre ID", "Cadre name"])
    for row in opening:
        first.append(list(row))
    second = book.create_sheet("Home visits")
    second.append(["Month", "Cadre ID", "Cadre name", "Home visits"])
    for row in visits:
        second.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload_activity(client: FlaskClient, data: bytes, name: str = "kegiatan.xlsx"):
    return client.post("/incentives/activity/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def anggrek_cadres(app: Flask) -> list[tuple[int, str]]:
    """(id, name) of the demo's Anggrek cadres, by id."""
    with app.app_context():
        return [tuple(r) for r in db.session.execute(sa.select(Cadre.id, Cadre.full_name).where(
            Cadre.posyandu_id == posyandu_named("Anggrek").id).order_by(Cadre.id))]

