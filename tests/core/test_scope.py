"""Every list and lookup is filtered by the user's place; out of scope is 404.

Each test builds its places and people on the empty database (``tests/factories.py``):
two puskesmas of one district, each with its posyandu and cadres.
"""

import re
from dataclasses import dataclass

import pytest

from ilp_training.core.extensions import db
from tests import factories as make
from tests.helpers import sign_in

CADRE_URLS = ["/cadres/{id}", "/cadres/{id}/edit", "/cadres/{id}/move",
              "/cadres/{id}/deactivate", "/cadres/{id}/reactivate"]
POSYANDU_URLS = ["/posyandu/{id}/", "/posyandu/{id}/cadres/new"]


@dataclass(frozen=True)
class District:
    """Names and ids of a small district: puskesmas ``ours`` serves two villages (two
    posyandu in the first, one in the second), ``theirs`` one village with one posyandu."""

    coordinator: str
    trainer: str
    head: str  # the village head of the first village
    admin: str
    posyandu: dict[str, int]  # name → id
    cadre: dict[str, int]  # posyandu name → id of its first cadre
    first_village: tuple[str, str]  # its two posyandu
    second_village: str
    theirs: str


@pytest.fixture
def district(empty_app) -> District:
    with empty_app.app_context():
        regency = make.district()
        kecamatan = make.subdistrict(parent=regency)
        lalu, tengah, jauh = (make.village(parent=kecamatan) for _ in range(3))
        ours = make.puskesmas(villages=[lalu, tengah])
        theirs = make.puskesmas(villages=[jauh])
        places = [make.posyandu(puskesmas_=ours, village_=lalu),
                  make.posyandu(puskesmas_=ours, village_=lalu),
                  make.posyandu(puskesmas_=ours, village_=tengah),
                  make.posyandu(puskesmas_=theirs, village_=jauh)]
        cadres = {p.name: make.cadres(count, posyandu_=p)[0].id
                  for p, count in zip(places, (3, 2, 4, 5), strict=True)}
        result = District(
            coordinator=make.coordinator(ours).username, trainer=make.trainer(ours).username,
            head=make.village_head(lalu).username, admin=make.admin(regency).username,
            posyandu={p.name: p.id for p in places}, cadre=cadres,
            first_village=(places[0].name, places[1].name), second_village=places[2].name,
            theirs=places[3].name)
        db.session.commit()
    return result


@pytest.mark.parametrize("url", CADRE_URLS)
def test_coordinator_gets_404_for_another_puskesmas_cadre(empty_client, district, url):
    sign_in(empty_client, district.coordinator)
    cadre = district.cadre[district.theirs]
    assert empty_client.get(url.format(id=cadre)).status_code == 404
    if url != "/cadres/{id}":  # the profile is read-only
        assert empty_client.post(url.format(id=cadre)).status_code == 404


@pytest.mark.parametrize("url", POSYANDU_URLS)
def test_coordinator_gets_404_for_another_puskesmas_posyandu(empty_client, district, url):
    sign_in(empty_client, district.coordinator)
    posyandu = district.posyandu[district.theirs]
    assert empty_client.get(url.format(id=posyandu)).status_code == 404


def test_unknown_ids_are_404_too(empty_client, district):
    sign_in(empty_client, district.admin)
    assert empty_client.get("/cadres/999999").status_code == 404
    assert empty_client.get("/posyandu/999999/").status_code == 404


def test_lists_show_only_the_scope(empty_client, district):
    first, second = district.first_village
    sign_in(empty_client, district.coordinator)
    page = empty_client.get("/posyandu/").text
    assert first in page and district.second_village in page and district.theirs not in page
    empty_client.post("/logout")
    sign_in(empty_client, district.head)
    page = empty_client.get("/posyandu/").text
    assert first in page and second in page and district.second_village not in page
    empty_client.post("/logout")
    sign_in(empty_client, district.admin)
    page = empty_client.get(f"/posyandu/?q={district.theirs}").text
    assert district.theirs in page


def _dashboard_totals(client) -> list[int]:
    """Pustu, posyandu, active cadres, inactive cadres, as the dashboard's cards show them."""
    return [int(n) for n in re.findall(r"<strong>(\d+)</strong>", client.get("/").text)[:4]]


def test_dashboard_counts_follow_scope(empty_client, district):
    sign_in(empty_client, district.coordinator)
    assert _dashboard_totals(empty_client) == [0, 3, 9, 0]  # 3 + 2 + 4 cadres of its puskesmas
    empty_client.post("/logout")
    sign_in(empty_client, district.head)
    assert _dashboard_totals(empty_client) == [0, 2, 5, 0]  # the first village's 3 + 2


def test_village_head_and_trainer_cannot_edit(empty_client, district):
    cadre_id = district.cadre[district.first_village[0]]
    for username in (district.head, district.trainer):
        sign_in(empty_client, username)
        assert empty_client.get(f"/cadres/{cadre_id}").status_code == 200
        assert empty_client.get(f"/cadres/{cadre_id}/edit").status_code == 403
        empty_client.post("/logout")


@pytest.mark.parametrize("url", ["/", "/posyandu/", "/cadres/1", "/admin/users"])
def test_pages_need_sign_in(empty_client, url):
    response = empty_client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_admin_pages_are_for_admins_only(empty_client, district):
    sign_in(empty_client, district.coordinator)
    assert empty_client.get("/admin/users").status_code == 403
    assert empty_client.get("/admin/audit").status_code == 403
