"""Every list and lookup is filtered by the user's place; out of scope is 404."""

import pytest
from conftest import first_cadre, login, posyandu_named

CADRE_URLS = ["/cadres/{id}", "/cadres/{id}/edit", "/cadres/{id}/move",
              "/cadres/{id}/deactivate", "/cadres/{id}/reactivate"]
POSYANDU_URLS = ["/posyandu/{id}/", "/posyandu/{id}/cadres/new"]


@pytest.fixture
def other_puskesmas_ids(app) -> dict[str, int]:
    with app.app_context():
        posyandu = posyandu_named("Flamboyan", "Lakudo")
        return {"posyandu": posyandu.id, "cadre": first_cadre(posyandu).id}


@pytest.mark.parametrize("url", CADRE_URLS)
def test_coordinator_gets_404_for_another_puskesmas_cadre(client, other_puskesmas_ids, url):
    login(client, "koordinator")
    assert client.get(url.format(id=other_puskesmas_ids["cadre"])).status_code == 404
    if url != "/cadres/{id}":  # the profile is read-only
        assert client.post(url.format(id=other_puskesmas_ids["cadre"])).status_code == 404


@pytest.mark.parametrize("url", POSYANDU_URLS)
def test_coordinator_gets_404_for_another_puskesmas_posyandu(client, other_puskesmas_ids, url):
    login(client, "koordinator")
    assert client.get(url.format(id=other_puskesmas_ids["posyandu"])).status_code == 404


def test_unknown_ids_are_404_too(as_admin):
    assert as_admin.get("/cadres/999999").status_code == 404
    assert as_admin.get("/posyandu/999999/").status_code == 404


def test_lists_show_only_the_scope(client):
    login(client, "koordinator")
    page = client.get("/posyandu/").text
    assert "Anggrek" in page and "Flamboyan" not in page
    client.post("/logout")
    login(client, "kades.lalibo")
    page = client.get("/posyandu/").text
    assert "Anggrek" in page and "Melati" in page and "Mawar" not in page  # Mawar is Lantongau
    client.post("/logout")
    login(client, "admin")
    page = client.get("/posyandu/?q=Flamboyan").text
    assert "Flamboyan" in page


def test_dashboard_counts_follow_scope(client):
    login(client, "koordinator")
    assert ">74</strong>" in client.get("/").text  # 74 cadres of Puskesmas Mawasangka Tengah
    client.post("/logout")
    login(client, "kades.lalibo")
    assert ">23</strong>" in client.get("/").text  # Anggrek 14 + Melati 9


def test_village_head_and_trainer_cannot_edit(client, app):
    with app.app_context():
        cadre_id = first_cadre(posyandu_named("Anggrek")).id
    for username in ("kades.lalibo", "pelatih"):
        login(client, username)
        assert client.get(f"/cadres/{cadre_id}").status_code == 200
        assert client.get(f"/cadres/{cadre_id}/edit").status_code == 403
        client.post("/logout")


@pytest.mark.parametrize("url", ["/", "/posyandu/", "/cadres/1", "/admin/users"])
def test_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_admin_pages_are_for_admins_only(as_coordinator):
    assert as_coordinator.get("/admin/users").status_code == 403
    assert as_coordinator.get("/admin/audit").status_code == 403
