"""Signing in and out, the password change, the session cookie and the role's navigation.

The demo's own users are checked once (each signs in and sees its place); the rules are
tested on users built with the factories (fixture ``people``, on the empty database).
"""

import pytest
import sqlalchemy as sa
from conftest import login, other_app

from ilp_training.core.extensions import db
from ilp_training.models import AuditEntry, User
from tests.factories import PASSWORD
from tests.helpers import sign_in


def test_login_page_renders_in_indonesian_by_default(client) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert "Masuk" in response.text
    assert 'lang="id"' in response.text


def test_each_demo_user_signs_in_and_sees_their_place(client) -> None:
    for username, place in [("admin", "Buton Tengah"), ("koordinator", "Mawasangka Tengah"),
                            ("pelatih", "Mawasangka Tengah"), ("kades.lalibo", "Lalibo")]:
        login(client, username)
        page = client.get("/")
        assert page.status_code == 200
        assert place in page.text
        client.post("/logout")
        assert client.get("/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(empty_client, people) -> None:
    response = empty_client.post("/login", data={"username": people.admin,
                                                 "password": "nope-nope-nope"})
    assert response.status_code == 401
    assert "Nama login atau kata sandi salah" in response.text
    unknown = empty_client.post("/login", data={"username": "no.such.user",
                                                "password": "nope-nope-nope"})
    assert unknown.status_code == 401 and "Nama login atau kata sandi salah" in unknown.text
    assert empty_client.get("/").status_code == 302


def test_login_is_throttled_after_repeated_failures(empty_client, people) -> None:
    for _ in range(5):
        empty_client.post("/login", data={"username": people.trainer,
                                          "password": "wrong-password"})
    response = empty_client.post("/login", data={"username": people.trainer,
                                                 "password": PASSWORD})
    assert response.status_code == 429
    assert empty_client.get("/").status_code == 302  # still signed out


def test_inactive_user_cannot_sign_in(empty_client, empty_app, people) -> None:
    with empty_app.app_context():
        db.session.scalars(sa.select(User).where(User.username == people.trainer)
                           ).one().active = False
        db.session.commit()
    response = empty_client.post("/login", data={"username": people.trainer,
                                                 "password": PASSWORD})
    assert response.status_code == 401


def test_next_parameter_cannot_leave_the_site(empty_client, people) -> None:
    response = empty_client.post(
        "/login?next=//evil.example/x", data={"username": people.admin, "password": PASSWORD}
    )
    assert response.location == "/"


def test_csrf_is_required_on_forms(database_url) -> None:  # the demo's admin
    with other_app(database_url, WTF_CSRF_ENABLED=True) as app:
        client = app.test_client()
        response = client.post("/login", data={"username": "admin", "password": "admin-demo"})
        assert response.status_code == 400
        assert client.get("/").status_code == 302


def test_session_cookie_is_httponly_and_samesite(empty_client, people) -> None:
    sign_in(empty_client, people.admin)
    cookie = empty_client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_change_own_password(empty_client, empty_app, people) -> None:
    client = sign_in(empty_client, people.trainer)
    bad = client.post("/account/password", data={
        "current_password": "wrong", "password": "new-password-1", "confirm": "new-password-1"})
    assert "Kata sandi saat ini salah" in bad.text
    short = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "short", "confirm": "short"})
    assert "minimal 10 karakter" in short.text
    ok = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "new-password-1",
        "confirm": "new-password-1"})
    assert ok.status_code == 302
    client.post("/logout")
    sign_in(client, people.trainer, "new-password-1")
    with empty_app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "change_password")
        ).one()
        assert entry.user.username == people.trainer
        assert "password" not in str(entry.changes)


@pytest.mark.parametrize(("role", "links"), [
    ("admin", {"/certificates/", "/incentives/", "/admin/users"}),
    ("coordinator", {"/certificates/", "/incentives/"}),
    ("trainer", set()),
    ("head", {"/incentives/"}),
])
def test_navigation_follows_the_role_lists(empty_client, people, role, links):
    sign_in(empty_client, getattr(people, role))
    page = empty_client.get("/").text
    offered = {href for href in ("/certificates/", "/incentives/", "/admin/users")
               if f'href="{href}"' in page}
    assert offered == links


def test_templates_never_test_role_names():
    """Views (and the areas' menu flags) pass what the areas' permissions allow; a
    template that compares role names would drift from the rules in <area>/permissions.py."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    role_tests = ("role.value", "is_admin", "is_manager", "sees_incentives")  # the old flags
    offending = [str(p) for p in templates.rglob("*.html")
                 if any(name in p.read_text() for name in role_tests)]
    assert offending == []
