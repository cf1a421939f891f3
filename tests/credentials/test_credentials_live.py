"""Status-list indexes against a live site (``tests/live.py``): certificates issued at
the same moment by separate requests each get their own bit of the issuer's list."""

from __future__ import annotations

import sqlalchemy as sa

from ilp_training.certificates.services.issuing import due_clause
from ilp_training.core.extensions import db
from ilp_training.models import Cadre, Certificate, Posyandu, StatusListCounter, User
from tests.live import race


def test_certificates_issued_at_once_get_distinct_status_indexes(live):
    with live.context():
        puskesmas_id = db.session.scalar(sa.select(User.puskesmas_id).where(
            User.username == "koordinator"))
        cadres = db.session.scalars(
            sa.select(Cadre.id).join(Posyandu, Posyandu.id == Cadre.posyandu_id)
            .where(Posyandu.puskesmas_id == puskesmas_id, due_clause())
            .order_by(Cadre.id).limit(6)).all()
    assert len(cadres) == 6
    browsers = [live.client("koordinator") for _ in cadres]
    responses = race(6, lambda i: browsers[i].post(f"/cadres/{cadres[i]}/certificate",
                                                   data={"language": "id"}))
    assert [r.status_code for r in responses] == [302] * 6, \
        [r.text[:300] for r in responses if r.status_code != 302]
    with live.context():
        rows = db.session.execute(sa.select(
            Certificate.credential_issuer, Certificate.status_index,
            Certificate.credential_jwt.is_not(None))
            .where(Certificate.cadre_id.in_(cadres))).all()
        last = db.session.scalar(sa.select(StatusListCounter.last).where(
            StatusListCounter.issuer_code == "74.14"))
    assert len(rows) == 6 and all(signed for _issuer, _index, signed in rows)
    assert {issuer for issuer, _i, _s in rows} == {"74.14"}
    assert sorted(index for _issuer, index, _s in rows) == list(range(6))
    assert last == 6
