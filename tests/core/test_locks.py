"""The transaction rule under load (``ilp_training/database.py``): on SQLite, reading
requests never take the write lock, and no request holds it while it checks a password,
parses a file or renders a PDF; a request that writes waits its turn and succeeds.

These run against a live server (``tests/live.py``). The lock is observed from outside,
as another process would see it: a connection that tries ``BEGIN IMMEDIATE`` without
waiting, at the moment the slow step runs.
"""

from __future__ import annotations

import io
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import make_app, posyandu_named
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from ilp_training.core import database
from ilp_training.core.extensions import db
from ilp_training.demo.seed import DEMO_USERS
from ilp_training.models import Cadre, Certificate, RateEvent, TrainingEvent, User
from tests import live
from tests.live import LiveSite, race

SLOW_HASH = "pbkdf2:sha256:400000"  # about 0.2 s a check, like a production hash
SHORT_WAIT_MS = 2000  # the site's busy timeout in these tests (10 s by default)


@pytest.fixture
def site(live_template: str) -> Iterator[LiveSite]:
    """A live site that waits at most two seconds for SQLite's write lock."""
    with live.live_site(live_template, make_app,
                        SQLITE_BUSY_TIMEOUT_MS=SHORT_WAIT_MS) as served:
        yield served


def _sqlite_only(site: LiveSite) -> None:
    if not site.url.startswith("sqlite"):
        pytest.skip("SQLite's write lock (PostgreSQL has none)")


def _write_lock_free(site: LiveSite) -> bool:
    """Whether another connection could take the write lock right now (no waiting)."""
    conn = sqlite3.connect(make_url(site.url).database, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return False
    else:
        conn.execute("ROLLBACK")
        return True
    finally:
        conn.close()


def _probing(site: LiveSite, seen: list[bool], step: Callable[..., Any]) -> Callable[..., Any]:
    """``step`` that first records whether the write lock is free while it runs."""
    def probed(*args: Any, **kwargs: Any) -> Any:
        seen.append(_write_lock_free(site))
        return step(*args, **kwargs)

    return probed


def _anggrek(site: LiveSite) -> tuple[int, int]:
    with site.context():
        posyandu = posyandu_named("Anggrek")
        cadre = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == posyandu.id, Cadre.level_code == "madya")
            .order_by(Cadre.id)).first()
        return posyandu.id, cadre


def _slow_passwords(site: LiveSite) -> None:
    with site.context():
        for demo in DEMO_USERS:
            user = db.session.scalars(sa.select(User).where(
                User.username == demo.username)).one()
            user.password_hash = generate_password_hash(demo.password, SLOW_HASH)
        db.session.commit()


def test_sixteen_sign_ins_at_once_all_succeed(site):
    _slow_passwords(site)
    names = [DEMO_USERS[i % len(DEMO_USERS)] for i in range(16)]
    browsers = [site.client() for _ in names]
    responses = race(16, lambda i: browsers[i].post("/login", data={
        "username": names[i].username, "password": names[i].password}))
    codes = [r.status_code for r in responses]
    assert codes == [302] * 16, [r.text[:200] for r in responses if r.status_code != 302]
    with site.context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
            User.last_login_at.is_not(None))) == len(DEMO_USERS)


def test_a_sign_in_checks_the_password_outside_the_write_lock(site, monkeypatch):
    _sqlite_only(site)
    seen: list[bool] = []
    from ilp_training.auth import services as users

    monkeypatch.setattr(users, "check_password_hash",
                        _probing(site, seen, users.check_password_hash))
    browser = site.client("koordinator")
    assert seen == [True]
    assert browser.get("/").status_code == 200
    wrong = site.client().post("/login", data={"username": "pelatih", "password": "salah"})
    assert wrong.status_code == 401 and seen == [True, True]
    with site.context():  # the failure was counted, in a write after the check
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RateEvent).where(
            RateEvent.key == users._login_key("name", "pelatih"))) == 1


def test_pages_are_served_while_another_connection_holds_the_write_lock(site):
    _sqlite_only(site)
    posyandu_id, cadre_id = _anggrek(site)
    browser = site.client("koordinator")
    pages = ["/", f"/posyandu/{posyandu_id}/", "/roster/gaps", f"/cadres/{cadre_id}",
             "/roster/export.csv", "/certificates/"]
    holder = sqlite3.connect(make_url(site.url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, slowly
    try:
        # a page that wanted the lock would give up after the busy timeout (a 500)
        codes = [browser.get(page).status_code for page in pages]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert codes == [200] * len(pages)


def test_a_write_waits_for_the_lock_and_succeeds(site):
    _sqlite_only(site)
    browser = site.client("koordinator")
    holder = sqlite3.connect(make_url(site.url).database, isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(SHORT_WAIT_MS / 4000, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        response = browser.post("/language", data={"lang": "en", "next": "/"})
    finally:
        release.join()
        holder.close()
    assert response.status_code == 302
    with site.context():
        assert db.session.scalar(sa.select(User.locale).where(
            User.username == "koordinator")) == "en"


def test_rendering_a_pdf_page_does_not_block_writes(site, monkeypatch):
    _sqlite_only(site)
    from ilp_training.training import routes as training_routes

    seen: list[bool] = []
    monkeypatch.setattr(training_routes, "render_pdf",
                        _probing(site, seen, training_routes.render_pdf))
    with site.context():
        event_id = db.session.scalars(sa.select(TrainingEvent.id).where(
            TrainingEvent.participants.any()).order_by(TrainingEvent.id)).first()
    response = site.client("admin").get(f"/trainings/{event_id}/attendance.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert seen == [True]


def test_issuing_a_certificate_renders_it_outside_the_write_lock(site, monkeypatch):
    _sqlite_only(site)
    from ilp_training.certificates.services import issuing as service

    seen: list[bool] = []
    monkeypatch.setattr(service, "render_certificates",
                        _probing(site, seen, service.render_certificates))
    _posyandu, cadre_id = _anggrek(site)
    browser = site.client("koordinator")
    response = browser.post(f"/cadres/{cadre_id}/certificate", data={"language": "id"})
    assert response.status_code == 302 and "/certificates/" in response.headers["Location"]
    assert seen == [True]  # rendered once, with the lock free
    with site.context():
        cert = db.session.scalars(sa.select(Certificate).where(
            Certificate.cadre_id == cadre_id).order_by(Certificate.id.desc())).first()
        assert cert.serial in _pdf_text(cert.pdf) and cert.verify_code in _pdf_text(cert.pdf)


def test_an_activity_import_parses_the_file_outside_the_write_lock(site, monkeypatch):
    _sqlite_only(site)
    from ilp_training.incentives import activity_routes as activity

    seen: list[bool] = []
    monkeypatch.setattr(activity, "read_workbook", _probing(site, seen, activity.read_workbook))
    browser = site.client("koordinator")
    template = browser.get("/incentives/activity/template.xlsx").content
    response = browser.post("/incentives/activity/import",
                            files={"file": ("kegiatan.xlsx", io.BytesIO(template))})
    assert response.status_code == 200  # refused (no rows), after parsing
    assert seen == [True]


def _pdf_text(data: bytes) -> str:
    from conftest import pdf_text

    return pdf_text(data).replace("\n", "")


def test_a_get_view_that_writes_must_say_so(app):
    """A write in a reading request is refused at once, on every database: forgetting
    to opt in fails here, not under load."""
    def unmarked() -> str:
        db.session.add(RateEvent(key="probe:unmarked"))
        db.session.commit()
        return "stored"

    def marked() -> str:
        db.session.add(RateEvent(key="probe:marked"))
        db.session.commit()
        return "stored"

    def switching() -> str:
        db.session.scalar(sa.select(sa.func.count()).select_from(RateEvent))
        database.begin_writes()
        db.session.add(RateEvent(key="probe:switching"))
        db.session.commit()
        return "stored"

    probe = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    probe.add_url_rule("/probe/unmarked", view_func=unmarked)
    probe.add_url_rule("/probe/marked", view_func=database.writes(marked))
    probe.add_url_rule("/probe/switching", view_func=switching)
    client = probe.test_client()
    try:
        assert client.get("/probe/unmarked").status_code == 500
        assert client.get("/probe/marked").text == "stored"
        assert client.get("/probe/switching").text == "stored"
        with probe.app_context():
            keys = set(db.session.scalars(sa.select(RateEvent.key).where(
                RateEvent.key.like("probe:%"))))
            assert keys == {"probe:marked", "probe:switching"}
    finally:
        with probe.app_context():
            db.engine.dispose()


def test_a_drafted_certificate_is_stored_only_if_it_is_the_one_issued(app, monkeypatch):
    """The single issue renders ahead (no lock); the write stores that PDF only when
    nothing it shows changed meanwhile (here: another issue took the serial)."""
    from ilp_training.certificates.services import issuing as service
    from ilp_training.core.curricula import framework_on
    from ilp_training.core.i18n import local_today

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://ilp.example.go.id")
    with app.app_context():
        actor = db.session.scalars(sa.select(User).where(User.username == "koordinator")).one()
        cadre = db.session.scalars(sa.select(Cadre).where(
            Cadre.posyandu_id == posyandu_named("Anggrek").id, Cadre.level_code == "madya")
            .order_by(Cadre.id)).first()
        today = local_today()
        framework = framework_on(today)
        draft = service.draft_certificate(cadre, framework, "id", today)
        cert = service.issue_certificate(actor, cadre, framework, "id", today,
                                         draft=draft).certificate
        assert (cert.pdf, cert.verify_code) == (draft.pdf, draft.code)
        assert service.draft_certificate(cadre, framework, "id", today) is None  # not due

        cadre.full_name = "Wa Ode Nama Benar"  # due again, under the new name
        draft = service.draft_certificate(cadre, framework, "id", today)
        taken = service.allocate_serials(cadre.posyandu.puskesmas.district, today.year, 1)
        assert taken[0] in _pdf_text(draft.pdf)
        cert = service.issue_certificate(actor, cadre, framework, "id", today,
                                         draft=draft).certificate
        assert cert.pdf != draft.pdf and cert.serial != taken[0]
        assert cert.serial in _pdf_text(cert.pdf) and cert.verify_code in _pdf_text(cert.pdf)
        db.session.rollback()
