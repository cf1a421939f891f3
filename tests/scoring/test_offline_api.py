"""The JSON API of offline scoring (/api/v1): the bundle a phone keeps, the sync of a
sitting scored offline (idempotent, resumable, each refusal reason), the scope and role
checks, CSRF, and the OpenAPI document (valid, and every response it lists exercised)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from conftest import login, posyandu_named, user_named
from openapi_spec_validator import validate

from ilp_training.cadres import services as cadre_services
from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import Assessment, AssessmentSession, AuditEntry, Cadre, CadreStatus

pytestmark = pytest.mark.dates  # "today" and the framework in force follow the clock

BUNDLE = "/api/v1/posyandu/{}/offline-bundle"
SYNC = "/api/v1/offline-sittings"


def _anggrek(app) -> tuple[int, list[int]]:
    with app.app_context():
        posyandu = posyandu_named("Anggrek")
        ids = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == posyandu.id, Cadre.status == CadreStatus.ACTIVE)
            .order_by(Cadre.id)).all()
        return posyandu.id, list(ids)


def _today(app) -> date:
    with app.test_request_context():
        return local_today()


def _framework(app, day: date):
    with app.test_request_context():
        return framework_on(day)


def _payload(app, cadre_ids, skills=("D1",), score=2, day=None, sitting_id=None, **sitting):
    posyandu_id, _ids = _anggrek(app)
    day = day or _today(app)
    framework = _framework(app, min(day, _today(app)))
    entries = [{"id": str(uuid.uuid4()), "cadre_id": cadre_id, "skill_code": code,
                "scores": {i.code: score for i in framework.skill(code).indicators},
                "note": None}
               for cadre_id in cadre_ids for code in skills]
    body = {"sitting": {
        "id": sitting_id or str(uuid.uuid4()), "posyandu_id": posyandu_id,
        "assessed_on": day.isoformat(), "setting": "posyandu_day", "method": "observation",
        "framework_id": framework.id, "framework_version": framework.version,
        "cadre_ids": list(cadre_ids)}, "entries": entries}
    body["sitting"].update(sitting)
    return body


def _statuses(response) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.text[:500]
    return [(e["status"], e["reason"]) for e in response.get_json()["entries"]]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_bundle_holds_what_scoring_needs_and_no_personal_data(client, app):
    login(client, "pelatih")
    posyandu_id, ids = _anggrek(app)
    response = client.get(BUNDLE.format(posyandu_id))
    assert response.status_code == 200
    bundle = response.get_json()
    assert bundle["posyandu"]["name"] == "Anggrek"
    assert [c["id"] for c in bundle["cadres"]] != [] and {c["id"] for c in bundle["cadres"]} \
        == set(ids)
    assert set(bundle["cadres"][0]) == {"id", "name", "serving_since", "level", "mastered"}
    framework = bundle["framework"]
    skills = [s for p in framework["packages"] for s in p["skills"]]
    assert len(skills) == 25 and all(i["text"]["id"] and i["text"]["en"]
                                     for s in skills for i in s["indicators"])
    with app.app_context():
        personal = db.session.execute(sa.select(Cadre.nik, Cadre.phone, Cadre.birth_date)
                                      .where(Cadre.id.in_(ids))).all()
    for nik, phone, born in personal:
        for value in (nik, phone, born and born.isoformat()):
            assert not value or value not in response.text


def test_the_bundle_of_another_area_is_404_and_anonymous_is_401(client, app):
    posyandu_id, _ids = _anggrek(app)
    response = client.get(BUNDLE.format(posyandu_id))
    assert response.status_code == 401 and response.get_json()["error"]["code"] == 401
    login(client, "koordinator.lakudo")
    response = client.get(BUNDLE.format(posyandu_id))
    assert response.status_code == 404 and response.mimetype == "application/json"


def test_a_village_head_may_not_take_a_posyandu_offline(client, app):
    login(client, "kades.lalibo")
    posyandu_id, _ids = _anggrek(app)
    assert client.get(BUNDLE.format(posyandu_id)).status_code == 403
    assert client.post(SYNC, json=_payload(app, [1])).status_code == 403


@pytest.mark.parametrize("query", ["date=soon", "date=1999-01-01", "ahead"])
def test_a_bad_bundle_date_is_422_with_a_json_body(client, app, query):
    login(client, "pelatih")
    posyandu_id, _ids = _anggrek(app)
    if query == "ahead":
        query = f"date={(_today(app) + timedelta(days=40)).isoformat()}"
    response = client.get(BUNDLE.format(posyandu_id) + "?" + query)
    assert response.status_code == 422
    assert response.get_json()["error"]["message"]


def test_a_sync_stores_once_and_a_second_sync_stores_nothing(client, app):
    login(client, "pelatih")
    _posyandu_id, ids = _anggrek(app)
    body = _payload(app, ids, skills=("D1", "D2", "D3"))
    before = _count(app, Assessment)
    with app.app_context():
        last_audit = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    first = client.post(SYNC, json=body)
    assert _statuses(first) == [("stored", None)] * len(body["entries"])
    assert _count(app, Assessment) == before + len(body["entries"])
    again = client.post(SYNC, json=body)
    assert _statuses(again) == [("already_stored", None)] * len(body["entries"])
    assert _count(app, Assessment) == before + len(body["entries"])
    assert [e["assessment_id"] for e in again.get_json()["entries"]] == \
        [e["assessment_id"] for e in first.get_json()["entries"]]
    with app.app_context():
        sitting = db.session.scalars(sa.select(AssessmentSession).where(
            AssessmentSession.offline_id == body["sitting"]["id"])).one()
        assert sitting.assessor.username == "pelatih" and len(sitting.cadres) == len(ids)
        synced = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "assess", AuditEntry.id > last_audit)).all()
        assert len(synced) == len(body["entries"])
        assert all(e.changes.get("via") == [None, "sync"] for e in synced)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "sync", AuditEntry.entity_id == sitting.id)) == 1  # the 2nd: none
        # every cadre now holds D1-D3: Purwa without D became Madya (server's grade)
        assert all(c.badge_count >= 3 for c in db.session.scalars(
            sa.select(Cadre).where(Cadre.id.in_(ids))))


def test_a_sync_cut_off_and_resumed_stores_each_entry_once(client, app):
    login(client, "pelatih")
    _posyandu_id, ids = _anggrek(app)
    body = _payload(app, ids, skills=("E1", "E2"))
    half = dict(body, entries=body["entries"][:9])
    before = _count(app, Assessment)
    assert _statuses(client.post(SYNC, json=half)) == [("stored", None)] * 9
    resumed = _statuses(client.post(SYNC, json=body))
    assert resumed == [("already_stored", None)] * 9 + [("stored", None)] * (len(ids) * 2 - 9)
    assert _count(app, Assessment) == before + len(ids) * 2
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AssessmentSession)
                                 .where(AssessmentSession.offline_id
                                        == body["sitting"]["id"])) == 1


def _refused(client, app, body, reason, stored_before=None):
    before = _count(app, Assessment)
    response = client.post(SYNC, json=body)
    entries = response.get_json()["entries"]
    assert [(e["status"], e["reason"]) for e in entries if e["reason"]] and \
        all(e["message"] for e in entries if e["reason"]), entries
    assert {e["reason"] for e in entries if e["status"] == "refused"} == {reason}
    return entries, _count(app, Assessment) - before


def test_refused_when_the_posyandu_left_the_trainers_area(client, app):
    login(client, "koordinator.lakudo")
    _posyandu_id, ids = _anggrek(app)
    entries, stored = _refused(client, app, _payload(app, ids[:2]), "out_of_scope")
    assert stored == 0 and len(entries) == 2


def test_refused_for_a_future_date(client, app):
    login(client, "pelatih")
    _posyandu_id, ids = _anggrek(app)
    body = _payload(app, ids[:2], day=_today(app) + timedelta(days=1))
    _entries, stored = _refused(client, app, body, "future_date")
    assert stored == 0


def test_refused_when_the_curriculum_version_does_not_match_the_date(client, app):
    login(client, "pelatih")
    _posyandu_id, ids = _anggrek(app)
    body = _payload(app, ids[:2], framework_version="1999.9")
    _entries, stored = _refused(client, app, body, "version_mismatch")
    assert stored == 0


def test_refused_for_a_cadre_who_moved_or_was_deactivated_the_others_are_stored(client, app):
    login(client, "pelatih")
    _posyandu_id, ids = _anggrek(app)
    moved, gone, kept = ids[:3]
    with app.test_request_context(method="POST"):
        today, actor = local_today(), user_named("pelatih")
        cadre_services.move_cadre(actor, db.session.get(Cadre, moved),
                                  posyandu_named("Melati"), today, today)
        cadre_services.deactivate_cadre(actor, db.session.get(Cadre, gone), "pindah kota",
                                        today, today)
        db.session.commit()
    response = client.post(SYNC, json=_payload(app, [moved, gone, kept]))
    assert _statuses(response) == [("refused", "cadre_moved"), ("refused", "cadre_inactive"),
                                   ("stored", None)]


def test_refused_for_an_unknown_cadre_and_scores_off_the_rubric(client, app):
    login(client, "pelatih")
    _posyandu_id, ids = _anggrek(app)
    body = _payload(app, [ids[0], 2**31 - 1, ids[1]])
    body["entries"][2]["scores"] = {"D1.1": 2}  # not every indicator
    assert _statuses(client.post(SYNC, json=body)) == [
        ("stored", None), ("refused", "cadre_unknown"), ("refused", "invalid_scores")]


def test_refused_for_other_scores_of_a_stored_skill_and_for_another_sitting(client, app):
    login(client, "pelatih")
    _posyandu_id, ids = _anggrek(app)
    body = _payload(app, ids[:1])
    assert _statuses(client.post(SYNC, json=body)) == [("stored", None)]
    other = _payload(app, ids[:1], score=0, sitting_id=body["sitting"]["id"])
    assert _statuses(client.post(SYNC, json=other)) == [("refused", "other_scores")]
    moved = _payload(app, ids[:1], sitting_id=body["sitting"]["id"],
                     assessed_on=(_today(app) - timedelta(days=1)).isoformat())
    assert _statuses(client.post(SYNC, json=moved)) == [("refused", "sitting_mismatch")]


@pytest.mark.parametrize("change", [
    {"entries": []}, {"sitting": None}, {"entries": [{"id": "x"}]},
    {"note": "a\x07b"}, {"duplicate": True},
])
def test_a_body_that_does_not_fit_is_422_and_stores_nothing(client, app, change):
    login(client, "pelatih")
    _posyandu_id, ids = _anggrek(app)
    body = _payload(app, ids[:2])
    if "note" in change:
        body["entries"][0]["note"] = change["note"]
    elif "duplicate" in change:
        body["entries"][1]["id"] = body["entries"][0]["id"]
    else:
        body.update(change)
    before = _count(app, Assessment)
    response = client.post(SYNC, json=body)
    assert response.status_code == 422 and response.get_json()["error"]["fields"]
    assert _count(app, Assessment) == before


def test_the_sync_needs_the_csrf_token_of_the_session_endpoint(client, app):
    login(client, "pelatih")
    _posyandu_id, ids = _anggrek(app)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(SYNC, json=_payload(app, ids[:1]))
        assert refused.status_code == 400 and refused.get_json()["error"]["code"] == 400
        token = client.get("/api/v1/session").get_json()["csrf_token"]
        response = client.post(SYNC, json=_payload(app, ids[:1]),
                               headers={"X-CSRFToken": token})
        assert _statuses(response) == [("stored", None)]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_openapi_document_validates_and_every_response_is_exercised(client, app):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["info"]["title"] == "ILP Training API" and spec["info"]["version"] == "1"
    documented = {(method.upper(), path, int(code))
                  for path, item in spec["paths"].items()
                  for method, operation in item.items() if method != "parameters"
                  for code in operation["responses"]}
    posyandu_id, ids = _anggrek(app)
    bundle = BUNDLE.format(posyandu_id)
    bundle_doc = "/api/v1/posyandu/{posyandu_id}/offline-bundle"
    exercised = set()

    def check(method, doc_path, url, status, **kwargs):
        response = client.open(url, method=method, **kwargs)
        assert response.status_code == status, (method, url, response.text[:300])
        assert response.mimetype == "application/json"
        if status >= 400:
            assert response.get_json()["error"]["code"] == status
        exercised.add((method, doc_path, status))

    check("GET", "/api/v1/session", "/api/v1/session", 401)
    check("GET", bundle_doc, bundle, 401)
    check("POST", SYNC, SYNC, 401, json=_payload(app, ids[:1]))
    login(client, "kades.lalibo")
    check("GET", bundle_doc, bundle, 403)
    check("POST", SYNC, SYNC, 403, json=_payload(app, ids[:1]))
    client.post("/logout")
    login(client, "pelatih")
    check("GET", "/api/v1/session", "/api/v1/session", 200)
    check("GET", bundle_doc, bundle, 200)
    check("GET", bundle_doc, bundle + "?date=x", 422)
    check("GET", bundle_doc, BUNDLE.format(2**31 - 1), 404)
    check("POST", SYNC, SYNC, 200, json=_payload(app, ids[:1]))
    check("POST", SYNC, SYNC, 422, json={"entries": []})
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        check("POST", SYNC, SYNC, 400, json=_payload(app, ids[:1]))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert exercised == documented


def test_a_corrected_entry_sent_again_is_already_stored(client, app):
    """The sitting holds the original and its correction: either's scores are "already
    stored" (the one in force comes back), other scores are refused."""
    from ilp_training.scoring import services

    login(client, "pelatih")
    _posyandu_id, ids = _anggrek(app)
    body = _payload(app, ids[:1])
    stored = client.post(SYNC, json=body).get_json()["entries"][0]["assessment_id"]
    corrected_scores = {code: 0 for code in body["entries"][0]["scores"]}
    with app.test_request_context(method="POST"):
        original = db.session.get(Assessment, stored)
        correction = services.correct_assessment(
            user_named("pelatih"), original, corrected_scores, None, "salah isi",
            "k" * 32, _framework(app, _today(app))).assessments[0].id
        db.session.commit()
    again = client.post(SYNC, json=body).get_json()["entries"][0]
    assert (again["status"], again["assessment_id"], again["competent"]) == \
        ("already_stored", correction, False)
    sent = _payload(app, ids[:1], sitting_id=body["sitting"]["id"], score=0)
    assert _statuses(client.post(SYNC, json=sent)) == [("already_stored", None)]
    other = _payload(app, ids[:1], sitting_id=body["sitting"]["id"], score=1)
    assert _statuses(client.post(SYNC, json=other)) == [("refused", "other_scores")]
