"""What running several app servers needs from each one (issue 18, item 6), in one
process: a request id on every request and its access line, ``/healthz`` for the proxy,
the workers' heartbeats on an admin page, one secret key however many servers start at
once. The servers together: ``tests/core/test_multi_instance.py``."""

from __future__ import annotations

import logging
import multiprocessing
import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import login, other_app

from ilp_training.core import heartbeat
from ilp_training.core.config import instance_secret_key
from ilp_training.core.extensions import db
from ilp_training.models import User, WorkerHeartbeat, utcnow

ACCESS = "ilp_training.access"


def _access_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == ACCESS]


# --- request ids and the access log ----------------------------------------------------

def test_a_well_formed_request_id_is_kept_and_logged(client, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)
    response = client.get("/login?next=/roster&q=Wa+Ode+Hasna",
                          headers={"X-Request-ID": "nginx-4f2a.9_Z"})
    assert response.headers["X-Request-ID"] == "nginx-4f2a.9_Z"
    [line] = _access_lines(caplog)
    assert "request_id=nginx-4f2a.9_Z" in line and "method=GET" in line
    assert "path=/login?next=…&q=…" in line and "status=200" in line
    assert re.search(r"ms=\d+\.\d", line) and "user=-" in line
    assert "Hasna" not in line and "roster" not in line  # the query's values stay out


@pytest.mark.parametrize("given", ["", "a" * 65, "id with spaces", "x\ty", "<script>",
                                   "ä-unicode", "a;b"])
def test_a_malformed_request_id_is_replaced(client, caplog, given):
    caplog.set_level(logging.INFO, logger=ACCESS)
    response = client.get("/login", headers={"X-Request-ID": given})
    made = response.headers["X-Request-ID"]
    assert made != given and re.fullmatch(r"[0-9a-f]{32}", made)
    assert f"request_id={made}" in _access_lines(caplog)[0]


def test_every_request_gets_its_own_id(client):
    ids = {client.get("/login").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


def test_the_signed_in_user_is_in_the_access_line(app, client, caplog):
    login(client, "koordinator")
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "koordinator"))
    caplog.set_level(logging.INFO, logger=ACCESS)
    assert client.get("/posyandu/").status_code == 200
    assert f"user={user_id}" in _access_lines(caplog)[-1]


def test_a_refused_request_is_logged_too(client, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)
    response = client.get("/login?x=%00", headers={"X-Request-ID": "nul-1"})  # input policy
    assert response.status_code == 400 and response.headers["X-Request-ID"] == "nul-1"
    assert "status=400" in _access_lines(caplog)[0]


def test_error_pages_and_json_errors_show_the_request_id(as_coordinator):
    page = as_coordinator.get("/tidak-ada", headers={"X-Request-ID": "err-page-1"})
    assert page.status_code == 404 and "err-page-1" in page.text
    body = as_coordinator.get("/v/tidak-ada.json", headers={"X-Request-ID": "err-json-1"})
    assert body.status_code == 404
    assert body.get_json()["error"]["request_id"] == "err-json-1"


def test_an_unexpected_error_is_logged_with_its_request_id(database_url, caplog):
    with other_app(database_url, PROPAGATE_EXCEPTIONS=False) as broken:
        def boom() -> str:
            raise RuntimeError("boom")

        broken.add_url_rule("/boom", "boom", boom)
        response = broken.test_client().get("/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500 and "boom-1" in response.text
    assert any("boom-1" in r.getMessage() and r.exc_info for r in caplog.records)


# --- /healthz --------------------------------------------------------------------------

def test_healthz_answers_without_a_session_or_personal_data(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok",
                                   "worker": "none"}
    assert "Set-Cookie" not in response.headers
    assert "no-store" in response.headers["Cache-Control"]


def test_healthz_is_not_rate_limited(app, client):
    for _ in range(app.config["VERIFY_RATE_LIMIT"] + app.config["LOGIN_MAX_FAILURES"] + 5):
        assert client.get("/healthz").status_code == 200


def test_healthz_needs_no_csrf_token_and_takes_only_get(database_url):
    with other_app(database_url, WTF_CSRF_ENABLED=True) as checked:
        client = checked.test_client()
        assert client.get("/healthz").status_code == 200
        assert client.head("/healthz").status_code == 200
        assert client.post("/healthz").status_code == 405


def test_healthz_fails_when_the_database_is_away(tmp_path):
    with other_app(f"sqlite:///{tmp_path}/no/such/folder/ilp.db") as away:
        response = away.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error", "queue": "ok"}


def test_healthz_fails_when_the_queue_is_away(database_url, tmp_path):
    (tmp_path / "huey.db").write_bytes(b"not a database file at all" * 100)
    with other_app(database_url, HUEY_IMMEDIATE=False,
                   HUEY_SQLITE_PATH=str(tmp_path / "huey.db")) as broken:
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["queue"] == "error"
    with other_app(database_url, HUEY_IMMEDIATE=False,
                   HUEY_REDIS_URL="redis://127.0.0.1:1/0") as nothing_there:
        response = nothing_there.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "ok", "queue": "error",
                                   "worker": "none"}


def test_a_sqlite_queue_not_made_yet_is_reachable(database_url, tmp_path):
    with other_app(database_url, HUEY_IMMEDIATE=False,
                   HUEY_SQLITE_PATH=str(tmp_path / "huey.db")) as fresh:
        assert fresh.test_client().get("/healthz").status_code == 200
    assert not (tmp_path / "huey.db").exists()  # asked, not made


# --- the workers' heartbeats ------------------------------------------------------------

def _worker(name: str, seen_ago: timedelta, stopped: bool = False) -> WorkerHeartbeat:
    now = utcnow()
    row = WorkerHeartbeat(worker=name, host=name.split(":")[0], pid=4321,
                          queue="redis redis://127.0.0.1:6379/0", processes=2,
                          started_at=now - timedelta(hours=3), last_seen=now - seen_ago,
                          stopped_at=now - seen_ago if stopped else None)
    db.session.add(row)
    return row


def test_admins_see_each_worker_and_a_warning_for_a_silent_one(app, as_admin):
    with app.app_context():
        _worker("app1:11:a", timedelta(seconds=5))
        _worker("app2:22:b", timedelta(minutes=12, seconds=10))
        _worker("app3:33:c", timedelta(days=1), stopped=True)
        db.session.commit()
    page = as_admin.get("/admin/workers")
    assert page.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert "app1" in text and "app2" in text and "app3" in text
    assert "Tidak terlihat selama 12 menit" in text  # "not seen for 12 minutes"
    assert "Berjalan" in text and "Berhenti" in text  # running, stopped
    assert as_admin.get("/healthz").get_json()["worker"] == "ok"


def test_healthz_says_stale_without_failing(app, client):
    with app.app_context():
        _worker("lonely:1:a", timedelta(minutes=5))
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["worker"] == "stale"


def test_no_running_worker_is_a_warning_on_the_page(as_admin):
    page = as_admin.get("/admin/workers")
    assert "flash-error" in page.text


@pytest.mark.parametrize("username", ["koordinator", "pelatih", "kades.lalibo"])
def test_only_admins_see_the_workers(client, username):
    login(client, username)
    assert client.get("/admin/workers").status_code == 403
    assert "/admin/workers" not in client.get("/posyandu/").text


def test_a_heartbeat_writes_its_row_and_records_a_clean_stop(live_template):
    """On a database of its own: the heartbeat commits for real, on its own engine."""
    from tests.live import clone_database, drop_database, next_tag

    url = clone_database(live_template, next_tag())
    try:
        with other_app(url, WORKER_HEARTBEAT_SECONDS=1) as site, site.app_context():
            beating = heartbeat.Heartbeat(site.config, "sqlite /tmp/huey.db", 2)
            seen = sa.select(WorkerHeartbeat.last_seen).where(
                WorkerHeartbeat.worker == beating.worker)
            beating.start()
            try:
                first = db.session.scalar(seen)
                db.session.rollback()
                time.sleep(1.6)
                assert db.session.scalar(seen) > first
                db.session.rollback()
                assert heartbeat.overall(utcnow(), heartbeat.stale_after(site.config)) == "ok"
            finally:
                db.session.rollback()  # outside a request every transaction writes (SQLite)
                beating.stop()
            row = db.session.scalars(sa.select(WorkerHeartbeat)).one()
            assert row.stopped_at is not None and row.processes == 2
            assert row.queue == "sqlite /tmp/huey.db" and row.worker.startswith(row.host)
            assert heartbeat.overall(utcnow(), heartbeat.stale_after(site.config)) == "none"
            db.session.remove()
    finally:
        drop_database(url)


def test_the_housekeeping_forgets_workers_gone_for_a_week(app):
    with app.app_context():
        _worker("old:1:a", timedelta(days=8), stopped=True)
        _worker("recent:2:b", timedelta(days=2), stopped=True)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["prune"])
    assert "worker_heartbeats 1" in result.output, result.output
    with app.app_context():
        assert db.session.scalars(sa.select(WorkerHeartbeat.worker)).all() == ["recent:2:b"]


# --- one secret key for every server of a machine ---------------------------------------

def _key_in(args: tuple[str, object]) -> str:
    folder, barrier = args
    barrier.wait()  # type: ignore[attr-defined]
    return instance_secret_key(folder)


def test_servers_starting_together_share_one_instance_key(tmp_path):
    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        folder = tmp_path / f"instance{attempt}"
        with context.Manager() as manager:
            barrier = manager.Barrier(8)
            with context.Pool(8) as pool:
                keys = pool.map(_key_in, [(str(folder), barrier)] * 8)
        assert len(set(keys)) == 1, keys
        assert (folder / "secret_key").read_text() == keys[0]
        assert (folder / "secret_key").stat().st_mode & 0o777 == 0o600
        assert [p.name for p in folder.iterdir()] == ["secret_key"]  # no drafts left
