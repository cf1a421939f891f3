"""Training events: the coordinator's whole flow, scope and roles, capacity, the
completion and planning rules, bad input, the history pages, the exports, and the
number of queries of the list pages.

Each test builds its district with the factories (fixture ``scene``, on the empty
database): the posyandu, cadres, people and a past and a planned training."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from conftest import count_queries, pdf_text
from flask import Flask
from flask.testing import FlaskClient

from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import (
    AuditEntry,
    Cadre,
    CadreStatus,
    Outcome,
    OutcomeReason,
    Role,
    TrainingAttendance,
    TrainingEvent,
    TrainingParticipant,
    TrainingStatus,
    TrainingType,
    User,
)
from ilp_training.training.permissions import manageable_clause, may_manage_event
from ilp_training.training.services.participation import completion
from ilp_training.training.services.planning import next_package
from tests import factories as make
from tests.helpers import (
    D_SKILLS,
    create_training,
    participants_of,
    sign_in,
    training_form,
)

# Depends on the clock: CI runs it again at a month's last evening and a year ahead.
pytestmark = pytest.mark.dates



def _today(app: Flask) -> date:
    with app.app_context():
        return local_today()


REFRESHER = "Penyegaran Paket D: Usia Sekolah dan Remaja"
PLANNED = "Pelatihan Paket E: Usia Dewasa dan Lansia"


@dataclass(frozen=True)
class Scene:
    """A district with two puskesmas. Puskesmas ``ours`` serves a village with posyandu
    ``home`` (4 Purwa, 1 Madya, 2 cadres not assessed) and ``sister`` (2 Purwa, 1 not
    assessed); puskesmas ``theirs`` has posyandu ``far`` (3 cadres). ``ours`` held the
    refresher on package D (REFRESHER, two days 60 days ago) for three of home's Purwa
    and a sister Purwa, the third of home missing the second day, and plans PLANNED (package E, in
    three weeks). Ids, and the login names of the people."""

    ours: tuple[int, str]
    theirs: tuple[int, str]
    home: int
    sister: int
    far: int
    refresher: int
    planned: int
    coordinator: str
    trainer: tuple[int, str]
    head: str
    admin: str
    other_coordinator: str


def _build_scene() -> Scene:
    regency = make.district()
    ours = make.puskesmas(subdistrict_=make.subdistrict(parent=regency))
    theirs = make.puskesmas(subdistrict_=make.subdistrict(parent=regency))
    trainer = make.trainer(ours)
    coordinator = make.coordinator(ours)
    today = local_today()
    on = today - timedelta(days=90)
    home, sister = make.posyandu(puskesmas_=ours), make.posyandu(puskesmas_=ours)
    far = make.posyandu(puskesmas_=theirs)
    purwa = [make.cadre_at_level("purwa", posyandu_=p, assessor=trainer, on=on)
             for p in (home, home, home, home, sister, sister)]
    make.cadre_at_level("madya", posyandu_=home, assessor=trainer, on=on)
    for place, count in ((home, 2), (sister, 1), (far, 3)):
        make.cadres(count, posyandu_=place)
    trained = [*purwa[:3], purwa[4]]
    refresher = make.finished_training(
        trained, absent={trained[2].id}, actor=coordinator, title=REFRESHER,
        start=today - timedelta(days=60), facilitator_ids=(trainer.id,),
        scores=dict(zip([c.id for c in trained], [(45, 80), (60, 85), (52, 75), (40, 78)],
                        strict=True)))
    planned = make.training(coordinator_=coordinator, packages="E", title=PLANNED,
                            start=today + timedelta(days=21), days=3, type=TrainingType.BASIC,
                            facilitator_ids=(trainer.id,))
    return Scene(
        ours=(ours.id, ours.name), theirs=(theirs.id, theirs.name), home=home.id,
        sister=sister.id, far=far.id, refresher=refresher.id, planned=planned.id,
        coordinator=coordinator.username, trainer=(trainer.id, trainer.username),
        head=make.village_head(home.village).username, admin=make.admin(regency).username,
        other_coordinator=make.coordinator(theirs).username)


@pytest.fixture
def app(empty_app):
    """These tests build their records on the empty database."""
    return empty_app


@pytest.fixture
def scene(app) -> Scene:
    with app.app_context():
        result = _build_scene()
        db.session.commit()
    return result


@pytest.fixture
def as_coordinator(client, scene):
    return sign_in(client, scene.coordinator)


@pytest.fixture
def as_admin(client, scene):
    return sign_in(client, scene.admin)


def _active(app: Flask, posyandu_id: int) -> list[int]:
    """The ids of the active cadres of a posyandu, by id."""
    with app.app_context():
        return list(db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == posyandu_id, Cadre.status == CadreStatus.ACTIVE)
            .order_by(Cadre.id)))


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _english(client: FlaskClient) -> None:
    client.post("/language", data={"lang": "en"})


# --- the done-when flow -------------------------------------------------------------------


def _group_section(page: str, package: str) -> str:
    start = page.index(f'<span class="mono">{package}</span>')
    end = page.find('<section class="group">', start)
    return page[start:end if end > 0 else None]


def _planning_group(page: str, package: str) -> list[int]:
    """The cadre ids offered in one package group of the planning page."""
    return [int(v) for v in re.findall(r'name="cadres" value="(\d+)"',
                                       _group_section(page, package))]


def _planning_events(page: str, package: str) -> list[int]:
    """The planned events offered to one package group, in the order shown."""
    return [int(v) for v in re.findall(r'<option value="(\d+)"', _group_section(page, package))]


def test_coordinator_plans_fills_runs_and_finishes_a_training(as_coordinator, app, scene):
    client, today = as_coordinator, _today(app)
    event_id = create_training(client, app)
    planning = client.get("/trainings/planning")
    assert planning.status_code == 200 and "Penyegaran Paket D (uji)" in planning.text
    offered = _planning_group(planning.text, "D")
    package_e = scene.planned
    # each group is offered the events covering its package first, whatever their dates
    assert _planning_events(planning.text, "D")[0] == event_id
    assert _planning_events(planning.text, "E") == [package_e, event_id]
    ours = set(_active(app, scene.home) + _active(app, scene.sister))
    chosen = [c for c in offered if c in ours]
    assert len(chosen) >= 3
    assert set(chosen) & set(_active(app, scene.home))  # a training for two posyandu
    assert set(chosen) & set(_active(app, scene.sister))
    response = client.post("/trainings/planning/fill", data={
        "event": event_id, "cadres": chosen, "puskesmas": ""})
    assert response.status_code == 302 and response.location.endswith(f"/trainings/{event_id}")
    enrolled = participants_of(app, event_id)
    assert set(enrolled) == set(chosen)

    days = [today - timedelta(days=2), today - timedelta(days=1)]
    absent = enrolled[chosen[0]]
    for day, present in ((days[0], list(enrolled.values())),
                         (days[1], [p for p in enrolled.values() if p != absent])):
        response = client.post(f"/trainings/{event_id}/attendance",
                               data={"day": day.isoformat(), "present": present})
        assert response.status_code == 302, response.text[:1000]
    below = enrolled[chosen[1]]
    scores = {}
    for pid in enrolled.values():
        scores[f"pre-{pid}"] = "50"
        scores[f"post-{pid}"] = "60" if pid == below else "85"
    assert client.post(f"/trainings/{event_id}/tests", data=scores).status_code == 302

    confirm = client.get(f"/trainings/{event_id}/finish")
    assert confirm.status_code == 200 and 'name="submit"' in confirm.text
    assert client.post(f"/trainings/{event_id}/finish").status_code == 302
    with app.app_context():
        event = db.session.get(TrainingEvent, event_id)
        assert event.status == TrainingStatus.FINISHED and event.finished_at is not None
        outcome = {p.id: (p.outcome, p.outcome_reason) for p in event.participants}
    assert outcome[absent] == (Outcome.NOT_COMPLETED, OutcomeReason.MISSED_DAYS)
    assert outcome[below] == (Outcome.NOT_COMPLETED, OutcomeReason.BELOW_PASS_MARK)
    completed = chosen[2:]
    assert all(outcome[enrolled[c]] == (Outcome.COMPLETED, None) for c in completed)

    page = client.get(f"/trainings/{event_id}").text
    anggrek = scene.home
    melati = scene.sister
    due = page[page.index('id="due"'):page.index("<h2>", page.index('id="due"'))]
    assert f'/cadres/{completed[0]}"' in due and f'/cadres/{chosen[0]}"' not in due
    links = re.findall(r'href="(/posyandu/\d+/assessments/new\?[^"]+)"', due)
    assert links and all(int(re.search(r"/posyandu/(\d+)/", u).group(1)) in (anggrek, melati)
                         for u in links)
    assessment = client.get(links[0].replace("&amp;", "&")).text  # the cadres come ticked
    ticked = {int(v) for v in re.findall(r'<input checked[^>]*value="(\d+)"', assessment)}
    assert ticked and ticked <= set(completed)

    for cadre_id in (chosen[0], completed[0]):
        profile = client.get(f"/cadres/{cadre_id}").text
        history = profile[profile.index('id="trainings"'):]
        assert "Penyegaran Paket D (uji)" in history
        assert ("1 / 2" if cadre_id == chosen[0] else "2 / 2") in history
        assert ">85<" in history
    for posyandu in {anggrek, melati}:
        assert "Penyegaran Paket D (uji)" in client.get(f"/posyandu/{posyandu}/trainings").text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_page_of_an_event_renders_with_participants(as_coordinator, app, lang, scene):
    as_coordinator.post("/language", data={"lang": lang})
    event_id = create_training(as_coordinator, app)
    cadres = _active(app, scene.home)[:3]
    as_coordinator.post(f"/trainings/{event_id}/participants", data={"cadres": cadres})
    day = (_today(app) - timedelta(days=2)).isoformat()
    for url in ("", "/edit", "/participants", "/participants?untrained=D&level=purwa",
                f"/attendance?day={day}", "/tests", "/finish", "/cancel"):
        page = as_coordinator.get(f"/trainings/{event_id}{url}")
        assert page.status_code == 200, (url, page.text[:500])
    attendance = as_coordinator.get(f"/trainings/{event_id}/attendance?day={day}").text
    assert all(f'name="present" value="{p}"' in attendance
               for p in participants_of(app, event_id).values())


# --- scope and roles --------------------------------------------------------------------


def test_cadre_outside_the_area_cannot_be_added(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    lakudo = _active(app, scene.far)[0]
    anggrek = _active(app, scene.home)[0]
    _english(as_coordinator)
    response = as_coordinator.post(f"/trainings/{event_id}/participants",
                                   data={"cadres": [anggrek, lakudo]})
    assert response.status_code == 422
    assert "does not serve in this training&#39;s area; nothing was added" in response.text
    assert participants_of(app, event_id) == {}
    page = as_coordinator.get(f"/trainings/{event_id}/participants").text
    assert f'value="{anggrek}"' in page and f'value="{lakudo}"' not in page


EVENT_URLS = ["/trainings/{id}", "/trainings/{id}/edit", "/trainings/{id}/participants",
              "/trainings/{id}/attendance", "/trainings/{id}/tests", "/trainings/{id}/finish",
              "/trainings/{id}/cancel", "/trainings/{id}/attendance.pdf",
              "/trainings/{id}/results.xlsx", "/trainings/{id}/participants/1/remove"]


@pytest.mark.parametrize("url", EVENT_URLS)
def test_another_puskesmas_gets_404(client, app, url, scene):
    sign_in(client, scene.coordinator)
    event_id = create_training(client, app)
    client.post("/logout")
    sign_in(client, scene.other_coordinator)
    assert client.get(url.format(id=event_id)).status_code == 404
    if not url.endswith(("}", ".pdf", ".xlsx")):
        assert client.post(url.format(id=event_id), data=training_form(app)).status_code == 404
    with app.app_context():
        assert db.session.get(TrainingEvent, event_id).title == "Penyegaran Paket D (uji)"


def test_another_puskesmas_cannot_open_the_posyandu_trainings_page(client, app, scene):
    sign_in(client, scene.other_coordinator)
    assert client.get(f"/posyandu/{scene.home}/trainings").status_code == 404
    assert client.get(f"/posyandu/{scene.far}/trainings"
                      ).status_code == 200


def test_editing_changes_the_facts_and_audits_them(as_coordinator, app):
    event_id = create_training(as_coordinator, app)
    edit_page = as_coordinator.get(f"/trainings/{event_id}/edit").text
    assert 'value="D1" checked' in edit_page and "Bidan Salma" in edit_page
    response = as_coordinator.post(f"/trainings/{event_id}/edit", data=training_form(
        app, title="Penyegaran Paket D dan E", skills=[*D_SKILLS, "E1"],
        outside_facilitators="Bidan Salma\nLa Ode Umar"))
    assert response.status_code == 302
    with app.app_context():
        event = db.session.get(TrainingEvent, event_id)
        assert event.title == "Penyegaran Paket D dan E"
        assert event.skill_codes == [*D_SKILLS, "E1"]
        assert sorted(f.label for f in event.facilitators) == ["Bidan Salma", "La Ode Umar"]
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "training_event", AuditEntry.entity_id == event_id,
            AuditEntry.action == "update")).one()
        assert entry.changes["title"] == ["Penyegaran Paket D (uji)", "Penyegaran Paket D dan E"]
        assert entry.changes["skills"] == ["D1,D2,D3", "D1,D2,D3,E1"]


@pytest.mark.parametrize("role", ["trainer", "head"])
def test_trainers_and_village_heads_view_but_do_not_edit(client, app, scene, role):
    sign_in(client, scene.coordinator)
    event_id = create_training(client, app)
    client.post(f"/trainings/{event_id}/participants",
                data={"cadres": _active(app, scene.home)[:2]})
    client.post("/logout")
    username = getattr(scene, role)
    sign_in(client, username if isinstance(username, str) else username[1])
    assert client.get(f"/trainings/{event_id}").status_code == 200
    assert client.get(f"/trainings/{event_id}/attendance.pdf").status_code == 200
    assert f"/trainings/{event_id}\"" in client.get("/trainings/").text
    for url in ("edit", "participants", "attendance", "tests", "finish", "cancel"):
        assert client.get(f"/trainings/{event_id}/{url}").status_code == 403
    assert client.post("/trainings/new", data=training_form(app)).status_code == 403


def test_district_event_is_for_admins_and_open_to_the_districts_cadres(as_admin, app, scene):
    event_id = create_training(as_admin, app, organiser="district", puskesmas="0")
    lakudo = _active(app, scene.far)[:2]
    anggrek = _active(app, scene.home)[:2]
    assert as_admin.post(f"/trainings/{event_id}/participants",
                         data={"cadres": lakudo + anggrek}).status_code == 302
    assert len(participants_of(app, event_id)) == 4
    as_admin.post("/logout")
    sign_in(as_admin, scene.coordinator)
    _english(as_admin)
    page = as_admin.get(f"/trainings/{event_id}")
    assert page.status_code == 200  # visible, not editable, others' cadres hidden
    assert as_admin.get(f"/trainings/{event_id}/edit").status_code == 403
    assert f'/cadres/{anggrek[0]}"' in page.text and f'/cadres/{lakudo[0]}"' not in page.text
    assert "2 more participants from outside your area are not shown" in page.text


# --- capacity ---------------------------------------------------------------------------


def test_capacity_is_all_or_nothing(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app, capacity="3")
    cadres = _active(app, scene.home)
    _english(as_coordinator)
    response = as_coordinator.post(f"/trainings/{event_id}/participants",
                                   data={"cadres": cadres[:4]})
    assert response.status_code == 422
    assert "Only 3 places are left and you chose 4 new cadres; nothing was added." in response.text
    assert participants_of(app, event_id) == {}
    whole = as_coordinator.post(f"/trainings/{event_id}/participants/posyandu",
                                data={"posyandu": scene.home})
    assert whole.status_code == 422 and "nothing was added" in whole.text
    assert participants_of(app, event_id) == {}
    assert as_coordinator.post(f"/trainings/{event_id}/participants",
                               data={"cadres": cadres[:3]}).status_code == 302
    again = as_coordinator.post(f"/trainings/{event_id}/participants",
                                data={"cadres": cadres[:3]})  # already in: skipped
    assert again.status_code == 302 and len(participants_of(app, event_id)) == 3
    lower = as_coordinator.post(f"/trainings/{event_id}/edit",
                                data=training_form(app, capacity="2"))
    assert lower.status_code == 422 and "the capacity cannot be lower" in lower.text


def test_a_participant_can_be_taken_off_an_open_training(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    cadres = _active(app, scene.home)[:2]
    as_coordinator.post(f"/trainings/{event_id}/participants", data={"cadres": cadres})
    enrolled = participants_of(app, event_id)
    day = (_today(app) - timedelta(days=2)).isoformat()
    as_coordinator.post(f"/trainings/{event_id}/attendance",
                        data={"day": day, "present": list(enrolled.values())})
    before = _count(app, TrainingAttendance)
    response = as_coordinator.post(
        f"/trainings/{event_id}/participants/{enrolled[cadres[0]]}/remove")
    assert response.status_code == 302
    assert set(participants_of(app, event_id)) == {cadres[1]}
    assert _count(app, TrainingAttendance) == before - 1


def test_a_whole_posyandu_joins_at_once(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    melati = scene.sister
    response = as_coordinator.post(f"/trainings/{event_id}/participants/posyandu",
                                   data={"posyandu": melati})
    assert response.status_code == 302
    assert set(participants_of(app, event_id)) == set(_active(app, scene.sister))


# --- the rules --------------------------------------------------------------------------

MISSED, NO_POST, BELOW = (OutcomeReason.MISSED_DAYS, OutcomeReason.NO_POST_TEST,
                          OutcomeReason.BELOW_PASS_MARK)


@pytest.mark.parametrize(("days", "present", "post", "mark", "completed", "reasons"), [
    (2, 2, 70, 70, True, ()),  # the pass mark itself passes
    (2, 2, 100, 70, True, ()),
    (1, 1, 0, 0, True, ()),  # a pass mark of 0: any score taken passes
    (2, 2, 69, 70, False, (BELOW,)),
    (2, 1, 90, 70, False, (MISSED,)),
    (3, 0, 90, 70, False, (MISSED,)),
    (2, 2, None, 70, False, (NO_POST,)),
    (1, 1, None, 0, False, (NO_POST,)),  # no post-test never passes
    (2, 1, None, 70, False, (MISSED, NO_POST)),
    (2, 1, 40, 70, False, (MISSED, BELOW)),
])
def test_completion_rule(days, present, post, mark, completed, reasons):
    result = completion(days, present, post, mark)
    assert (result.completed, result.reasons) == (completed, reasons)


@pytest.mark.parametrize(("mastered", "expected"), [
    ("", "A"),  # below Purwa: the required packages first
    ("A", "B"),
    ("AB", "D"),  # one more for Purwa: the cheapest other package (D has 3 skills)
    ("ABD", "E"),  # Purwa → Madya: one more package, E (5 skills) before C (6)
    ("ABCD", "E"),
    ("ABCDE", None),  # Utama: nothing further
])
def test_planning_rule_picks_the_next_package(app, mastered, expected):
    with app.app_context():
        framework = framework_on(_today(app))
        codes = {s.code for p in mastered for s in framework.package(p).skills}
        assert next_package(framework, codes) == expected


# --- bad input --------------------------------------------------------------------------


def test_end_before_start_is_refused_and_nothing_saved(as_coordinator, app):
    _english(as_coordinator)
    before = _count(app, TrainingEvent)
    today = _today(app).isoformat()
    response = as_coordinator.post("/trainings/new", data=training_form(
        app, start_date=today, end_date=(_today(app) - timedelta(days=1)).isoformat()))
    assert response.status_code == 422
    assert "The last day cannot be before the first day." in response.text
    assert 'value="Penyegaran Paket D (uji)"' in response.text
    assert _count(app, TrainingEvent) == before
    no_skill = as_coordinator.post("/trainings/new", data=training_form(app, skills=[]))
    assert no_skill.status_code == 422 and "at least one skill" in no_skill.text
    assert _count(app, TrainingEvent) == before


def test_a_score_over_100_is_refused_and_nothing_saved(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    as_coordinator.post(f"/trainings/{event_id}/participants",
                        data={"cadres": _active(app, scene.home)[:2]})
    first, second = participants_of(app, event_id).values()
    _english(as_coordinator)
    response = as_coordinator.post(f"/trainings/{event_id}/tests", data={
        f"pre-{first}": "40", f"post-{first}": "101", f"pre-{second}": "55",
        f"post-{second}": "80"})
    assert response.status_code == 422
    assert "Enter a whole number from 0 to 100." in response.text
    assert 'value="101"' in response.text and 'value="55"' in response.text
    with app.app_context():
        assert db.session.scalars(sa.select(TrainingParticipant.pre_score).where(
            TrainingParticipant.event_id == event_id)).all() == [None, None]


def test_attendance_outside_the_event_is_refused_and_nothing_saved(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    as_coordinator.post(f"/trainings/{event_id}/participants",
                        data={"cadres": _active(app, scene.home)[:2]})
    present = list(participants_of(app, event_id).values())
    _english(as_coordinator)
    before = _count(app, TrainingAttendance)
    for day in (_today(app) - timedelta(days=5), _today(app)):  # before it, after it
        response = as_coordinator.post(f"/trainings/{event_id}/attendance",
                                       data={"day": day.isoformat(), "present": present})
        assert response.status_code == 422
        assert "This day is not a day of the training." in response.text
    assert _count(app, TrainingAttendance) == before
    future = as_coordinator.post("/trainings/new", data=training_form(
        app, start_date=_today(app).isoformat(),
        end_date=(_today(app) + timedelta(days=1)).isoformat()))
    future_id = int(re.search(r"/trainings/(\d+)/", future.location).group(1))
    as_coordinator.post(f"/trainings/{future_id}/participants",
                        data={"cadres": _active(app, scene.sister)[:1]})
    response = as_coordinator.post(f"/trainings/{future_id}/attendance", data={
        "day": (_today(app) + timedelta(days=1)).isoformat(),
        "present": list(participants_of(app, future_id).values())})
    assert response.status_code == 422 and "still to come" in response.text
    assert _count(app, TrainingAttendance) == before


def test_finished_and_cancelled_trainings_do_not_change(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    as_coordinator.post(f"/trainings/{event_id}/participants",
                        data={"cadres": _active(app, scene.home)[:1]})
    confirm = as_coordinator.get(f"/trainings/{event_id}/cancel")
    assert confirm.status_code == 200
    assert as_coordinator.post(f"/trainings/{event_id}/cancel").status_code == 302
    with app.app_context():
        assert db.session.get(TrainingEvent, event_id).status == TrainingStatus.CANCELLED
    _english(as_coordinator)
    response = as_coordinator.post(f"/trainings/{event_id}/participants",
                                   data={"cadres": _active(app, scene.home)[1:2]})
    assert response.status_code == 422 and "cannot change" in response.text
    assert len(participants_of(app, event_id)) == 1


def test_a_training_is_finished_from_its_last_day_on(as_coordinator, app, scene):
    today = _today(app)
    event_id = create_training(as_coordinator, app, start_date=today.isoformat(),
                       end_date=(today + timedelta(days=2)).isoformat())
    as_coordinator.post(f"/trainings/{event_id}/participants",
                        data={"cadres": _active(app, scene.home)[:1]})
    _english(as_coordinator)
    response = as_coordinator.post(f"/trainings/{event_id}/finish")
    assert response.status_code == 422 and "from its last day on" in response.text
    with app.app_context():
        assert db.session.get(TrainingEvent, event_id).status == TrainingStatus.PLANNED


# --- history pages ----------------------------------------------------------------------


def test_posyandu_page_counts_trained_assessed_and_mastered(as_coordinator, app, scene):
    anggrek = scene.home
    page = as_coordinator.get(f"/posyandu/{anggrek}/trainings")
    assert page.status_code == 200
    assert REFRESHER in page.text
    with app.app_context():
        from ilp_training.training.services.history import package_progress

        active, rows = package_progress(anggrek, framework_on(_today(app)), "en")
        by_code = {r.code: r for r in rows}
    assert active == 7
    assert by_code["A"].mastered == 5 and by_code["B"].mastered == 5  # the five with a level
    assert by_code["D"].trained == 2 and by_code["D"].mastered == 1  # completed; the Madya
    assert by_code["D"].mastered <= by_code["D"].assessed <= 7
    assert f'href="/posyandu/{anggrek}/trainings"' in as_coordinator.get(
        f"/posyandu/{anggrek}/").text


def test_district_page_shows_months_and_the_test_gain(as_admin, app, scene):
    with app.app_context():
        event = db.session.scalars(sa.select(TrainingEvent).where(
            TrainingEvent.title.startswith("Penyegaran Paket D"))).one()
        pairs = [(p.pre_score, p.post_score) for p in event.participants]
    gain = sum(b for _a, b in pairs) / len(pairs) - sum(a for a, _b in pairs) / len(pairs)
    _english(as_admin)
    page = as_admin.get("/trainings/district")
    assert page.status_code == 200 and "<svg" in page.text
    assert f"<strong>+{round(gain, 1):g}</strong>" in page.text
    as_admin.post("/logout")
    sign_in(as_admin, scene.other_coordinator)
    other = as_admin.get("/trainings/district").text
    assert "Penyegaran Paket D" not in other and "No training in these months yet." in other


def test_cadre_profile_lists_demo_training_with_days_and_scores(as_coordinator, app):
    with app.app_context():
        participant = db.session.scalars(
            sa.select(TrainingParticipant).join(TrainingEvent)
            .where(TrainingEvent.title.startswith("Penyegaran Paket D"))
            .order_by(TrainingParticipant.id)).first()
        cadre_id, pre, post = participant.cadre_id, participant.pre_score, participant.post_score
    profile = as_coordinator.get(f"/cadres/{cadre_id}").text
    history = profile[profile.index('id="trainings"'):]
    assert "Penyegaran Paket D" in history and f">{pre}<" in history and f">{post}<" in history


# --- exports ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["id", "en"])
def test_attendance_pdf_lists_participants_under_both_headings(as_coordinator, app, lang, scene):
    as_coordinator.post("/language", data={"lang": lang})
    event_id = create_training(as_coordinator, app)
    cadres = _active(app, scene.home)[:3] + _active(app, scene.sister)[:2]
    as_coordinator.post(f"/trainings/{event_id}/participants", data={"cadres": cadres})
    response = as_coordinator.get(f"/trainings/{event_id}/attendance.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(pdf_text(response.data).split())
    assert "Daftar Hadir" in text and "Attendance list" in text
    with app.app_context():
        names = [db.session.get(Cadre, c).full_name for c in cadres]
    assert all(" ".join(name.split()) in text for name in names)
    assert "Penyegaran Paket D (uji)" in text and "Bidan Salma" in text


def test_results_xlsx_opens_with_one_row_per_participant(as_coordinator, app):
    from openpyxl import load_workbook

    with app.app_context():
        event = db.session.scalars(sa.select(TrainingEvent).where(
            TrainingEvent.title.startswith("Penyegaran Paket D"))).one()
        event_id, count = event.id, len(event.participants)
        event.participants[0].cadre.full_name = "=1+1"  # a formula must stay text
        db.session.commit()
    _english(as_coordinator)
    response = as_coordinator.get(f"/trainings/{event_id}/results.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    typed = next(c for c in sheet["A"] if c.value == "=1+1")
    assert typed.data_type == "s"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Name", "Posyandu", "Days present (of 2)", "Pre-test", "Post-test",
                       "Gain", "Outcome", "Reason")
    assert len(rows) == 1 + count
    for _name, _posyandu, days, pre, post, gain, outcome, reason in rows[1:]:
        assert post - pre == gain and days in (1, 2)
        assert outcome in ("completed", "not completed")
        assert (reason is None) == (outcome == "completed")


# --- queries do not grow with participants ----------------------------------------------


def test_list_pages_do_not_grow_with_participants(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    anggrek = scene.home
    cadres = _active(app, scene.home)
    urls = ["/trainings/", f"/posyandu/{anggrek}/trainings", f"/trainings/{event_id}",
            "/trainings/planning", "/trainings/district", f"/trainings/{event_id}/attendance",
            f"/trainings/{event_id}/attendance.pdf"]

    def measure() -> list[int]:
        counts = []
        for url in urls:
            with count_queries(app) as statements:
                assert as_coordinator.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    as_coordinator.post(f"/trainings/{event_id}/participants", data={"cadres": cadres[:1]})
    few = measure()
    as_coordinator.post(f"/trainings/{event_id}/participants", data={"cadres": cadres[1:]})
    assert len(participants_of(app, event_id)) == len(cadres)
    assert measure() == few


# --- the search for participants ----------------------------------------------------------


def _offered(client: FlaskClient, event_id: int, query: str) -> set[int]:
    page = client.get(f"/trainings/{event_id}/participants?{query}")
    assert page.status_code == 200
    return {int(v) for v in re.findall(r'name="cadres" value="(\d+)"', page.text)}


def test_participant_search_filters_by_posyandu_level_name_and_training(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    anggrek, melati = scene.home, scene.sister
    with app.app_context():
        demo = db.session.get(TrainingEvent, scene.refresher)
        trained = {p.cadre_id for p in demo.participants if p.outcome == Outcome.COMPLETED}
        cadres = db.session.scalars(sa.select(Cadre).where(
            Cadre.posyandu_id == anggrek, Cadre.status == CadreStatus.ACTIVE)).all()
        purwa = {c.id for c in cadres if c.level_code == "purwa"}
        someone = cadres[0]
        first_name = someone.full_name.split()[0]
        same_name = {c.id for c in cadres if first_name.lower() in c.full_name.lower()}
    everyone = _offered(as_coordinator, event_id, "")
    assert set(_active(app, scene.home)) | set(_active(app, scene.sister)) <= everyone
    in_anggrek = _offered(as_coordinator, event_id, f"posyandu={anggrek}")
    assert in_anggrek == set(_active(app, scene.home))
    assert trained and trained & everyone
    assert not trained & _offered(as_coordinator, event_id, "untrained=D")
    assert _offered(as_coordinator, event_id, f"posyandu={anggrek}&level=purwa") == purwa
    assert _offered(as_coordinator, event_id,
                    f"posyandu={anggrek}&q={first_name}") == same_name
    as_coordinator.post(f"/trainings/{event_id}/participants", data={"cadres": [someone.id]})
    assert someone.id not in _offered(as_coordinator, event_id, "")  # already taking part
    assert _offered(as_coordinator, event_id, f"posyandu={melati}") <= set(
        _active(app, scene.sister))


# --- confirmation and the audit trail -----------------------------------------------------


def test_removing_a_participant_asks_first_and_says_what_is_lost(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    cadre = _active(app, scene.home)[0]
    as_coordinator.post(f"/trainings/{event_id}/participants", data={"cadres": [cadre]})
    pid = participants_of(app, event_id)[cadre]
    day = (_today(app) - timedelta(days=2)).isoformat()
    as_coordinator.post(f"/trainings/{event_id}/attendance", data={"day": day, "present": [pid]})
    as_coordinator.post(f"/trainings/{event_id}/tests", data={f"pre-{pid}": "40",
                                                             f"post-{pid}": ""})
    _english(as_coordinator)
    listing = as_coordinator.get(f"/trainings/{event_id}/participants").text
    assert f'href="/trainings/{event_id}/participants/{pid}/remove"' in listing
    confirm = as_coordinator.get(f"/trainings/{event_id}/participants/{pid}/remove")
    assert confirm.status_code == 200
    assert "Their attendance (1 day) and test scores (pre-test 40, post-test —)" in confirm.text
    assert participants_of(app, event_id) == {cadre: pid}  # asking removed nothing
    assert as_coordinator.post(
        f"/trainings/{event_id}/participants/{pid}/remove").status_code == 302
    assert participants_of(app, event_id) == {}
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity_id == event_id, AuditEntry.action == "remove_participant")).one()
        assert entry.changes == {"cadre_id": [cadre, None]}


def test_every_change_of_a_training_is_audited_with_who_and_what(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    cadres = _active(app, scene.home)[:2]
    as_coordinator.post(f"/trainings/{event_id}/participants", data={"cadres": cadres})
    enrolled = participants_of(app, event_id)
    day = (_today(app) - timedelta(days=2)).isoformat()
    as_coordinator.post(f"/trainings/{event_id}/attendance",
                        data={"day": day, "present": [enrolled[cadres[0]]]})
    as_coordinator.post(f"/trainings/{event_id}/tests", data={
        f"pre-{enrolled[cadres[0]]}": "40", f"post-{enrolled[cadres[0]]}": "75",
        f"pre-{enrolled[cadres[1]]}": "", f"post-{enrolled[cadres[1]]}": ""})
    as_coordinator.post(f"/trainings/{event_id}/finish")
    with app.app_context():
        entries = {e.action: e for e in db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "training_event", AuditEntry.entity_id == event_id))}
        coordinator = db.session.scalar(sa.select(TrainingEvent.created_by_id).where(
            TrainingEvent.id == event_id))
    assert set(entries) == {"create", "add_participants", "attendance", "scores", "finish"}
    assert all(e.user_id == coordinator for e in entries.values())
    assert entries["create"].changes["title"] == [None, "Penyegaran Paket D (uji)"]
    assert entries["add_participants"].changes == {"cadres": [None, sorted(cadres)]} or \
        sorted(entries["add_participants"].changes["cadres"][1]) == sorted(cadres)
    assert entries["attendance"].changes == {"day": [None, day],
                                             "present_cadres": [[], [cadres[0]]]}
    assert entries["scores"].changes == {f"cadre {cadres[0]} pre/post": [[None, None], [40, 75]]}
    assert entries["finish"].changes["completed"] == [None, 0]


# --- more bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"start_date": "2026-02-30"}, "start_date", "Not a valid date value."),
    ({"capacity": "0"}, "capacity", "Number must be between 1 and 500."),
    ({"capacity": "banyak"}, "capacity", "Not a valid integer value."),
    ({"pass_mark": "120"}, "pass_mark", "Number must be between 0 and 100."),
    ({"title": "   "}, "title", "This field is required."),
    ({"organiser": "partner", "partner_name": ""}, "partner_name",
     "Name the partner who organises the training."),
    ({"skills": ["D1", "Z9"]}, "skills", "Choose skills of the curriculum."),
    ({"facilitators": ["999999"]}, "facilitators", "Choose facilitators among the listed users."),
    ({"end_date": "2027-12-31", "start_date": "2027-01-01"}, "end_date",
     "A training lasts at most 31 days."),
])
def test_bad_event_input_is_shown_on_its_field_and_nothing_saved(as_coordinator, app,
                                                                  overrides, field, message):
    _english(as_coordinator)
    before = _count(app, TrainingEvent)
    response = as_coordinator.post("/trainings/new", data=training_form(app, **overrides))
    assert response.status_code == 422
    blocks = response.text.split('class="field')[1:]  # each field's own box
    assert any(b.startswith(" has-error") and f'name="{field}"' in b and message in b
               for b in blocks), message
    assert 'value="Aula Puskesmas"' in response.text  # the user's other values stay
    assert _count(app, TrainingEvent) == before


def test_bad_scores_and_strangers_are_refused_with_a_message(as_coordinator, app, scene):
    event_id = create_training(as_coordinator, app)
    as_coordinator.post(f"/trainings/{event_id}/participants",
                        data={"cadres": _active(app, scene.home)[:1]})
    (pid,) = participants_of(app, event_id).values()
    _english(as_coordinator)
    for value in ("-5", "7.5", "abc"):
        response = as_coordinator.post(f"/trainings/{event_id}/tests",
                                       data={f"pre-{pid}": value, f"post-{pid}": "80"})
        assert response.status_code == 422
        assert "Enter a whole number from 0 to 100." in response.text
    day = (_today(app) - timedelta(days=1)).isoformat()
    stranger = as_coordinator.post(f"/trainings/{event_id}/attendance",
                                   data={"day": day, "present": [pid, pid + 100000]})
    assert stranger.status_code == 422
    assert "Someone who does not take part was marked present." in stranger.text
    with app.app_context():
        participant = db.session.get(TrainingParticipant, pid)
        assert (participant.pre_score, participant.post_score, participant.attendance) == (
            None, None, [])
        assert db.session.get(TrainingEvent, event_id).status == TrainingStatus.PLANNED


# --- pages ----------------------------------------------------------------------------------


def test_history_lists_page_through(as_coordinator, app, monkeypatch, scene):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)
    anggrek = scene.home
    for n in range(2):
        event_id = create_training(as_coordinator, app, title=f"Latihan {n}")
        as_coordinator.post(f"/trainings/{event_id}/participants",
                            data={"cadres": _active(app, scene.home)[:1]})
    _english(as_coordinator)
    as_coordinator.get("/trainings/")  # shows the flashed messages
    first = as_coordinator.get(f"/posyandu/{anggrek}/trainings").text
    assert "Page 1 of 3" in first and "Latihan 1" in first and "Latihan 0" not in first
    second = as_coordinator.get(f"/posyandu/{anggrek}/trainings?page=2").text
    assert "Latihan 0" in second and "Latihan 1" not in second
    listing = as_coordinator.get("/trainings/?page=2").text
    assert "Page 2 of" in listing
    district = as_coordinator.get("/trainings/district?page=2").text
    assert "Page 2 of" in district and district.count('class="title"') == 1


def test_a_trainer_who_facilitates_records_attendance_and_tests_only(client, app, scene):
    trainer = scene.trainer[0]
    sign_in(client, scene.coordinator)
    event_id = create_training(client, app, facilitators=[str(trainer)])
    client.post(f"/trainings/{event_id}/participants",
                data={"cadres": _active(app, scene.home)[:2]})
    first, second = participants_of(app, event_id).values()
    client.post("/logout")
    sign_in(client, scene.trainer[1])
    page = client.get(f"/trainings/{event_id}").text
    assert f'href="/trainings/{event_id}/attendance"' in page
    assert f'href="/trainings/{event_id}/participants"' not in page
    day = (_today(app) - timedelta(days=2)).isoformat()
    assert client.post(f"/trainings/{event_id}/attendance",
                       data={"day": day, "present": [first]}).status_code == 302
    assert client.post(f"/trainings/{event_id}/tests", data={
        f"pre-{first}": "50", f"post-{first}": "90", f"pre-{second}": "",
        f"post-{second}": ""}).status_code == 302
    for url in ("edit", "participants", "finish", "cancel"):
        assert client.get(f"/trainings/{event_id}/{url}").status_code == 403
    with app.app_context():
        participant = db.session.get(TrainingParticipant, first)
        assert (participant.post_score, len(participant.attendance)) == (90, 1)
        assert db.session.get(TrainingEvent, event_id).status == TrainingStatus.RUNNING


def test_an_assessment_is_offered_only_at_posyandu_in_the_users_scope(app, scene):
    from ilp_training.training.services.reports import DueRow, assessable_posyandu

    anggrek, elsewhere = scene.home, scene.far
    with app.app_context():
        trainer = db.session.get(User, scene.trainer[0])
        admin = db.session.scalars(sa.select(User).where(User.username == scene.admin)).one()
        due = [DueRow(1, "A", anggrek, "A", 0), DueRow(2, "B", elsewhere, "X", 0)]
        assert assessable_posyandu(trainer, due) == {anggrek}
        assert assessable_posyandu(admin, due) == {anggrek, elsewhere}
        assert assessable_posyandu(trainer, []) == set()


def test_filling_from_the_planning_page_refuses_what_it_cannot_do(as_coordinator, app, client,
                                                                  scene):
    event_id = create_training(as_coordinator, app, capacity="2")
    cadres = _active(app, scene.home)[:3]
    no_event = as_coordinator.post("/trainings/planning/fill", data={"cadres": cadres},
                                   follow_redirects=True)
    assert no_event.status_code == 200 and "Pilih pelatihan yang direncanakan" in no_event.text
    too_many = as_coordinator.post("/trainings/planning/fill", data={
        "event": event_id, "cadres": cadres}, follow_redirects=True)
    assert too_many.status_code == 200 and "/trainings/planning" in too_many.request.path
    assert participants_of(app, event_id) == {}  # all or nothing
    as_coordinator.post("/logout")
    sign_in(client, scene.other_coordinator)  # another puskesmas's event: not found
    assert client.post("/trainings/planning/fill", data={
        "event": event_id, "cadres": cadres[:1]}).status_code == 404
    assert participants_of(app, event_id) == {}


def test_the_manageable_clause_is_may_manage_event_in_sql(app, scene):
    with app.app_context():
        events = db.session.scalars(sa.select(TrainingEvent)).all()
        users = db.session.scalars(sa.select(User)).all()
        seen = set()
        for user in users:
            in_sql = set(db.session.scalars(
                sa.select(TrainingEvent.id).where(manageable_clause(user))))
            assert in_sql == {e.id for e in events if may_manage_event(user, e)}, user.username
            seen.add((user.role, bool(in_sql)))
    # the check means something: admins and coordinators manage some, trainers none
    assert {(Role.ADMIN, True), (Role.COORDINATOR, True), (Role.TRAINER, False)} <= seen


@pytest.mark.parametrize(("role", "shown"), [("admin", "theirs"), ("coordinator", "ours")])
def test_only_an_admin_picks_the_puskesmas_of_planning_and_the_district_view(
        app, client, scene, role, shown):
    lakudo, shown = scene.theirs[0], getattr(scene, shown)[1]
    sign_in(client, getattr(scene, role))
    planning = client.get(f"/trainings/planning?puskesmas={lakudo}")
    assert planning.status_code == 200 and f"Puskesmas {shown}</p>" in planning.text
    district = client.get(f"/trainings/district?puskesmas={lakudo}")
    assert district.status_code == 200
    assert f'<p class="lead">{shown} · ' in district.text
