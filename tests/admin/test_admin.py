"""User management by the district admin: creating, refusing bad input, deactivating,
resetting, the district's user list, and the audit log that masks personal data.

Each test builds its district and people on the empty database (``tests/factories.py``).
"""

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import AuditEntry, Role, User
from tests import factories as make
from tests.helpers import sign_in


@dataclass(frozen=True)
class Staff:
    admin: tuple[int, str]  # (id, username)
    trainer: tuple[int, str]
    others: tuple[str, ...]  # users of the admin's district
    outsider: str  # a coordinator of another district
    puskesmas: tuple[int, str]  # (id, name) of a puskesmas of the admin's district
    posyandu: int


@pytest.fixture
def staff(empty_app) -> Staff:
    with empty_app.app_context():
        regency = make.district()
        puskesmas = make.puskesmas(subdistrict_=make.subdistrict(parent=regency))
        admin = make.admin(regency)
        trainer = make.trainer(puskesmas)
        others = (make.coordinator(puskesmas).username,
                  make.village_head(puskesmas.villages[0]).username)
        result = Staff(admin=(admin.id, admin.username), trainer=(trainer.id, trainer.username),
                       others=others, outsider=make.coordinator().username,
                       puskesmas=(puskesmas.id, puskesmas.name),
                       posyandu=make.posyandu(puskesmas_=puskesmas).id)
        db.session.commit()
    return result


@pytest.fixture
def as_admin(empty_client, staff):
    return sign_in(empty_client, staff.admin[1])


def test_admin_creates_a_user_who_can_sign_in(as_admin, staff, empty_app):
    pid, name = staff.puskesmas
    response = as_admin.post("/admin/users/new", data={
        "username": "Pelatih.Gu", "display_name": "Wa Ode Gu", "role": "trainer",
        "place": f"puskesmas:{pid}", "locale": "en", "password": "a-long-password"})
    assert response.status_code == 302
    with empty_app.app_context():
        user = db.session.scalars(sa.select(User).where(User.username == "pelatih.gu")).one()
        assert user.role == Role.TRAINER and user.puskesmas_id == pid
        assert db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "user", AuditEntry.entity_id == user.id)).one().action == "create"
    as_admin.post("/logout")
    sign_in(as_admin, "pelatih.gu", "a-long-password")
    assert f"Your area: {name}" in as_admin.get("/").text  # the user's language is English


def test_user_form_refuses_bad_input_and_keeps_values(as_admin, staff, empty_app):
    base = {"username": "baru", "display_name": "Orang Baru", "role": "trainer",
            "place": f"puskesmas:{staff.puskesmas[0]}", "locale": "id",
            "password": "a-long-password"}
    cases = [
        ({"username": staff.trainer[1]}, "sudah dipakai"),
        ({"username": "Bad Name!"}, "huruf kecil"),
        ({"password": "short"}, "minimal 10 karakter"),
        ({"role": "village_head"}, "tidak cocok dengan peran"),
    ]
    with empty_app.app_context():
        before = make.count(User)
    for change, message in cases:
        response = as_admin.post("/admin/users/new", data={**base, **change})
        assert response.status_code == 200
        assert message in response.text, change
        assert 'value="Orang Baru"' in response.text
    with empty_app.app_context():
        assert make.count(User) == before


def test_deactivate_and_reset_password(as_admin, staff, empty_app):
    target, own = staff.trainer[0], staff.admin[0]
    assert as_admin.post(f"/admin/users/{target}/active/0").status_code == 302
    assert "tidak dapat menonaktifkan akun Anda sendiri" in as_admin.post(
        f"/admin/users/{own}/active/0", follow_redirects=True).text
    as_admin.post(f"/admin/users/{target}", data={"password": "brand-new-password"})
    with empty_app.app_context():
        user = db.session.get(User, target)
        assert not user.active and user.check_password("brand-new-password")
        actions = db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.entity == "user", AuditEntry.entity_id == target)
            .order_by(AuditEntry.id)).all()
        assert actions == ["create", "deactivate", "reset_password"]


def test_admin_sees_only_users_of_their_district(as_admin, staff):
    page = as_admin.get("/admin/users").text
    assert all(name in page for name in (staff.trainer[1], *staff.others))
    assert staff.outsider not in page


def test_audit_log_masks_personal_data(as_admin, staff):
    as_admin.post(f"/posyandu/{staff.posyandu}/cadres/new", data={
        "full_name": "Wa Audit", "sex": "F", "birth_date": "1985-03-12",
        "nik": "7401015203859002", "phone": "081299998888"})
    page = as_admin.get("/admin/audit").text
    assert "Wa Audit" in page
    assert "7401015203859002" not in page and "081299998888" not in page
    assert "1985-03-12" not in page
