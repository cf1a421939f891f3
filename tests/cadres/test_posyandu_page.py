"""The posyandu page: cadres with their levels and the number that tells namesakes apart;
for assessors, "Assess at this posyandu" (issue 15, items 2 and 3); the next-level
explanation's wording (item 9)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import login, posyandu_named

from ilp_training.cadres import cadre_label, cadre_number
from ilp_training.core.extensions import db
from ilp_training.models import Cadre

pytestmark = pytest.mark.dates


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _namesakes(app) -> tuple[int, list[int]]:
    with app.app_context():
        kenanga = posyandu_named("Kenanga")
        ids = list(db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == kenanga.id, Cadre.full_name == "Wa Lina Saleh")
            .order_by(Cadre.id)))
        return kenanga.id, ids


def test_the_number_is_the_registry_id_and_nothing_personal():
    assert cadre_number(49) == "K-000049" and cadre_number(1234567) == "K-1234567"
    assert cadre_label("Wa Lina Saleh", 49) == "Wa Lina Saleh · K-000049"


def test_trainer_sees_levels_and_the_assess_action(client, app):
    with app.app_context():
        anggrek = posyandu_named("Anggrek").id
    login(client, "pelatih")
    html = client.get(f"/posyandu/{anggrek}/").text
    action = f'href="/posyandu/{anggrek}/assessments/new"'
    assert action in html and "Nilai di posyandu ini" in html
    text = _text(html)
    assert text.count("Madya") >= 4 and "Utama" in text and text.count("Purwa") >= 9
    assert client.get(f"/posyandu/{anggrek}/assessments/new").status_code == 200


def test_village_head_sees_no_assess_action(client, app):
    with app.app_context():
        anggrek = posyandu_named("Anggrek").id
    login(client, "kades.lalibo")
    html = client.get(f"/posyandu/{anggrek}/").text
    assert "/assessments/new" not in html and "Purwa" in _text(html)


def test_namesakes_are_told_apart_in_every_list(client, app):
    kenanga, ids = _namesakes(app)
    assert len(ids) == 2  # the demo's two Wa Lina Saleh at Kenanga
    numbers = [cadre_number(i) for i in ids]
    login(client, "koordinator")
    pages = {"posyandu page": f"/posyandu/{kenanga}/",
             "roster": f"/roster?posyandu={kenanga}",
             "checklist": f"/posyandu/{kenanga}/assessments/new"}
    for name, url in pages.items():
        text = _text(client.get(url).text)
        for number in numbers:
            assert re.search(rf"Wa Lina Saleh\s*(·\s*)?{number}", text), (name, number)
    response = client.post(f"/posyandu/{kenanga}/assessments/new", data={
        "assessed_on": "2026-11-20", "setting": "posyandu_day", "method": "observation",
        "cadres": ids})
    assert response.status_code == 302, response.text[:400]
    session_url = response.location
    text = _text(client.get(session_url).text)
    for number in numbers:
        assert f"Wa Lina Saleh {number}" in text
    grid = _text(client.get(f"{session_url}/skills/A1").text)
    for number in numbers:
        assert f"Wa Lina Saleh {number}" in grid


def test_next_level_explanation_starts_with_a_sentence(client, app):
    """A Purwa cadre needs no particular package for Madya, only one more of her choice:
    the line must not start with "dan" (and)."""
    with app.app_context():
        cadre_id = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.level_code == "purwa", Cadre.posyandu_id == posyandu_named("Anggrek").id)
            .order_by(Cadre.id)).first()
    login(client, "koordinator")
    text = _text(client.get(f"/cadres/{cadre_id}").text)
    after = text.split("Untuk mencapai Madya", 1)[1].strip()
    assert after.startswith("Tuntaskan 1 paket lagi"), after[:80]
    client.post("/language", data={"lang": "en", "next": "/"})
    text = _text(client.get(f"/cadres/{cadre_id}").text)
    assert text.split("To reach Madya", 1)[1].strip().startswith("Complete 1 more package")
