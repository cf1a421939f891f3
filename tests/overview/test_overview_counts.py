"""The overview's figures equal the records (issue 18): on a built province, each page
and each download shows the counts a plain count of the records gives (levels,
packages, BPJS-TK, certificates, trainings and the test gain, villages and approved
summaries), with the empty states of a place without cadres in both languages; and a
page runs as many queries for 30 children as for 3.

Built on the empty database with ``tests/factories.py`` through the services, so the
counts the pages read are those the rollups kept in the same transactions."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from conftest import count_queries
from openpyxl import load_workbook

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.incentives.rules import Period
from ilp_training.incentives.services.summaries import approve_summary
from ilp_training.models import (
    Cadre,
    CadreSkill,
    CadreStatus,
    Certificate,
    CertificateStatus,
    Posyandu,
    Puskesmas,
)
from tests import factories as make
from tests.helpers import page_text, sign_in


@dataclass(frozen=True)
class Built:
    province: str
    regencies: tuple[str, str]
    puskesmas: int
    empty_regency: str
    viewer: str
    period: str


@pytest.fixture
def built(empty_app) -> Built:
    """Province 74: regency one has a puskesmas over two villages with two posyandu
    (1 Utama, 1 Madya, 2 Purwa, 1 assessed without a level, 1 not assessed; 2 with BPJS-TK
    at the second posyandu), two certificates, a finished training with three tests and
    one village's approved summary; regency two has one Madya cadre; regency three has
    no cadre. Province 73 has one Purwa cadre (never counted in 74)."""
    with empty_app.app_context():
        province = make.province(code="74")
        one, two, three = (make.district(parent=province) for _ in range(3))
        kec = make.subdistrict(parent=one)
        villages = [make.village(parent=kec), make.village(parent=kec)]
        puskesmas = make.puskesmas(subdistrict_=kec, villages=villages)
        first = make.posyandu(puskesmas_=puskesmas, village_=villages[0])
        second = make.posyandu(puskesmas_=puskesmas, village_=villages[1])
        utama = make.cadre_at_level("utama", posyandu_=first)
        madya = make.cadre_at_level("madya", posyandu_=first)
        purwa = [make.cadre_at_level("purwa", posyandu_=first) for _ in range(2)]
        make.cadre_at_level(None, posyandu_=first)
        make.cadre(posyandu_=second, bpjs_tk_enrolled=True)
        make.cadre(posyandu_=second, bpjs_tk_enrolled=True)
        make.certificate(utama)
        make.certificate(madya)
        make.finished_training([utama, *purwa], scores={utama.id: (50, 80), purwa[0].id: (60, 70),
                                                        purwa[1].id: (40, 90)})
        make.scheme(one)
        period = Period.month_before(local_today())
        approve_summary(make.village_head(villages[0]), villages[0], period)
        make.cadre_at_level("madya", posyandu_=make.posyandu(puskesmas_=make.puskesmas(
            subdistrict_=make.subdistrict(parent=two))))
        make.puskesmas(subdistrict_=make.subdistrict(parent=three))
        make.cadre_at_level("purwa", posyandu_=make.posyandu(puskesmas_=make.puskesmas(
            subdistrict_=make.subdistrict(parent=make.district(parent=make.province(code="73"))))))
        viewer = make.province_user(province).username
        db.session.commit()
        return Built(province.code, (one.code, two.code), puskesmas.id, three.code, viewer,
                     period.key)


def _in_province(code: str) -> sa.ColumnElement[bool]:
    """Cadres of the posyandu whose puskesmas lies in a regency of ``code``."""
    from ilp_training.models import Region

    regencies = sa.select(Region.id).where(Region.code.startswith(code + "."))
    served = sa.select(Puskesmas.id).where(Puskesmas.district_id.in_(regencies))
    return Cadre.posyandu_id.in_(sa.select(Posyandu.id).where(Posyandu.puskesmas_id.in_(served)))


def _expected(code: str) -> dict[str, object]:
    """The figures of the place ``code`` counted from the records, plainly."""
    active = db.session.scalars(sa.select(Cadre).where(
        _in_province(code), Cadre.status == CadreStatus.ACTIVE)).all()
    levels: dict[str | None, int] = {}
    for cadre in active:
        levels[cadre.level_code] = levels.get(cadre.level_code, 0) + 1
    fw = make.framework()
    mastered = {(s.cadre_id, s.skill_code) for s in db.session.scalars(sa.select(CadreSkill))}
    packages = {p.code: sum(all((c.id, s.code) in mastered for s in p.skills) for c in active)
                for p in fw.packages}
    certificates = db.session.scalar(sa.select(sa.func.count(Certificate.id)).join(Cadre).where(
        _in_province(code), Certificate.status == CertificateStatus.VALID))
    return {"cadres": len(active), "levels": levels, "packages": packages,
            "bpjs": sum(c.bpjs_tk_enrolled for c in active), "certificates": certificates}


def test_the_province_page_shows_the_counts_of_the_records(built, empty_app, empty_client):
    with empty_app.app_context():
        want = _expected(built.province)
    assert want["levels"] == {"utama": 1, "madya": 2, "purwa": 2, None: 3}  # the set as built
    assert want["cadres"] == 8 and want["bpjs"] == 2 and want["certificates"] == 2
    sign_in(empty_client, built.viewer)
    text = page_text(empty_client.get(f"/overview/province/{built.province}").text)
    assert "1 Utama, 2 Madya, 2 Purwa, 3 belum berjenjang" in text
    assert f"{want['cadres']} kader aktif" in text
    assert f"{want['bpjs']} dari {want['cadres']}" in text
    assert "1 dari 2" in text  # villages with an approved summary for the period
    assert "+30" in text  # the mean gain: (30 + 10 + 50) / 3
    for code, n in want["packages"].items():  # type: ignore[union-attr]
        assert f"{code} · " in text and str(n) in text


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_downloads_hold_the_figures_of_the_page(built, empty_app, empty_client):
    sign_in(empty_client, built.viewer)
    base = f"/overview/province/{built.province}"
    rows = _csv(empty_client.get(f"{base}.csv?table=children&lang=en"))
    head, body = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(body) == 4  # three regencies, then the total
    cadres = head[2]
    by_code = {row[head[1]]: row for row in body[:-1]}
    assert by_code[built.regencies[0]][cadres] == "7"
    assert by_code[built.regencies[1]][cadres] == "1"
    assert by_code[built.empty_regency][cadres] == "0"
    assert body[-1][cadres] == "8"
    book = load_workbook(io.BytesIO(empty_client.get(f"{base}.xlsx?table=children").data))
    sheet = [[cell.value for cell in row] for row in book.active.iter_rows()]
    assert [r[2] for r in sheet[1:]] == [int(r[2]) for r in rows[1:]]
    levels = _csv(empty_client.get(f"{base}.csv?table=levels"))
    assert [r[1] for r in levels[1:]] == ["1", "2", "2", "3"]
    trainings = _csv(empty_client.get(f"{base}.csv?table=trainings"))
    assert sum(int(r[1]) for r in trainings[1:]) == 1


def test_a_place_without_cadres_says_so_in_both_languages(built, empty_client):
    sign_in(empty_client, built.viewer)
    url = f"/overview/regency/{built.empty_regency}"
    assert "Belum ada kader aktif" in empty_client.get(url).text
    empty_client.post("/language", data={"lang": "en", "next": url})
    assert "No active cadre is registered here yet." in empty_client.get(url).text


def _regency_with(puskesmas: int) -> tuple[str, int]:
    regency = make.district()
    kec = make.subdistrict(parent=regency)
    for _ in range(puskesmas):
        make.posyandu(puskesmas_=make.puskesmas(subdistrict_=kec))
    return regency.code, make.admin(regency).id


def test_a_page_runs_as_many_queries_for_thirty_children_as_for_three(empty_app, empty_client):
    with empty_app.app_context():
        small, large = _regency_with(3), _regency_with(30)
        viewer = make.national_user().username
        db.session.commit()
    sign_in(empty_client, viewer)
    counts = []
    for code, _admin in (small, large):
        url = f"/overview/regency/{code}"
        empty_client.get(url)  # warm: the first request loads what every request caches
        with count_queries(empty_app) as statements:
            assert empty_client.get(url).status_code == 200
            assert empty_client.get(f"{url}.csv?table=children").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 20, counts
