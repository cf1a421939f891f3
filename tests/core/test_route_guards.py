"""Guards for the next route (issue 13): walking ``app.url_map``, every endpoint but a
short public list sends an anonymous visitor to sign-in; every route with an id answers
404 to a user of another puskesmas (``koordinator.lakudo`` against the records of
Puskesmas Mawasangka Tengah) and to an id that cannot exist (2^31, 2^63).

URLs are built from real records: :data:`ARGUMENTS` maps each route argument to a query
of a Mawasangka Tengah record. A route with an argument not in that table fails
:func:`test_every_route_argument_has_a_record`, so the next route gets covered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from conftest import DEMO_DAY, login, posyandu_named, user_named
from flask import Flask, current_app
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule

from ilp_training.core.extensions import db
from ilp_training.core.ids import IdConverter
from ilp_training.models import (
    Assessment,
    AssessmentSession,
    BulkJob,
    Cadre,
    Certificate,
    ImportJob,
    ImportKind,
    ImportStatus,
    IncentiveScheme,
    IncentiveSummary,
    JobStatus,
    OpeningDay,
    Posyandu,
    Puskesmas,
    Region,
    RegionLevel,
    Role,
    SummaryVersion,
    TrainingEvent,
    TrainingParticipant,
    User,
)

# Open to anonymous visitors: signing in, the public verification of certificates
# (/v/...), static files and the level colours, the language switch, the API's OpenAPI
# document, the offline app's service worker and manifest (files, no data), the health
# check for the proxy (/healthz: no data), the signed credentials' public keys, issuer
# profiles and status lists (no personal data), the offline verifier and its service
# worker (/verify/: the same page for everyone).
PUBLIC = {"auth.login", "verify.check", "verify.show", "verify.show_json", "static",
          "level_styles", "main.switch_language", "api-v1-api-docs.openapi_json",
          "offline.service_worker", "offline.manifest", "healthz", "credentials.jwks",
          "credentials.issuer", "credentials.status_list", "verify.credential",
          "verify.credential_json", "verify_offline.page", "verify_offline.service_worker"}
# Endpoints a coordinator may not use at all (the role check answers 403 before any
# record is looked up): the scope check is made with an outsider of the role that may.
NOT_FOR_COORDINATORS = {
    "admin.user_detail": "admin", "admin.set_active": "admin", "certificates.revoke": "admin",
    "incentives.scheme_edit": "village_head",
    "incentives.approve": "village_head", "incentives.budget": "village_head",
    "incentives.exclude": "village_head", "incentives.include": "village_head",
    "incentives.reopen": "village_head",
}
HUGE = [2**31, 2**63]
METHODS = ("GET", "POST")


def _mawasangka_tengah() -> Puskesmas:
    return db.session.scalars(sa.select(Puskesmas).where(
        Puskesmas.name == "Mawasangka Tengah")).one()


def _anggrek() -> Posyandu:
    return posyandu_named("Anggrek", "Mawasangka Tengah")


def _first(stmt: sa.Select) -> object:
    found = db.session.scalars(stmt.limit(1)).first()
    assert found is not None, str(stmt)
    return found


def _event_id() -> int:
    """A training of Mawasangka Tengah with participants."""
    return _first(sa.select(TrainingEvent.id)
                  .join(TrainingParticipant, TrainingParticipant.event_id == TrainingEvent.id)
                  .where(TrainingEvent.puskesmas_id == _mawasangka_tengah().id)
                  .order_by(TrainingEvent.id))


def _cert_id() -> int:
    """A certificate of an Anggrek cadre (the demo has none: one is issued)."""
    found = db.session.scalar(sa.select(Certificate.id).join(Cadre).where(
        Cadre.posyandu_id == _anggrek().id).order_by(Certificate.id))
    if found:
        return found
    cadre = _first(sa.select(Cadre.id).where(Cadre.posyandu_id == _anggrek().id,
                                             Cadre.level_code == "madya").order_by(Cadre.id))
    client = current_app.test_client()
    login(client, "koordinator")
    response = client.post(f"/cadres/{cadre}/certificate", data={"language": "id"})
    assert response.status_code == 302, response.text[:300]
    return int(response.location.rsplit("/", 1)[-1])


def _job_id() -> int:
    """A bulk certificate job of Mawasangka Tengah (the demo has none: one is added)."""
    puskesmas = _mawasangka_tengah()
    job = BulkJob(scope_kind="puskesmas", scope_id=puskesmas.id, scope_label=puskesmas.name,
                  language="id", requested_by_id=user_named("koordinator").id,
                  status=JobStatus.DONE)
    db.session.add(job)
    db.session.commit()
    return job.id


def _import_id() -> int:
    """An import of koordinator's (the demo has none: one is added)."""
    job = ImportJob(kind=ImportKind.CADRES, requested_by_id=user_named("koordinator").id,
                    filename="kader.xlsx", cells=[], rows=0, status=ImportStatus.REFUSED,
                    errors=[])
    db.session.add(job)
    db.session.commit()
    return job.id


def _scheme_id() -> int:
    """A scheme of Anggrek's village (added if the demo has only the district's)."""
    village = _anggrek().village_id
    found = db.session.scalar(sa.select(IncentiveScheme.id).where(
        IncentiveScheme.region_id == village))
    if found:
        return found
    scheme = IncentiveScheme(region_id=village, legal_basis="Perdes uji",
                             valid_from=date(2030, 1, 1), base_amount=100_000)
    db.session.add(scheme)
    db.session.commit()
    return scheme.id


def _version_id() -> int:
    return _first(sa.select(SummaryVersion.id)
                  .join(IncentiveSummary, IncentiveSummary.id == SummaryVersion.summary_id)
                  .where(IncentiveSummary.village_id == _anggrek().village_id))


def _month_key() -> str:
    return f"{DEMO_DAY:%Y-%m}"


# Every argument of every route, filled from a record of Puskesmas Mawasangka Tengah
# (or a valid value for arguments that are not ids). A new argument goes here.
ARGUMENTS: dict[str, Callable[[], object]] = {
    "cadre_id": lambda: _first(sa.select(Cadre.id).where(Cadre.posyandu_id == _anggrek().id)
                               .order_by(Cadre.id)),
    "posyandu_id": lambda: _anggrek().id,
    "puskesmas_id": lambda: _anggrek().puskesmas_id,
    "village_id": lambda: _anggrek().village_id,
    "user_id": lambda: user_named("pelatih").id,
    "active": lambda: 1,
    "cert_id": _cert_id,
    "job_id": _job_id,
    "import_id": _import_id,
    "assessment_id": lambda: _first(sa.select(Assessment.id).join(AssessmentSession).where(
        AssessmentSession.posyandu_id == _anggrek().id).order_by(Assessment.id)),
    "session_id": lambda: _first(sa.select(AssessmentSession.id).where(
        AssessmentSession.posyandu_id == _anggrek().id).order_by(AssessmentSession.id)),
    "code": lambda: _first(sa.select(Assessment.skill_code).order_by(Assessment.id)),
    "event_id": _event_id,
    "participant_id": lambda: _first(sa.select(TrainingParticipant.id).where(
        TrainingParticipant.event_id == _event_id()).order_by(TrainingParticipant.id)),
    "day_id": lambda: _first(sa.select(OpeningDay.id).where(
        OpeningDay.posyandu_id == _anggrek().id).order_by(OpeningDay.id)),
    "scheme_id": _scheme_id,
    "version_id": _version_id,
    "period_key": _month_key,
    "month_key": _month_key,
    "kind": lambda: "pdf",
    "fmt": lambda: "xlsx",
    "province_code": lambda: "74",
    "regency_code": lambda: "74.14",
    "sheet": lambda: "cadres",
    "filename": lambda: "css/app.css",
    "district": lambda: "74.14",
}


def _rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def _methods(rule: Rule) -> list[str]:
    return [m for m in METHODS if m in (rule.methods or set())]


def _values(app: Flask) -> dict[str, object]:
    with app.app_context():
        return {name: make() for name, make in ARGUMENTS.items()}


def _url(app: Flask, rule: Rule, values: dict[str, object]) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def _id_arguments(rule: Rule) -> list[str]:
    """The arguments of ``rule`` that are record ids (``<int:…_id>``)."""
    return [name for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter) and name.endswith("_id")]


def test_every_route_argument_has_a_record(app):
    unknown = {(r.endpoint, name) for r in _rules(app) for name in r.arguments
               if name not in ARGUMENTS}
    assert not unknown, f"add these route arguments to ARGUMENTS: {sorted(unknown)}"


def test_every_id_in_a_url_is_bounded(app):
    """``<int:…>`` is the bounded converter everywhere (``ids.IdConverter``)."""
    for rule in _rules(app):
        for name, converter in rule._converters.items():
            if type(converter).__name__.endswith("IntegerConverter"):
                assert isinstance(converter, IdConverter), (rule.rule, name)
                assert converter.max is not None and converter.max < 2**31, (rule.rule, name)


def test_every_page_but_the_public_ones_sends_an_anonymous_visitor_to_sign_in(app, client):
    values, answers = _values(app), []
    for rule in _rules(app):
        if rule.endpoint in PUBLIC:
            continue
        url = _url(app, rule, values)
        for method in _methods(rule):
            response = client.open(url, method=method)
            to_login = (response.status_code == 302
                        and response.location.split("?")[0].endswith("/login"))
            json_refused = (response.status_code in (401, 403)
                            and response.mimetype == "application/json")
            if not (to_login or json_refused):
                answers.append((method, url, response.status_code, response.location))
    assert not answers, answers


def _outsider(app: Flask, role: str) -> FlaskClient:
    """A user bound to another place than Mawasangka Tengah and its villages."""
    client = app.test_client()
    if role == "coordinator":
        login(client, "koordinator.lakudo")
    elif role == "village_head":
        with app.app_context():
            village = db.session.scalar(sa.select(Region).where(
                Region.level == RegionLevel.VILLAGE, Region.name == "Lakudo"))
            user = User(username="kades.lakudo", display_name="Kepala Lakudo",
                        role=Role.VILLAGE_HEAD, village=village)
            user.set_password("a-long-test-passphrase", "pbkdf2:sha256:1000")
            db.session.add(user)
            db.session.commit()
        login(client, "kades.lakudo", "a-long-test-passphrase")
    else:
        pytest.skip("one district in the demo: no admin of another")
    return client


def _scoped_rules(app: Flask) -> list[Rule]:
    found = [rule for rule in _rules(app)
             if rule.endpoint not in PUBLIC and _id_arguments(rule)]
    assert len(found) > 40  # the walk finds the routes (49 when written)
    return found


def test_every_route_with_an_id_is_a_404_to_a_user_of_another_puskesmas(app):
    values = _values(app)
    outsiders: dict[str, FlaskClient] = {}
    answers = []
    for rule in _scoped_rules(app):
        role = NOT_FOR_COORDINATORS.get(rule.endpoint, "coordinator")
        if role == "admin":
            continue  # admins see the whole district; the only one in the demo
        if role not in outsiders:
            outsiders[role] = _outsider(app, role)
        url = _url(app, rule, values)
        for method in _methods(rule):
            code = outsiders[role].open(url, method=method).status_code
            if code != 404:
                answers.append((role, method, url, code))
    assert not answers, answers


@pytest.mark.parametrize("huge", HUGE)
def test_every_route_with_an_id_is_a_404_for_an_id_that_cannot_exist(app, as_admin, huge):
    values, answers = _values(app), []
    for rule in _scoped_rules(app):
        for name in _id_arguments(rule):
            url = _url(app, rule, values)
            own = str(values[name])
            path = url.replace(f"/{own}", f"/{huge}", 1) if f"/{own}" in url else None
            assert path and path != url, (rule.rule, name)
            for method in _methods(rule):
                code = as_admin.open(path, method=method).status_code
                if code != 404:
                    answers.append((method, path, code))
    assert not answers, answers


# Users above the district (issue 18) are read-only: every route that writes answers them
# 403 or 404 (or, for the few open to every signed-in user, changes only their own
# account: the language, the password, signing out), and no table changes.
OWN_ACCOUNT = {"main.switch_language", "auth.logout", "auth.change_password", "auth.login"}


def _table_sizes() -> dict[str, int]:
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.mark.parametrize("username", ["kemenkes", "dinkes.sultra"])
def test_users_above_the_district_change_nothing(app, username):
    values = _values(app)
    client = app.test_client()
    login(client, username)
    with app.app_context():
        before = _table_sizes()
    answers = []
    for rule in _rules(app):
        if "POST" not in (rule.methods or set()) or rule.endpoint in PUBLIC | OWN_ACCOUNT:
            continue
        code = client.post(_url(app, rule, values), data={"csrf_token": "x"}).status_code
        if code not in (403, 404):
            answers.append((rule.rule, code))
    assert not answers, answers
    with app.app_context():
        after = _table_sizes()
    changed = {name: (before[name], after[name]) for name in before
               if before[name] != after[name] and name not in ("rate_events", "user_sessions")}
    assert not changed, changed


@pytest.mark.parametrize("username", ["kemenkes", "dinkes.sultra"])
def test_users_above_the_district_open_no_record_of_people(app, username):
    """Every page with an id (a cadre, a sitting, a certificate, a training, a summary…)
    is a 404 or 403 to them; the overview's own pages of a place are the exception."""
    values = _values(app)
    client = app.test_client()
    login(client, username)
    answers = []
    for rule in _scoped_rules(app):
        if rule.endpoint.startswith("overview.") or "GET" not in (rule.methods or set()):
            continue
        code = client.get(_url(app, rule, values)).status_code
        if code not in (403, 404):
            answers.append((rule.rule, code))
    assert not answers, answers
