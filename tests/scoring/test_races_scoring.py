"""Scoring, corrections and cadre registration under requests released together
(``tests/live.py``): exactly one record, and every loser gets the ordinary answer
("already saved", "already corrected", "taken"), never a 500, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import sqlalchemy as sa

from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.models import Assessment, Cadre, CadreSkill, Posyandu
from tests.live import race


def _purwa_without_d(live) -> tuple[int, int, dict[str, list[str]]]:
    """(posyandu id, cadre id, indicator codes of D1–D3) for a Purwa cadre of Anggrek."""
    with live.context():
        posyandu = db.session.scalars(sa.select(Posyandu).where(
            Posyandu.name == "Anggrek").order_by(Posyandu.id)).first()
        framework = framework_on(_today())
        codes = {s: [i.code for i in framework.skill(s).indicators] for s in ("D1", "D2", "D3")}
        for cadre in db.session.scalars(sa.select(Cadre).where(
                Cadre.posyandu_id == posyandu.id).order_by(Cadre.id)):
            skills = set(db.session.scalars(sa.select(CadreSkill.skill_code).where(
                CadreSkill.cadre_id == cadre.id)))
            if cadre.level_code == "purwa" and not any(s.startswith("D") for s in skills):
                return posyandu.id, cadre.id, codes
    raise AssertionError("no such cadre in the seed")


def _today():
    from ilp_training.core.i18n import local_today

    return local_today()


def _open(browser, posyandu_id: int, cadre_id: int) -> str:
    response = browser.post(f"/posyandu/{posyandu_id}/assessments/new", data={
        "assessed_on": "2026-11-02", "setting": "posyandu_day", "method": "observation",
        "cadres": [cadre_id]})
    assert response.status_code == 302, response.text[:400]
    return response.headers["Location"].replace(browser.base_url, "")


def _key(browser, url: str) -> str:
    page = browser.get(url)
    assert page.status_code == 200, page.text[:300]
    return re.search(r'name="submission_key" type="hidden" value="(\w+)"', page.text).group(1)


def _assessments(live, cadre_id: int) -> int:
    with live.context():
        return db.session.scalar(sa.select(sa.func.count(Assessment.id)).where(
            Assessment.cadre_id == cadre_id))


def _no_500(responses) -> list[int]:
    codes = sorted(r.status_code for r in responses)
    assert 500 not in codes, [r.text[:300] for r in responses if r.status_code == 500]
    return codes


def test_the_same_grid_form_saved_six_times_at_once(live):
    posyandu_id, cadre_id, codes = _purwa_without_d(live)
    trainers = [live.client("pelatih") for _ in range(6)]
    url = f"{_open(trainers[0], posyandu_id, cadre_id)}/skills/D1"
    data = {"submission_key": _key(trainers[0], url),
            **{f"score-{cadre_id}-{code}": "2" for code in codes["D1"]}}
    before = _assessments(live, cadre_id)
    responses = race(6, lambda i: trainers[i].post(url, data=data))
    assert _no_500(responses) == [302] * 6
    assert _assessments(live, cadre_id) == before + 1


def test_the_same_full_form_saved_six_times_at_once_with_six_keys(live):
    """Six browsers, each with its own form (its own key), the same scores."""
    posyandu_id, cadre_id, codes = _purwa_without_d(live)
    trainers = [live.client("pelatih") for _ in range(6)]
    url = f"{_open(trainers[0], posyandu_id, cadre_id)}/cadres/{cadre_id}"
    scores = {f"score-{code}": "2" for skill in ("D1", "D2", "D3") for code in codes[skill]}
    keys = [_key(t, url) for t in trainers]
    before = _assessments(live, cadre_id)
    responses = race(6, lambda i: trainers[i].post(
        url, data={"submission_key": keys[i], **scores}))
    assert _no_500(responses) == [302] * 6
    assert _assessments(live, cadre_id) == before + 3
    with live.context():
        cadre = db.session.get(Cadre, cadre_id)
        assert cadre.level_code == "madya"


def test_one_assessment_corrected_four_times_at_once(live):
    posyandu_id, cadre_id, codes = _purwa_without_d(live)
    trainers = [live.client("pelatih") for _ in range(4)]
    url = f"{_open(trainers[0], posyandu_id, cadre_id)}/cadres/{cadre_id}"
    assert trainers[0].post(url, data={"submission_key": _key(trainers[0], url), **{
        f"score-{code}": "2" for code in codes["D1"]}}).status_code == 302
    with live.context():
        original = db.session.scalar(sa.select(Assessment.id).where(
            Assessment.cadre_id == cadre_id, Assessment.skill_code == "D1")
            .order_by(Assessment.id.desc()))
    correct = f"/assessments/{original}/correct"
    keys = [_key(t, correct) for t in trainers]
    responses = race(4, lambda i: trainers[i].post(correct, data={
        "submission_key": keys[i], "reason": f"Salah input {i}",
        **{f"score-{code}": "0" for code in codes["D1"]}}))
    assert _no_500(responses) == [302, 422, 422, 422]
    assert all("sudah dikoreksi" in r.text for r in responses if r.status_code == 422)
    with live.context():
        assert db.session.scalar(sa.select(sa.func.count(Assessment.id)).where(
            Assessment.supersedes_id == original)) == 1


def test_the_same_nik_registered_six_times_at_once(live):
    with live.context():
        posyandu_id = db.session.scalar(sa.select(Posyandu.id).where(
            Posyandu.name == "Anggrek").order_by(Posyandu.id))
    coordinators = [live.client("koordinator") for _ in range(6)]
    nik = "7414035203859001"
    responses = race(6, lambda i: coordinators[i].post(
        f"/posyandu/{posyandu_id}/cadres/new", data={
            "full_name": f"Wa Ode Testiana {i}", "sex": "F", "birth_date": "1985-03-12",
            "nik": nik, "phone": "081234567890", "start_date": "2020-01-06"}))
    codes = _no_500(responses)
    assert codes == [200] * 5 + [302], codes
    assert all("sudah terdaftar" in r.text for r in responses if r.status_code == 200)
    with live.context():
        assert db.session.scalar(sa.select(sa.func.count(Cadre.id)).where(
            Cadre.nik == nik)) == 1
