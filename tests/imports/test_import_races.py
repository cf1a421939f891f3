"""A confirmation sent twice at once (a double click, two tabs) against a live server:
the file is applied once, the other request gets the ordinary answer, never a 500."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import AuditEntry, Cadre, ImportJob, ImportStatus
from tests.imports.helpers import workbook
from tests.imports.test_cadres_import import cadre_row
from tests.live import race

pytestmark = pytest.mark.dates


def _upload(browser, rows) -> int:
    response = browser.post("/imports/cadres", files={
        "cadres-file": ("kader.xlsx", workbook(rows))})
    assert response.status_code == 302, response.text[:500]
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def _counts(live, prefix: str) -> tuple[int, int, str]:
    with live.context():
        cadres = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.full_name.like(f"{prefix}%"))).all()
        audits = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.entity == "cadre", AuditEntry.entity_id.in_(cadres)))
        return len(cadres), audits


def _status(live, ident: int) -> ImportStatus:
    with live.context():
        return db.session.get(ImportJob, ident).status


@pytest.mark.parametrize("count", [3, 301])  # applied in the request; by the worker
def test_a_confirmation_sent_twice_at_once_applies_the_file_once(live, count):
    browser = live.client("koordinator")
    rows = [cadre_row(f"Balapan {i:03d}", date(1985, 1, 1) + timedelta(days=i), seq=i + 1)
            for i in range(count)]
    for row in rows[:3]:  # without NIK: no unique key would catch a second copy
        row[3] = row[5] = ""
    ident = _upload(browser, rows)
    assert _status(live, ident) == ImportStatus.CHECKED
    responses = race(4, lambda _i: browser.post(f"/imports/jobs/{ident}/apply"))
    assert [r.status_code for r in responses] == [302] * 4
    assert _status(live, ident) == ImportStatus.DONE
    assert _counts(live, "Balapan") == (count, count)
    page = browser.get(f"/imports/jobs/{ident}")
    assert page.status_code == 200
