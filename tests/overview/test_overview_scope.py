"""Who sees which overview (issue 18): a place outside the user's place scope is a 404 on
its page and its downloads; province and national users see counts, never people
(every people list is empty or refused for them); the crumbs link only to places in
scope.

Two provinces, each with a regency, a puskesmas, a posyandu and a cadre, built on the
empty database (``tests/factories.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from ilp_training import scope
from ilp_training.core.extensions import db
from ilp_training.models import User
from tests import factories as make
from tests.helpers import sign_in


@dataclass(frozen=True)
class Side:
    province: str  # codes and ids of one province's places
    regency: str
    puskesmas: int
    posyandu: int
    cadre: int
    cadre_name: str

    def pages(self) -> list[str]:
        return [f"/overview/province/{self.province}", f"/overview/regency/{self.regency}",
                f"/overview/puskesmas/{self.puskesmas}", f"/overview/posyandu/{self.posyandu}"]


@dataclass(frozen=True)
class World:
    ours: Side
    theirs: Side
    users: dict[str, str]  # role → login name, all bound to "ours"


def _side(code: str) -> tuple[Side, dict[str, object]]:
    province = make.province(code=code)
    regency = make.district(parent=province)
    puskesmas = make.puskesmas(subdistrict_=make.subdistrict(parent=regency))
    posyandu = make.posyandu(puskesmas_=puskesmas)
    cadre = make.cadre(posyandu_=posyandu, full_name=f"Wa Ode Rahasia {code}")
    side = Side(province.code, regency.code, puskesmas.id, posyandu.id, cadre.id,
                cadre.full_name)
    return side, {"province": province, "regency": regency, "puskesmas": puskesmas,
                  "village": posyandu.village}


@pytest.fixture
def world(empty_app) -> World:
    with empty_app.app_context():
        ours, places = _side("74")
        theirs, _other = _side("73")
        users = {
            "province": make.province_user(places["province"]).username,
            "national": make.national_user().username,
            "admin": make.admin(places["regency"]).username,
            "coordinator": make.coordinator(places["puskesmas"]).username,
            "village_head": make.village_head(places["village"]).username,
        }
        db.session.commit()
    return World(ours, theirs, users)


def _codes(client, urls: list[str]) -> dict[str, int]:
    return {url: client.get(url).status_code for url in urls}


def _downloads(side: Side) -> list[str]:
    return [f"{page}.{fmt}?table={table}" for page in side.pages() for fmt in ("xlsx", "csv")
            for table in ("children", "levels")]


def test_a_province_user_sees_their_province_and_nothing_of_another(world, empty_client):
    sign_in(empty_client, world.users["province"])
    assert set(_codes(empty_client, world.ours.pages()).values()) == {200}
    assert set(_codes(empty_client, _downloads(world.ours)).values()) == {200}
    assert set(_codes(empty_client, world.theirs.pages()).values()) == {404}
    assert set(_codes(empty_client, _downloads(world.theirs)).values()) == {404}
    assert empty_client.get("/overview").status_code == 404
    assert empty_client.get("/overview.xlsx").status_code == 404


def test_a_national_user_sees_every_place(world, empty_client):
    sign_in(empty_client, world.users["national"])
    urls = ["/overview", *world.ours.pages(), *world.theirs.pages()]
    assert set(_codes(empty_client, urls).values()) == {200}
    assert set(_codes(empty_client, _downloads(world.theirs)).values()) == {200}


@pytest.mark.parametrize(("role", "allowed"), [
    ("admin", {1, 2, 3}),  # the regency and below
    ("coordinator", {2, 3}),  # the puskesmas and its posyandu
    ("village_head", {3}),  # the posyandu of the village
])
def test_the_district_roles_see_their_place_and_below(world, empty_client, role, allowed):
    sign_in(empty_client, world.users[role])
    pages = world.ours.pages()
    codes = _codes(empty_client, ["/overview", *pages, *world.theirs.pages()])
    expected = {url: 200 if i in allowed else 404 for i, url in enumerate(pages)}
    assert {url: codes[url] for url in pages} == expected
    assert codes["/overview"] == 404
    assert {codes[url] for url in world.theirs.pages()} == {404}


def test_crumbs_link_only_to_places_in_scope(world, empty_client):
    sign_in(empty_client, world.users["admin"])
    page = empty_client.get(f"/overview/puskesmas/{world.ours.puskesmas}").text
    crumbs = page.split('class="crumbs"')[1].split("</p>")[0]
    assert f'href="/overview/regency/{world.ours.regency}"' in crumbs
    assert 'href="/overview"' not in crumbs and "Indonesia" in crumbs
    assert f'href="/overview/province/{world.ours.province}"' not in crumbs


def test_an_unknown_place_or_bad_input_is_refused_cleanly(world, empty_client):
    sign_in(empty_client, world.users["national"])
    for url in ("/overview/province/99", "/overview/regency/74.99", "/overview/puskesmas/999999",
                "/overview/posyandu/999999", "/overview/province/7", "/overview/regency/74.14.01",
                "/overview/province/74.pdf"):
        assert empty_client.get(url).status_code == 404, url
    for period in ("last-week", "0000-01", "2026-13", "2026-Q5", "x" * 500):
        assert empty_client.get(f"/overview?period={period}").status_code == 400, period
    assert empty_client.get("/overview?period=2026-Q3").status_code == 200
    assert empty_client.get("/overview.csv?table=cadres").status_code == 400


PERIOD = "The period is a month (2026-10), a quarter (2026-Q4) or a year."
TABLE = "Unknown table: choose children, levels, packages or trainings."


@pytest.mark.parametrize(("url", "told"), [
    ("/overview?period=2026-13", PERIOD),
    ("/overview/province/74?period=2026-10&period=x", None),  # the first of repeated values
    ("/overview/regency/{regency}?period=Q4-2026", PERIOD),
    ("/overview.csv?table=cadres", TABLE),
    ("/overview/puskesmas/{puskesmas}.xlsx?table=", TABLE),
])
def test_a_bad_period_or_table_says_what_is_expected(world, empty_client, url, told):
    """The page (and the JSON body) names what the parameter takes, not only "the request
    could not be understood"."""
    sign_in(empty_client, world.users["national"])
    empty_client.post("/language", data={"lang": "en"})
    url = url.format(regency=world.ours.regency, puskesmas=world.ours.puskesmas)
    page = empty_client.get(url)
    if told is None:
        assert page.status_code == 200
        return
    assert page.status_code == 400 and "<html" in page.text
    assert told in page.text.replace("&#39;", "'")
    as_json = empty_client.get(url, headers={"Accept": "application/json"})
    assert as_json.status_code == 400 and as_json.json["error"]["message"] == told


@pytest.mark.parametrize("role", ["province", "national"])
def test_users_above_the_district_see_no_person_anywhere(world, empty_client, empty_app, role):
    """Every list of people is empty or refused, every record a 404, and the overview
    pages never name a cadre."""
    sign_in(empty_client, world.users[role])
    side = world.ours
    for url in ("/posyandu/", "/puskesmas/", "/roster", "/roster/export.csv", "/trainings/",
                *side.pages(), *_downloads(side)):
        response = empty_client.get(url)
        assert response.status_code in (200, 403, 404), url
        assert side.cadre_name.encode() not in response.data, url
    for url in (f"/cadres/{side.cadre}", f"/posyandu/{side.posyandu}/",
                f"/puskesmas/{side.puskesmas}"):
        assert empty_client.get(url).status_code == 404, url
    for url in ("/certificates/", "/incentives/", "/admin/users", "/imports/"):
        assert empty_client.get(url).status_code in (403, 404), url
    with empty_app.app_context():
        user = db.session.scalars(sa.select(User).where(
            User.username == world.users[role])).one()
        assert not scope.sees_people(user)
        for model in scope._RULES:
            rows = db.session.scalars(scope.scoped(model, user)).all()
            assert rows == ([user] if model is User else []), model.__name__


def test_the_district_roles_still_see_their_people(world, empty_client):
    """The same lists that are empty above the district hold the cadre for the admin."""
    sign_in(empty_client, world.users["admin"])
    assert world.ours.cadre_name in empty_client.get("/roster").text
    page = empty_client.get(f"/overview/posyandu/{world.ours.posyandu}").text
    assert f'href="/posyandu/{world.ours.posyandu}/"' in page  # the existing posyandu page
    assert world.ours.cadre_name not in page  # the overview itself names no one


def test_a_province_users_posyandu_overview_does_not_link_to_its_cadres(world, empty_client):
    sign_in(empty_client, world.users["province"])
    page = empty_client.get(f"/overview/posyandu/{world.ours.posyandu}").text
    assert f'href="/posyandu/{world.ours.posyandu}/"' not in page
