"""The factories build valid records through the services, on the empty database."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ilp_training.cadres.nik import check_nik
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import (
    Cadre,
    CertificateStatus,
    LevelChange,
    Outcome,
    Region,
    Role,
    Sex,
    TrainingStatus,
)
from tests import factories as make

pytestmark = pytest.mark.dates


def test_the_empty_database_has_no_demo(db_session):
    assert make.count(Region) == 0 and make.count(Cadre) == 0


def test_a_posyandu_brings_its_whole_hierarchy(db_session):
    posyandu = make.posyandu()
    village = posyandu.village
    kecamatan = village.parent
    assert posyandu.puskesmas.villages == [village]
    assert posyandu.puskesmas.subdistrict is kecamatan
    assert [r.code for r in (village, kecamatan, kecamatan.parent, kecamatan.parent.parent)] \
        == ["74.01.01.2001", "74.01.01", "74.01", "74"]
    assert village.kind == "desa" and kecamatan.parent.kind == "kabupaten"
    second = make.village(parent=kecamatan)
    assert second.code == "74.01.01.2002"
    assert make.province().code != "74"
    assert make.pustu(puskesmas_=posyandu.puskesmas).village is village


def test_users_are_bound_to_their_place(db_session):
    puskesmas = make.puskesmas()
    coordinator = make.coordinator(puskesmas)
    assert coordinator.role == Role.COORDINATOR and coordinator.puskesmas_id == puskesmas.id
    assert coordinator.check_password(make.PASSWORD)
    assert make.admin().district.level.value == "regency"
    assert make.village_head().village.level.value == "village"
    assert make.trainer().puskesmas is not None


@pytest.mark.parametrize("sex", [Sex.FEMALE, Sex.MALE])
def test_a_cadres_nik_agrees_with_birth_date_and_sex(db_session, sex):
    cadre = make.cadre(sex=sex)
    assert check_nik(cadre.nik, cadre.birth_date, sex == Sex.FEMALE)
    assert cadre.nik[:6] == cadre.posyandu.village.code.replace(".", "")[:6]
    assert make.cadre(nik=None).nik is None
    assert len(cadre.assignments) == 1 and cadre.is_active


@pytest.mark.parametrize(("level", "badges"), [(None, 4), ("purwa", 17), ("madya", 20),
                                               ("utama", 25)])
def test_an_assessed_cadre_reaches_its_level(db_session, level, badges):
    cadre = make.cadre_at_level(level)
    assert (cadre.level_code, cadre.badge_count) == (level, badges)
    changes = db.session.scalars(sa.select(LevelChange).where(LevelChange.cadre_id == cadre.id))
    assert [c.level_code for c in changes] == ([level] if level else [])


def test_a_finished_training_sets_outcomes(db_session):
    cadres = make.cadres(3)
    event = make.finished_training(cadres, absent={cadres[0].id},
                                   scores={cadres[1].id: (40, 50)})
    assert event.status == TrainingStatus.FINISHED
    outcomes = {p.cadre_id: p.outcome for p in event.participants}
    assert outcomes == {cadres[0].id: Outcome.NOT_COMPLETED, cadres[1].id: Outcome.NOT_COMPLETED,
                        cadres[2].id: Outcome.COMPLETED}
    assert make.training(district_wide=True).puskesmas_id is None


def test_incentive_records(db_session):
    posyandu = make.posyandu()
    cadre = make.cadre(posyandu_=posyandu)
    scheme = make.scheme(make.district_of(posyandu))
    day = local_today() - timedelta(days=40)
    opening = make.opening_day(posyandu, day, [cadre])
    make.home_visits(posyandu, day, {cadre: 3})
    assert scheme.base_amount == 250_000 and opening.posyandu_id == posyandu.id


def test_a_certificate_is_issued(db_session):
    cadre = make.cadre_at_level("madya")
    cert = make.certificate(cadre)
    assert cert.status == CertificateStatus.VALID and cert.level_code == "madya"
    assert cert.serial and cert.pdf.startswith(b"%PDF")
