"""The offline app's page, service worker and manifest as the site serves them."""

from __future__ import annotations

import sqlalchemy as sa
from conftest import login, posyandu_named

from ilp_training.core.extensions import db
from ilp_training.models import Posyandu
from ilp_training.scope import scoped


def test_the_page_lists_the_posyandu_of_the_users_area_only(client, app):
    login(client, "pelatih")
    page = client.get("/offline/")
    assert page.status_code == 200
    with app.test_request_context():
        from conftest import user_named

        mine = db.session.scalars(scoped(Posyandu, user_named("pelatih"))).all()
        others = db.session.scalars(sa.select(Posyandu).where(
            Posyandu.id.not_in([p.id for p in mine]))).all()
        anggrek = posyandu_named("Anggrek").id
    assert f'name="posyandu" value="{anggrek}"' in page.text
    assert len(mine) == page.text.count('name="posyandu"')
    assert others and all(f'value="{p.id}"' not in page.text for p in others)
    assert 'rel="manifest"' in page.text and "offline.js" in page.text
    assert "NIK" in page.text  # the page says what is not kept


def test_a_village_head_cannot_open_it_and_anonymous_is_sent_to_sign_in(client):
    response = client.get("/offline/")
    assert response.status_code == 302 and "/login" in response.location
    login(client, "kades.lalibo")
    assert client.get("/offline/").status_code == 403


def test_the_service_worker_and_manifest_are_served_with_their_scope(client):
    worker = client.get("/offline/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert "Content-Security-Policy" in worker.headers
    assert worker.data.index(b"function keptPageFetch(") < worker.data.index(
        b'keptPageFetch(CACHE, PAGE, ["/api/"])')
    manifest = client.get("/offline/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["start_url"] == body["scope"] == "/offline/"


def test_signing_out_carries_the_outbox_warning(client):
    login(client, "pelatih")
    page = client.get("/").text
    assert "data-outbox-warning=" in page and "js/outbox.js" in page
