"""The roles above the district (issue 18): a province user bound to a province, a
national user bound to nothing, created from the command line only (audited), starting
at their overview, with a menu of what they may use.

Each test builds its places and people on the empty database (``tests/factories.py``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ilp_training.auth.services import UserData, create_user, place_kind
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.models import AuditEntry, Role, User
from tests import factories as make
from tests.helpers import sign_in

PASSWORD = "provinsi-sehat-sejahtera"


def _user(name: str) -> User:
    return db.session.scalars(sa.select(User).where(User.username == name)).one()


def test_place_kind_binds_the_new_roles():
    assert place_kind(Role.PROVINCE) == "province"
    assert place_kind(Role.NATIONAL) == "nation"


def test_flask_users_create_makes_a_province_user_bound_to_its_province(empty_app):
    with empty_app.app_context():
        province = make.province(code="74")
        db.session.commit()
        province_id = province.id
    result = empty_app.test_cli_runner().invoke(args=[
        "users", "create", "--role", "province", "--province", "74",
        "--username", "Dinkes.Sultra", "--name", "Dinkes Provinsi Sultra"],
        input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "dinkes.sultra created" in result.output
    with empty_app.app_context():
        user = _user("dinkes.sultra")
        assert (user.role, user.province_id, user.district_id) == (Role.PROVINCE, province_id, None)
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "user", AuditEntry.entity_id == user.id)).one()
        assert entry.action == "create" and entry.user_id is None
        assert entry.changes["role"] == [None, "province"]
        assert entry.changes["via"] == [None, "cli"]


def test_flask_users_create_makes_a_national_user_bound_to_no_place(empty_app):
    result = empty_app.test_cli_runner().invoke(args=[
        "users", "create", "--role", "national", "--username", "kemenkes",
        "--name", "Kementerian Kesehatan", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        user = _user("kemenkes")
        assert user.role == Role.NATIONAL and user.scope_label == "Indonesia"
        assert (user.province_id, user.district_id, user.puskesmas_id, user.village_id) == (
            None, None, None, None)


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "province"], "--province"),
    (["--role", "province", "--province", "99"], "No province has the code"),
    (["--role", "province", "--district", "74.01"], "--province"),
    (["--role", "national", "--province", "74"], "no place option"),
    (["--role", "admin", "--district", "74"], "No district has the code"),
])
def test_flask_users_create_refuses_a_place_that_does_not_fit_the_role(empty_app, args, message):
    with empty_app.app_context():
        make.district(parent=make.province(code="74"))
        db.session.commit()
    result = empty_app.test_cli_runner().invoke(args=[
        "users", "create", *args, "--username", "someone", "--name", "Someone",
        "--password", PASSWORD])
    assert result.exit_code != 0
    assert message in result.output
    with empty_app.app_context():
        assert db.session.scalar(sa.select(User.id).where(User.username == "someone")) is None


def test_flask_users_create_refuses_a_weak_password(empty_app):
    result = empty_app.test_cli_runner().invoke(args=[
        "users", "create", "--role", "national", "--username", "kemenkes", "--name", "K",
        "--password", "password123"])
    assert result.exit_code == 1 and "Not created" in result.output


def test_nobody_of_the_site_creates_a_user_above_the_district(db_session):
    """Not an admin through the service, and not through the admin's form (the role is
    not offered: the form refuses it)."""
    admin = make.admin()
    province = make.province()
    with pytest.raises(ServiceError) as refused:
        create_user(admin, UserData("prov.x", "Prov X", Role.PROVINCE, province.id), PASSWORD)
    assert refused.value.field == "role"
    with pytest.raises(ServiceError):
        create_user(admin, UserData("nat.x", "Nat X", Role.NATIONAL, None), PASSWORD)


def test_the_admin_form_does_not_offer_the_roles_above_the_district(empty_app, empty_client):
    with empty_app.app_context():
        admin = make.admin()
        province_id = admin.district.parent_id
        db.session.commit()
        name = admin.username
    sign_in(empty_client, name)
    page = empty_client.get("/admin/users/new").text
    assert 'value="province"' not in page and 'value="national"' not in page
    response = empty_client.post("/admin/users/new", data={
        "username": "prov.y", "display_name": "Prov Y", "role": "province",
        "place": f"district:{province_id}", "locale": "id", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with the refusal
    with empty_app.app_context():
        assert db.session.scalar(sa.select(User.id).where(User.username == "prov.y")) is None


def test_the_database_refuses_a_province_user_without_a_province(db_session):
    db_session.add(User(username="loose", display_name="Loose", role=Role.PROVINCE,
                        password_hash="x"))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_a_province_user_starts_at_the_province_overview_with_a_menu_of_counts(
        empty_app, empty_client):
    with empty_app.app_context():
        user = make.province_user(make.province(code="73"))
        db.session.commit()
        name = user.username
    sign_in(empty_client, name)
    response = empty_client.get("/")
    assert response.status_code == 302 and response.location.endswith("/overview/home")
    response = empty_client.get("/overview/home")
    assert response.location.endswith("/overview/province/73")
    page = empty_client.get("/overview/province/73").text
    for hidden in ("/posyandu/", "/roster", "/trainings", "/certificates", "/incentives",
                   "/admin/users", "/imports"):
        assert f'href="{hidden}' not in page, hidden
    assert 'href="/overview/home"' in page


def test_a_national_user_starts_at_the_national_overview(empty_app, empty_client):
    with empty_app.app_context():
        name = make.national_user().username
        db.session.commit()
    sign_in(empty_client, name)
    assert empty_client.get("/overview/home").location.endswith("/overview")
    page = empty_client.get("/overview").text
    assert "Indonesia" in page


def test_the_district_roles_keep_their_menu_and_start_page(empty_app, empty_client):
    with empty_app.app_context():
        name = make.coordinator().username
        db.session.commit()
    sign_in(empty_client, name)
    page = empty_client.get("/")
    assert page.status_code == 200
    for shown in ("/posyandu/", "/roster", "/trainings", "/overview/home"):
        assert f'href="{shown}' in page.text, shown
