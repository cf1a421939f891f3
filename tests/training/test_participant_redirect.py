"""Adding cadres to an event redirects back to the participants page with the candidate
filters of the request, and only those: a query parameter named like one of url_for's
own options (``_scheme``, ``_external``, ``_anchor``, ``_method``) is not one."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from conftest import posyandu_named

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import Cadre, CadreStatus

pytestmark = pytest.mark.dates


def _event_and_cadre(client, app) -> tuple[int, int]:
    with app.app_context():
        start = local_today() + timedelta(days=7)
        cadre = db.session.scalar(sa.select(Cadre.id).where(
            Cadre.posyandu_id == posyandu_named("Anggrek").id,
            Cadre.status == CadreStatus.ACTIVE).order_by(Cadre.id))
    response = client.post("/trainings/new", data={
        "type": "refresher", "title": "Penyegaran (uji)", "organiser": "puskesmas",
        "venue": "Aula", "start_date": start.isoformat(), "end_date": start.isoformat(),
        "capacity": "20", "pass_mark": "70", "skills": ["D1"]})
    assert response.status_code == 302, response.text[:1000]
    return int(re.search(r"/trainings/(\d+)/participants", response.location).group(1)), cadre


@pytest.mark.parametrize("option", ["_scheme=javascript", "_external=1", "_anchor=x",
                                    "_method=DELETE"])
def test_adding_cadres_keeps_the_filters_and_not_url_options(as_coordinator, app, option):
    event_id, cadre = _event_and_cadre(as_coordinator, app)
    response = as_coordinator.post(
        f"/trainings/{event_id}/participants?level=purwa&q=a&{option}",
        data={"cadres": [cadre]})
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert (target.scheme, target.netloc, target.fragment) == ("", "", "")
    assert target.path == f"/trainings/{event_id}/participants"
    assert parse_qs(target.query) == {"level": ["purwa"], "q": ["a"]}
