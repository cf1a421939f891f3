"""The password policy (``services/users.check_new_password``) on the three forms that set
one: a new user, an admin's reset, one's own change; refused on the field, in both
languages, and nothing stored. The users are built with the factories (fixture
``people``, on the empty database)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ilp_training.auth.services import common_passwords
from ilp_training.core.extensions import db
from ilp_training.models import Puskesmas, User
from tests import factories as make
from tests.factories import PASSWORD
from tests.helpers import sign_in

WEAK = [  # (password, Indonesian message, English message)
    ("aaaaaaaaaa", "satu karakter yang diulang", "one character repeated"),
    ("1111111111111", "satu karakter yang diulang", "one character repeated"),
    ("qwertyuiop", "paling umum", "most common"),
    ("Password123!", "paling umum", "most common"),
    ("1234567890", "paling umum", "most common"),
]


def _error_text(html: str) -> str:
    return " ".join(html.split())


@pytest.fixture
def users(empty_app) -> dict[str, str]:
    """Login names: an admin, and a trainer and a coordinator of a puskesmas of its
    district (named so that the login-name rule can be tried)."""
    with empty_app.app_context():
        puskesmas = make.puskesmas()
        names = {"admin": make.admin(make.district_of(puskesmas)).username,
                 "trainer": make.trainer(puskesmas, username="pelatih").username,
                 "coordinator": make.coordinator(puskesmas, username="koordinator").username}
        db.session.commit()
    return names


@pytest.mark.parametrize(("password", "msg_id", "msg_en"), [
    *WEAK, ("pelatih1234", "nama login", "login name"),
    (PASSWORD, "berbeda dari yang sekarang", "differ from the current one")])
def test_own_change_refuses_weak_passwords_in_both_languages(empty_client, users, password,
                                                             msg_id, msg_en):
    client = sign_in(empty_client, users["trainer"])
    for lang, message in (("id", msg_id), ("en", msg_en)):
        client.post("/language", data={"lang": lang})
        page = client.post("/account/password", data={
            "current_password": PASSWORD, "password": password, "confirm": password})
        assert page.status_code == 200
        assert message in _error_text(page.text), lang
    client.post("/logout")
    sign_in(client, users["trainer"])  # the old password still holds


def _user(username: str) -> User:
    return db.session.scalars(sa.select(User).where(User.username == username)).one()


@pytest.mark.parametrize(("password", "msg_id", "msg_en"), [
    *WEAK, ("koordinator", "nama login", "login name"),
    ("Koordinator2026", "nama login", "login name"),
    (PASSWORD, "berbeda dari yang sekarang", "differ from the current one")])
def test_admin_reset_refuses_weak_passwords(empty_client, empty_app, users, password, msg_id,
                                            msg_en):
    with empty_app.app_context():
        target = _user(users["coordinator"])
        target_id, old_hash = target.id, target.password_hash
    page = sign_in(empty_client, users["admin"]).post(f"/admin/users/{target_id}",
                                                      data={"password": password})
    assert page.status_code == 200 and msg_id in _error_text(page.text)
    with empty_app.app_context():
        assert _user(users["coordinator"]).password_hash == old_hash


@pytest.mark.parametrize(("password", "message"), [
    ("aaaaaaaaaaaa", "satu karakter yang diulang"),
    ("iloveyou123", "paling umum"),
    ("pelatih.baru", "nama login"),
    ("PELATIH.BARU2026", "nama login"),
])
def test_a_new_user_needs_a_strong_password(empty_client, empty_app, users, password, message):
    as_admin = sign_in(empty_client, users["admin"])
    with empty_app.app_context():
        place = db.session.scalars(sa.select(Puskesmas.id)).one()
        before = make.count(User)
    page = as_admin.post("/admin/users/new", data={
        "username": "pelatih.baru", "display_name": "Orang Baru", "role": "trainer",
        "place": f"puskesmas:{place}", "locale": "id", "password": password})
    assert page.status_code == 200 and message in _error_text(page.text)
    with empty_app.app_context():
        assert make.count(User) == before


def test_the_common_list_is_shipped_and_large():
    common = common_passwords()
    assert len(common) == 30000
    assert {"password", "qwertyuiop", "1234567890", "iloveyou"} <= common


def test_a_strong_password_passes_everywhere(empty_client, users):
    client = sign_in(empty_client, users["trainer"])
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "Kader-Lakudo-77",
        "confirm": "Kader-Lakudo-77"})
    assert response.status_code == 302
