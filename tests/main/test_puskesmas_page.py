"""The puskesmas page (its pustu, what each serves, its villages and posyandu) and the
start page's counts (issue 15, item 1)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from conftest import count_queries, login, posyandu_named

from ilp_training.core.extensions import db
from ilp_training.models import Puskesmas


def _text(response) -> str:
    html = response.get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _puskesmas_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Puskesmas.id).where(Puskesmas.name == name))


def test_start_page_counts_pustu_posyandu_and_cadres(client):
    login(client, "koordinator")
    text = _text(client.get("/"))
    assert "1 pustu" in text and "8 posyandu ILP" in text and "74 kader aktif" in text


def test_puskesmas_page_shows_its_pustu_and_what_each_serves(client, app):
    login(client, "koordinator")
    pid = _puskesmas_id(app, "Mawasangka Tengah")
    index = client.get("/").get_data(as_text=True)
    assert f'href="/puskesmas/{pid}"' in index  # the start page leads there
    listing = client.get("/posyandu/").get_data(as_text=True)
    assert f'href="/puskesmas/{pid}"' in listing  # and so does the posyandu list
    response = client.get(f"/puskesmas/{pid}")
    assert response.status_code == 200
    text = _text(response)
    assert "Pustu Lantongau" in text
    section = text.split("Pustu Lantongau", 1)[1].split("Desa dan posyandu")[0]
    assert "Melayani: Lantongau" in section
    assert "Posyandu Cempaka" in section and "Posyandu Mawar" in section
    assert "Anggrek" not in section  # Lalibo has no pustu: served by the puskesmas itself
    table = text.split("Desa dan posyandu", 1)[1]
    assert re.search(r"Lalibo langsung oleh puskesmas Anggrek \(14\) , Melati \(9\)", table)
    assert re.search(r"Lantongau Pustu Lantongau Cempaka \(9\) , Mawar \(9\)", table)
    assert "1 pustu" in text and "8 posyandu ILP" in text and "74 kader aktif" in text


def test_puskesmas_page_in_english(client, app):
    login(client, "koordinator")
    client.post("/language", data={"lang": "en", "next": "/"})
    text = _text(client.get(f"/puskesmas/{_puskesmas_id(app, 'Mawasangka Tengah')}"))
    assert "Serves: Lantongau" in text and "the puskesmas directly" in text


def test_admin_lists_every_puskesmas_with_counts(client, app):
    login(client, "admin")
    text = _text(client.get("/puskesmas/"))
    assert re.search(r"Mawasangka Tengah 1 8 74", text)
    assert text.count("Puskesmas") >= 1 and "Lakudo" in text


def test_other_puskesmas_is_not_found(client, app):
    login(client, "koordinator.lakudo")
    assert client.get(f"/puskesmas/{_puskesmas_id(app, 'Mawasangka Tengah')}").status_code == 404


def test_village_head_sees_only_their_village(client, app):
    login(client, "kades.lalibo")
    text = _text(client.get(f"/puskesmas/{_puskesmas_id(app, 'Mawasangka Tengah')}"))
    assert "Anggrek" in text and "Melati" in text
    assert "Kenanga" not in text and "Pustu Lantongau" not in text


def test_puskesmas_page_query_count(client, app):
    login(client, "admin")
    pid = _puskesmas_id(app, "Mawasangka Tengah")
    with app.app_context():
        assert posyandu_named("Anggrek") is not None
    with count_queries(app) as statements:
        assert client.get(f"/puskesmas/{pid}").status_code == 200
    # the user's sign-in (2), the puskesmas, posyandu, pustu, catchment villages, and
    # the lazily loaded kecamatan and district of the lead line
    assert len(statements) <= 10, statements
