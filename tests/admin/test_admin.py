import sqlalchemy as sa
from conftest import login, user_named

from ilp_training.core.extensions import db
from ilp_training.models import AuditEntry, Puskesmas, Role, User


def _puskesmas_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(Puskesmas.id).where(Puskesmas.name == name)).one()


def test_admin_creates_a_user_who_can_sign_in(as_admin, app, client):
    place = f"puskesmas:{_puskesmas_id(app, 'Gu')}"
    response = as_admin.post("/admin/users/new", data={
        "username": "Pelatih.Gu", "display_name": "Wa Ode Gu", "role": "trainer",
        "place": place, "locale": "en", "password": "a-long-password"})
    assert response.status_code == 302
    with app.app_context():
        user = user_named("pelatih.gu")
        assert user.role == Role.TRAINER and user.puskesmas.name == "Gu"
        assert db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "user", AuditEntry.entity_id == user.id)).one().action == "create"
    as_admin.post("/logout")
    login(client, "pelatih.gu", "a-long-password")
    assert "Your area: Gu" in client.get("/").text  # the user's language is English


def test_user_form_refuses_bad_input_and_keeps_values(as_admin, app):
    place = f"puskesmas:{_puskesmas_id(app, 'Gu')}"
    base = {"username": "baru", "display_name": "Orang Baru", "role": "trainer",
            "place": place, "locale": "id", "password": "a-long-password"}
    cases = [
        ({"username": "koordinator"}, "sudah dipakai"),
        ({"username": "Bad Name!"}, "huruf kecil"),
        ({"password": "short"}, "minimal 10 karakter"),
        ({"role": "village_head"}, "tidak cocok dengan peran"),
    ]
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(User.id)))
    for change, message in cases:
        response = as_admin.post("/admin/users/new", data={**base, **change})
        assert response.status_code == 200
        assert message in response.text, change
        assert 'value="Orang Baru"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


def test_deactivate_and_reset_password(as_admin, app, client):
    with app.app_context():
        target = user_named("pelatih").id
        own = user_named("admin").id
    assert as_admin.post(f"/admin/users/{target}/active/0").status_code == 302
    assert "tidak dapat menonaktifkan akun Anda sendiri" in as_admin.post(
        f"/admin/users/{own}/active/0", follow_redirects=True).text
    as_admin.post(f"/admin/users/{target}", data={"password": "brand-new-password"})
    with app.app_context():
        user = db.session.get(User, target)
        assert not user.active and user.check_password("brand-new-password")
        actions = db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.entity == "user", AuditEntry.entity_id == target)
            .order_by(AuditEntry.id)).all()
        assert actions == ["deactivate", "reset_password"]


def test_admin_sees_only_users_of_their_district(as_admin):
    page = as_admin.get("/admin/users").text
    assert "kades.lalibo" in page and "koordinator.lakudo" in page


def test_audit_log_masks_personal_data(as_admin, app):
    with app.app_context():
        from conftest import posyandu_named

        posyandu_id = posyandu_named("Anggrek").id
    as_admin.post(f"/posyandu/{posyandu_id}/cadres/new", data={
        "full_name": "Wa Audit", "sex": "F", "birth_date": "1985-03-12",
        "nik": "7414035203859002", "phone": "081299998888"})
    page = as_admin.get("/admin/audit").text
    assert "Wa Audit" in page
    assert "7414035203859002" not in page and "081299998888" not in page
    assert "1985-03-12" not in page
