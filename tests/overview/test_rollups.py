"""The overview's counts (``rollup_counts``) stay equal to the records: after a random
sequence of changes made through the real services (assessments that promote and
demote, corrections, moves between regencies, deactivation, BPJS-TK, certificates
issued, superseded and revoked, trainings with tests, summaries approved and re-opened,
a posyandu changing puskesmas), every stored place equals ``from_records`` after every
commit, and ``rebuild()`` leaves the rows unchanged."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ilp_training.cadres.services import (
    CadreData,
    deactivate_cadre,
    move_cadre,
    reactivate_cadre,
    update_cadre,
)
from ilp_training.certificates.services.issuing import revoke_certificate
from ilp_training.core.curricula import framework_for
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.incentives.rules import Period, PeriodKind
from ilp_training.incentives.services.summaries import approve_summary, reopen_summary
from ilp_training.models import (
    Assessment,
    Cadre,
    CadreStatus,
    Certificate,
    CertificateKind,
    CertificateStatus,
    IncentiveSummary,
    Posyandu,
    Puskesmas,
    Region,
    RollupCount,
    SummaryStatus,
    User,
)
from ilp_training.overview import rollups
from ilp_training.overview.rollups import (
    NATIONAL,
    Figures,
    PlaceKey,
    PlaceLevel,
    child_figures,
    children_of,
    figures,
    from_records,
)
from ilp_training.scoring.services import correct_assessment
from tests import factories as make

# --- checks -----------------------------------------------------------------------------


def _places() -> list[PlaceKey]:
    """Every place from the nation down to the posyandu (children_of, recursively)."""
    found, todo = [], [NATIONAL]
    while todo:
        place = todo.pop()
        found.append(place)
        todo.extend(children_of(place))
    return found


def assert_true_everywhere() -> None:
    """Every place's figures, and its children's, equal the records; no stored row
    differs from them."""
    assert rollups.differences() == []
    for place in _places():
        assert figures(place) == from_records(place), place
        kids = children_of(place)
        assert child_figures(place, kids) == {k: from_records(k) for k in kids}, place


def _stored() -> dict[tuple, int]:
    return {(str(r.level), r.place_id, r.parent_id, str(r.metric), r.item): r.value
            for r in db.session.scalars(sa.select(RollupCount)) if r.value}


# --- a small country ----------------------------------------------------------------------


@dataclass
class World:
    puskesmas: list[Puskesmas]
    posyandu: list[Posyandu]
    trainer: dict[int, User]  # puskesmas id → trainer
    coordinator: dict[int, User]
    admin: dict[int, User]  # district id → admin
    head: dict[int, User]  # village id → village head
    serial: list[int] = field(default_factory=lambda: [0])

    def key(self, prefix: str) -> str:
        self.serial[0] += 1
        return f"{prefix}-{self.serial[0]}"


def _world() -> World:
    """Two provinces, two regencies each, one or two puskesmas per regency with one
    village each, two posyandu per puskesmas, three cadres per posyandu."""
    puskesmas, posyandu = [], []
    for _p in range(2):
        province = make.province()
        for r in range(2):
            district = make.district(parent=province)
            kecamatan = make.subdistrict(parent=district)
            for _k in range(1 + r):
                puskesmas.append(make.puskesmas(subdistrict_=kecamatan))
    for k in puskesmas:
        for _n in range(2):
            posyandu.append(make.posyandu(puskesmas_=k))
    for p in posyandu:
        make.cadres(3, posyandu_=p, bpjs_tk_enrolled=random.Random(p.id).random() < 0.5)
    districts = {k.district_id for k in puskesmas}
    world = World(
        puskesmas, posyandu,
        trainer={k.id: make.trainer(k) for k in puskesmas},
        coordinator={k.id: make.coordinator(k) for k in puskesmas},
        admin={d: make.admin(db.session.get(Region, d)) for d in districts},
        head={k.villages[0].id: make.village_head(k.villages[0]) for k in puskesmas})
    for d in districts:
        make.scheme(db.session.get(Region, d), actor=world.admin[d])
        make.certificate_settings(db.session.get(Region, d))
    return world


# --- the changes ----------------------------------------------------------------------------


def _active(rng: random.Random) -> Cadre | None:
    ids = db.session.scalars(sa.select(Cadre.id).where(Cadre.status == CadreStatus.ACTIVE)
                             .order_by(Cadre.id)).all()
    return db.session.get(Cadre, rng.choice(ids)) if ids else None


def _puskesmas_of(cadre: Cadre) -> int:
    return db.session.get(Posyandu, cadre.posyandu_id).puskesmas_id


def assess(world: World, rng: random.Random) -> None:
    """Some packages mastered, some skills failed: a promotion or a demotion."""
    cadre = _active(rng)
    fw = make.framework()
    packages = "".join(rng.sample("ABCDE", rng.randint(0, 5)))
    mastered = make.skills_of(packages)
    others = [s.code for s in fw.skills if s.code not in mastered]
    not_yet = rng.sample(others, min(len(others), rng.randint(0 if mastered else 1, 3)))
    day = local_today() - timedelta(days=rng.randint(0, 60))
    make.assess(cadre, mastered, not_yet=not_yet, assessor=world.trainer[_puskesmas_of(cadre)],
                on=day, key=world.key("assess"))


def correct(world: World, rng: random.Random) -> None:
    """A correction that turns the outcome of one assessment around."""
    superseded = sa.select(Assessment.supersedes_id).where(Assessment.supersedes_id.is_not(None))
    ids = db.session.scalars(sa.select(Assessment.id).where(
        Assessment.session_id.is_not(None), Assessment.id.not_in(superseded))
        .order_by(Assessment.id)).all()
    if not ids:
        return assess(world, rng)
    original = db.session.get(Assessment, rng.choice(ids))
    fw = framework_for(original.framework_id, original.framework_version)
    skill = fw.skill(original.skill_code)
    scores = {i.code: fw.scale.max for i in skill.indicators}
    if original.competent:
        scores[skill.indicators[0].code] = 0
    cadre = db.session.get(Cadre, original.cadre_id)
    correct_assessment(world.trainer[_puskesmas_of(cadre)], original, scores, None,
                       "Salah catat", world.key("fix"), fw)
    return None


def move(world: World, rng: random.Random) -> None:
    """To a posyandu of another regency."""
    cadre = _active(rng)
    here = db.session.get(Posyandu, cadre.posyandu_id)
    district = db.session.get(Puskesmas, here.puskesmas_id).district_id
    targets = [p for p in world.posyandu
               if db.session.get(Puskesmas, p.puskesmas_id).district_id != district]
    move_cadre(None, cadre, rng.choice(targets), local_today(), local_today())


def deactivate_or_reactivate(world: World, rng: random.Random) -> None:
    cadre = db.session.get(Cadre, rng.choice(db.session.scalars(
        sa.select(Cadre.id).order_by(Cadre.id)).all()))
    if cadre.is_active:
        deactivate_cadre(None, cadre, "Pindah domisili", local_today(), local_today())
    else:
        reactivate_cadre(None, cadre, local_today(), local_today())


def bpjs(world: World, rng: random.Random) -> None:
    cadre = _active(rng)
    enrolled = not cadre.bpjs_tk_enrolled
    update_cadre(None, cadre, CadreData(
        full_name=cadre.full_name, sex=cadre.sex, nik=cadre.nik, birth_date=cadre.birth_date,
        phone=cadre.phone, start_date=cadre.start_date, bpjs_tk_enrolled=enrolled,
        bpjs_tk_number="12345678901" if enrolled else None), local_today())


def certify(world: World, rng: random.Random) -> None:
    """Issue a level certificate where one is due (a new level supersedes the old)."""
    valid = sa.select(Certificate.id).where(
        Certificate.cadre_id == Cadre.id, Certificate.kind == CertificateKind.LEVEL,
        Certificate.status == CertificateStatus.VALID, Certificate.level_code == Cadre.level_code)
    ids = db.session.scalars(sa.select(Cadre.id).where(
        Cadre.status == CadreStatus.ACTIVE, Cadre.level_code.is_not(None), ~valid.exists())
        .order_by(Cadre.id)).all()
    if not ids:
        return assess(world, rng)
    cadre = db.session.get(Cadre, rng.choice(ids))
    make.certificate(cadre, actor=world.coordinator[_puskesmas_of(cadre)])
    return None


def revoke(world: World, rng: random.Random) -> None:
    ids = db.session.scalars(sa.select(Certificate.id).where(
        Certificate.status == CertificateStatus.VALID).order_by(Certificate.id)).all()
    if not ids:
        return certify(world, rng)
    cert = db.session.get(Certificate, rng.choice(ids))
    district = db.session.get(Puskesmas, _puskesmas_of(cert.cadre)).district_id
    revoke_certificate(world.admin[district], cert, "Diterbitkan keliru")
    return None


def train(world: World, rng: random.Random) -> None:
    """A training held with tests (at a puskesmas or district-wide), or one left open
    or cancelled with scores (which count for nothing)."""
    from ilp_training.training.services import participation

    k = rng.choice(world.puskesmas)
    cadres = db.session.scalars(sa.select(Cadre).join(Posyandu).where(
        Posyandu.puskesmas_id == k.id, Cadre.status == CadreStatus.ACTIVE)
        .order_by(Cadre.id)).all()
    if not cadres:
        return None
    chosen = rng.sample(list(cadres), rng.randint(1, len(cadres)))
    scores = {c.id: (rng.randint(0, 100), rng.randint(0, 100)) for c in chosen}
    start = local_today() - timedelta(days=rng.randint(10, 120))
    if rng.random() < 0.25:
        event = make.training(coordinator_=world.coordinator[k.id], start=start - timedelta(
            days=400))
        actor = world.coordinator[k.id]
        added = participation.add_participants(actor, event, [c.id for c in chosen]).added
        participation.record_scores(actor, event, {p.id: scores[p.cadre_id] for p in added})
        if rng.random() < 0.5:
            participation.cancel_event(actor, event)
        return None
    wide = rng.random() < 0.3
    make.finished_training(chosen, scores=scores, start=start, district_wide=wide,
                           **({} if wide else {"coordinator_": world.coordinator[k.id]}))
    return None


def review(world: World, rng: random.Random) -> None:
    """Approve a village's summary of a month or quarter, or re-open it."""
    village_id = rng.choice(sorted(world.head))
    village = db.session.get(Region, village_id)
    kind = rng.choice([PeriodKind.MONTH, PeriodKind.QUARTER])
    period = Period.containing(kind, local_today() - timedelta(days=rng.choice([40, 100])))
    summary = db.session.scalar(sa.select(IncentiveSummary).where(
        IncentiveSummary.village_id == village_id, IncentiveSummary.period_kind == kind,
        IncentiveSummary.period_start == period.start))
    if summary is not None and summary.status == SummaryStatus.APPROVED:
        reopen_summary(world.head[village_id], village, period, "Salah hitung")
    else:
        approve_summary(world.head[village_id], village, period)


def hand_over(world: World, rng: random.Random) -> None:
    """A posyandu served from now on by another puskesmas (as the posyandu import
    does), taking its cadres, certificates and test gains along."""
    posyandu = rng.choice(world.posyandu)
    other = rng.choice([k for k in world.puskesmas if k.id != posyandu.puskesmas_id])
    posyandu.puskesmas_id = other.id
    db.session.flush()


CHANGES = [assess, assess, assess, correct, correct, move, deactivate_or_reactivate, bpjs,
           certify, certify, revoke, train, train, review, review, hand_over]


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_rollups_equal_the_records_after_random_changes(db_session, seed):
    rng = random.Random(seed)
    world = _world()
    db.session.commit()
    assert_true_everywhere()
    done = []
    schedule = CHANGES * 2  # every kind of change, twice, in a random order
    rng.shuffle(schedule)
    for change in schedule:
        change(world, rng)
        db.session.commit()
        done.append(change.__name__)
        assert rollups.differences() == [], done
    assert_true_everywhere()
    national = figures(NATIONAL)
    assert national.cadres and national.by_level and national.trainings
    before = _stored()
    rollups.rebuild()
    db.session.commit()
    assert _stored() == before


def test_a_promotion_shows_in_the_national_count_at_once(db_session):
    cadre = make.cadre_at_level("purwa")
    db.session.commit()
    assert figures(NATIONAL).by_level == {"purwa": 1}
    make.assess(cadre, make.skills_of("D"))
    db.session.commit()
    national = figures(NATIONAL)
    assert national.by_level == {"madya": 1}
    assert national.packages == {"A": 1, "B": 1, "C": 1, "D": 1}


def test_a_rollback_leaves_the_counts_as_they_were(db_session):
    cadre = make.cadre_at_level("purwa")
    db.session.commit()
    before = _stored()
    make.assess(cadre, make.skills_of("DE"))
    db.session.rollback()
    cadre = db.session.get(Cadre, cadre.id)
    db.session.commit()
    assert _stored() == before
    assert figures(NATIONAL).by_level == {"purwa": 1}


def test_figures_read_a_handful_of_rows(db_session, empty_app):
    from conftest import count_queries

    make.cadre_at_level("utama")
    db.session.commit()
    with count_queries(empty_app) as statements:
        national = figures(NATIONAL)
        provinces = children_of(NATIONAL)
        child_figures(NATIONAL, provinces)
    assert len([s for s in statements if s.startswith("SELECT")]) == 3
    assert national == Figures(cadres=1, by_level={"utama": 1},
                               packages=dict.fromkeys("ABCDE", 1), villages=1)
    assert national.mean_test_gain is None


def test_the_levels_of_the_hierarchy(db_session):
    posyandu = make.posyandu()
    k = db.session.get(Puskesmas, posyandu.puskesmas_id)
    regency = db.session.get(Region, k.district_id)
    province = PlaceKey(PlaceLevel.PROVINCE, regency.parent_id)
    assert province in children_of(NATIONAL)
    assert children_of(province) == [PlaceKey(PlaceLevel.REGENCY, regency.id)]
    assert children_of(PlaceKey(PlaceLevel.REGENCY, regency.id)) == [
        PlaceKey(PlaceLevel.PUSKESMAS, k.id)]
    assert children_of(PlaceKey(PlaceLevel.PUSKESMAS, k.id)) == [
        PlaceKey(PlaceLevel.POSYANDU, posyandu.id)]
    assert children_of(PlaceKey(PlaceLevel.POSYANDU, posyandu.id)) == []


def test_a_moved_cadre_takes_certificates_and_level_to_the_other_regency(db_session):
    cadre = make.cadre_at_level("madya")
    make.certificate(cadre)
    there = make.posyandu()  # another province altogether
    db.session.commit()
    move_cadre(None, cadre, there, local_today(), local_today())
    db.session.commit()
    k = db.session.get(Puskesmas, there.puskesmas_id)
    regency = PlaceKey(PlaceLevel.REGENCY, k.district_id)
    assert figures(regency).certificates == 1
    assert figures(regency).by_level == {"madya": 1}
    assert_true_everywhere()


def test_flask_overview_check_finds_a_wrong_count_and_rebuild_mends_it(db_session, empty_app):
    make.cadre_at_level("purwa")
    db.session.commit()
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["overview", "check"]).exit_code == 0
    db.session.execute(sa.update(RollupCount).where(RollupCount.level == PlaceLevel.NATIONAL,
                                                    RollupCount.metric == "cadres")
                       .values(value=RollupCount.value + 5))
    db.session.commit()
    result = runner.invoke(args=["overview", "check"])
    assert result.exit_code == 1
    assert "national 0 cadres : stored 6 records 1" in result.output
    assert runner.invoke(args=["overview", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["overview", "check"]).exit_code == 0
