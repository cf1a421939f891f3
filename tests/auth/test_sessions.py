"""Sign-ins end on the server: a cookie copied before sign-out, or kept by another browser
when the password changes, opens nothing afterwards (``services/sessions.py``)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from conftest import login, user_named

from ilp_training.core.extensions import db
from ilp_training.models import UserSession


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


def test_an_admin_reset_signs_the_user_out_everywhere(client, app):
    trainer = app.test_client()
    login(trainer, "pelatih")
    login(client, "admin")
    with app.app_context():
        trainer_id = user_named("pelatih").id
    response = client.post(f"/admin/users/{trainer_id}", data={"password": "Buton-Tengah-2026"})
    assert response.status_code == 302
    assert _signed_out(trainer.get("/"))
    assert client.get("/admin/users").status_code == 200


def test_an_admin_resetting_their_own_password_stays_signed_in(client, app):
    other = app.test_client()
    login(other, "admin")
    login(client, "admin")
    with app.app_context():
        admin_id = user_named("admin").id
    assert client.post(f"/admin/users/{admin_id}",
                       data={"password": "Buton-Tengah-2026"}).status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert _signed_out(other.get("/admin/users"))


def test_reactivating_an_account_does_not_revive_its_old_sign_ins(client, app):
    trainer = app.test_client()
    login(trainer, "pelatih")
    login(client, "admin")
    with app.app_context():
        trainer_id = user_named("pelatih").id
    client.post(f"/admin/users/{trainer_id}/active/0")
    client.post(f"/admin/users/{trainer_id}/active/1")
    assert _signed_out(trainer.get("/"))


def test_a_sign_in_ends_after_the_maximum_age(client, app):
    login(client, "pelatih")
    assert client.get("/").status_code == 200
    with app.app_context():
        row = db.session.scalars(sa.select(UserSession).where(
            UserSession.user_id == user_named("pelatih").id)).one()
        row.created_at -= timedelta(days=app.config["SESSION_MAX_AGE_DAYS"], seconds=1)
        db.session.commit()
    assert _signed_out(client.get("/"))


def test_the_table_keeps_no_usable_token(client, app):
    login(client, "pelatih")
    with client.session_transaction() as cookie:
        token = cookie["sid"]
    with app.app_context():
        stored = db.session.scalars(sa.select(UserSession.token_hash)).all()
    assert token not in stored and len(stored) == 1
