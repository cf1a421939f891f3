"""The password policy (``services/users.check_new_password``) on the three forms that set
one: a new user, an admin's reset, one's own change; refused on the field, in both
languages, and nothing stored."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import login, user_named

from ilp_training.auth.services import common_passwords
from ilp_training.core.extensions import db
from ilp_training.models import Puskesmas, User

WEAK = [  # (password, Indonesian message, English message)
    ("aaaaaaaaaa", "satu karakter yang diulang", "one character repeated"),
    ("1111111111111", "satu karakter yang diulang", "one character repeated"),
    ("qwertyuiop", "paling umum", "most common"),
    ("Password123!", "paling umum", "most common"),
    ("1234567890", "paling umum", "most common"),
]


def _error_text(html: str) -> str:
    return " ".join(html.split())


@pytest.mark.parametrize(("password", "msg_id", "msg_en"), [
    *WEAK, ("pelatih1234", "nama login", "login name"),
    ("pelatih-demo", "berbeda dari yang sekarang", "differ from the current one")])
def test_own_change_refuses_weak_passwords_in_both_languages(client, app, password, msg_id,
                                                             msg_en):
    login(client, "pelatih")
    for lang, message in (("id", msg_id), ("en", msg_en)):
        client.post("/language", data={"lang": lang})
        page = client.post("/account/password", data={
            "current_password": "pelatih-demo", "password": password, "confirm": password})
        assert page.status_code == 200
        assert message in _error_text(page.text), lang
    client.post("/logout")
    login(client, "pelatih")  # the old password still holds


@pytest.mark.parametrize(("password", "msg_id", "msg_en"), [
    *WEAK, ("koordinator", "nama login", "login name"),
    ("Koordinator2026", "nama login", "login name"),
    ("koordinator-demo", "berbeda dari yang sekarang", "differ from the current one")])
def test_admin_reset_refuses_weak_passwords(as_admin, app, password, msg_id, msg_en):
    with app.app_context():
        target = user_named("koordinator")
        target_id, old_hash = target.id, target.password_hash
    page = as_admin.post(f"/admin/users/{target_id}", data={"password": password})
    assert page.status_code == 200 and msg_id in _error_text(page.text)
    with app.app_context():
        assert user_named("koordinator").password_hash == old_hash


@pytest.mark.parametrize(("password", "message"), [
    ("aaaaaaaaaaaa", "satu karakter yang diulang"),
    ("iloveyou123", "paling umum"),
    ("pelatih.baru", "nama login"),
    ("PELATIH.BARU2026", "nama login"),
])
def test_a_new_user_needs_a_strong_password(as_admin, app, password, message):
    with app.app_context():
        place = db.session.scalars(sa.select(Puskesmas.id).where(Puskesmas.name == "Gu")).one()
        before = db.session.scalar(sa.select(sa.func.count(User.id)))
    page = as_admin.post("/admin/users/new", data={
        "username": "pelatih.baru", "display_name": "Orang Baru", "role": "trainer",
        "place": f"puskesmas:{place}", "locale": "id", "password": password})
    assert page.status_code == 200 and message in _error_text(page.text)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


def test_the_common_list_is_shipped_and_large():
    common = common_passwords()
    assert len(common) == 30000
    assert {"password", "qwertyuiop", "1234567890", "iloveyou"} <= common


def test_a_strong_password_passes_everywhere(client, app):
    login(client, "pelatih")
    response = client.post("/account/password", data={
        "current_password": "pelatih-demo", "password": "Kader-Lakudo-77",
        "confirm": "Kader-Lakudo-77"})
    assert response.status_code == 302
