"""Sign-ins end on the server: a cookie copied before sign-out, or kept by another browser
when the password changes, opens nothing afterwards (``services/sessions.py``). The live
tests sign in as the demo's users; the others use users built with the factories (fixture
``people``, on the empty database)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import User, UserSession
from tests.helpers import sign_in


def _signed_out(response) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code == 302 and "/login" in location


def test_a_cookie_copied_before_sign_out_opens_nothing_after(live):
    admin = live.client("admin")
    assert admin.get("/admin/users").status_code == 200
    copied = admin.session.cookies.get("session")
    assert admin.post("/logout").status_code == 302

    thief = live.client()
    thief.session.cookies.set("session", copied)
    assert _signed_out(thief.get("/admin/users"))


def test_a_password_change_signs_out_the_other_browsers_only(live):
    phone, laptop = live.client("pelatih"), live.client("pelatih")
    changed = laptop.post("/account/password", data={
        "current_password": "pelatih-demo", "password": "Buton-Tengah-2026",
        "confirm": "Buton-Tengah-2026"})
    assert changed.status_code == 302
    assert laptop.get("/").status_code == 200  # the browser that changed it stays
    assert _signed_out(phone.get("/"))
    live.passwords["pelatih"] = "Buton-Tengah-2026"
    assert live.client("pelatih").get("/").status_code == 200


def _id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(User.id).where(User.username == username)).one()


def test_an_admin_reset_signs_the_user_out_everywhere(empty_client, empty_app, people):
    trainer = sign_in(empty_app.test_client(), people.trainer)
    client = sign_in(empty_client, people.admin)
    trainer_id = _id(empty_app, people.trainer)
    response = client.post(f"/admin/users/{trainer_id}", data={"password": "Buton-Tengah-2026"})
    assert response.status_code == 302
    assert _signed_out(trainer.get("/"))
    assert client.get("/admin/users").status_code == 200


def test_an_admin_resetting_their_own_password_stays_signed_in(empty_client, empty_app, people):
    other = sign_in(empty_app.test_client(), people.admin)
    client = sign_in(empty_client, people.admin)
    admin_id = _id(empty_app, people.admin)
    assert client.post(f"/admin/users/{admin_id}",
                       data={"password": "Buton-Tengah-2026"}).status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert _signed_out(other.get("/admin/users"))


def test_reactivating_an_account_does_not_revive_its_old_sign_ins(empty_client, empty_app,
                                                                   people):
    trainer = sign_in(empty_app.test_client(), people.trainer)
    client = sign_in(empty_client, people.admin)
    trainer_id = _id(empty_app, people.trainer)
    client.post(f"/admin/users/{trainer_id}/active/0")
    client.post(f"/admin/users/{trainer_id}/active/1")
    assert _signed_out(trainer.get("/"))


def test_a_sign_in_ends_after_the_maximum_age(empty_client, empty_app, people):
    sign_in(empty_client, people.trainer)
    assert empty_client.get("/").status_code == 200
    trainer_id = _id(empty_app, people.trainer)
    with empty_app.app_context():
        row = db.session.scalars(sa.select(UserSession).where(
            UserSession.user_id == trainer_id)).one()
        row.created_at -= timedelta(days=empty_app.config["SESSION_MAX_AGE_DAYS"], seconds=1)
        db.session.commit()
    assert _signed_out(empty_client.get("/"))


def test_the_table_keeps_no_usable_token(empty_client, empty_app, people):
    sign_in(empty_client, people.trainer)
    with empty_client.session_transaction() as cookie:
        token = cookie["sid"]
    with empty_app.app_context():
        stored = db.session.scalars(sa.select(UserSession.token_hash)).all()
    assert token not in stored and len(stored) == 1
