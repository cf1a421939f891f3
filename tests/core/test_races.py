"""Requests released together against a live server: every loser of a race gets the
ordinary answer (a form error, "already saved"), never a 500, and exactly one record is
stored (``tests/live.py``)."""

from __future__ import annotations

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import Region, RegionLevel, User
from tests.live import race


def _village_id(live, name: str) -> int:
    with live.context():
        return db.session.scalar(sa.select(Region.id).where(
            Region.level == RegionLevel.VILLAGE, Region.name == name))


def test_the_same_user_name_registered_six_times_at_once(live):
    place = f"village:{_village_id(live, 'Lantongau')}"
    admins = [live.client("admin") for _ in range(6)]
    responses = race(6, lambda i: admins[i].post("/admin/users/new", data={
        "username": "kades.lantongau", "display_name": f"Kepala Desa {i}",
        "role": "village_head", "place": place, "locale": "id",
        "password": "a-long-enough-password"}))
    codes = sorted(r.status_code for r in responses)
    assert 500 not in codes, [r.text[:300] for r in responses if r.status_code == 500]
    assert codes.count(302) == 1, codes
    with live.context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
            User.username == "kades.lantongau")) == 1
