"""What a certificate says in each language (issue 15, items 6 and 9): package, skill and
level names in the reader's language on the certificate and public pages, the assessing
puskesmas on both lines of the PDF, and the issued list in serial order."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import login, pdf_text, posyandu_named

from ilp_training.core.extensions import db
from ilp_training.models import Cadre, Certificate

pytestmark = pytest.mark.dates


def _cadres(app, level: str, count: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Cadre.id).where(
            Cadre.level_code == level, Cadre.posyandu_id == posyandu_named("Anggrek").id)
            .order_by(Cadre.id).limit(count)))


def _issue(client, cadre_id: int, language: str = "id") -> int:
    response = client.post(f"/cadres/{cadre_id}/certificate", data={"language": language})
    assert response.status_code == 302, response.text[:300]
    return int(response.location.rsplit("/", 1)[-1])


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_certificate_pages_name_the_curriculum_in_the_readers_language(client, app):
    login(client, "koordinator")
    cert_id = _issue(client, _cadres(app, "madya", 1)[0])
    with app.app_context():
        code = db.session.get(Certificate, cert_id).verify_code
    client.post("/language", data={"lang": "en", "next": "/"})
    for url in (f"/certificates/{cert_id}", f"/v/{code}"):
        text = _text(client.get(url).text)
        assert "A Posyandu management" in text, url  # the package, in English
        assert "Pengelolaan Posyandu" not in text, url
        html = client.get(url).text  # a skill's name is the title of its code
        assert 'title="Understand posyandu management under ILP"' in html, url
        assert "Memahami pengelolaan" not in html, url
    client.post("/language", data={"lang": "id", "next": "/"})
    text = _text(client.get(f"/v/{code}").text)
    assert "A Pengelolaan Posyandu" in text and "Posyandu management" not in text


@pytest.mark.parametrize("language", ["id", "en"])
def test_both_lines_of_the_certificate_name_who_assessed(client, app, language):
    login(client, "koordinator")
    cert_id = _issue(client, _cadres(app, "madya", 1)[0], language)
    text = " ".join(pdf_text(client.get(f"/certificates/{cert_id}.pdf").data).split())
    assert "dengan penilaian oleh Puskesmas Mawasangka Tengah" in text or \
        text.count("Puskesmas Mawasangka Tengah") >= 2
    english = re.search(r"having mastered these basic skills, assessed by (\S+ \S+ \S+)", text)
    assert english and english.group(1) == "Puskesmas Mawasangka Tengah", text[:800]


def test_issued_certificates_are_listed_in_serial_order(client, app):
    login(client, "koordinator")
    cadres = _cadres(app, "purwa", 3)
    for cadre_id in cadres:
        _issue(client, cadre_id)
    with app.app_context():  # a bulk job's certificates share one issue time: so here
        rows = db.session.scalars(sa.select(Certificate).where(Certificate.cadre_id.in_(cadres))
                                  .order_by(Certificate.serial)).all()
        same = rows[0].issued_at
        for cert in rows:
            cert.issued_at = same
        # and one issued later carries a later time but an earlier serial must not win
        rows[0].issued_at = same.replace(year=same.year + 1)
        db.session.commit()
        serials = [c.serial for c in rows]
    html = client.get("/certificates/").text
    html = html[html.index("<tbody"):]  # after the flashed "issued" messages
    shown = list(dict.fromkeys(s for s in re.findall(r"7414-\d{4}-\d{6}", html) if s in serials))
    assert shown == sorted(serials, reverse=True)
