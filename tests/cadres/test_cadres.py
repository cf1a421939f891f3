"""The cadre registry: validation, audit, moves, deactivation, masking. Each test builds
its puskesmas, posyandu, cadres and people with the factories (on the empty database)."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import AuditEntry, Cadre, CadreStatus
from tests import factories as make
from tests.helpers import sign_in

VALID = {
    "full_name": "Wa Ode Testiana", "sex": "F", "birth_date": "1985-03-12",
    "nik": "7414035203859001", "phone": "081234567890", "start_date": "2020-01-06",
    "bpjs_tk_enrolled": "", "bpjs_tk_number": "",
}

# Depends on the clock: CI runs it again at a month's last evening and a year ahead.
pytestmark = pytest.mark.dates


@dataclass(frozen=True)
class Place:
    """Ids and names of a puskesmas's posyandu ``home`` (11 cadres, the first with a NIK,
    one of them Utama) and ``other`` (same village), a posyandu ``outside`` of another
    puskesmas, and the login names of the puskesmas's people."""

    home: tuple[int, str]
    other: tuple[int, str]
    outside: int
    first_cadre: int
    utama: int
    coordinator: str
    trainer: str
    head: str
    move_day: str


@pytest.fixture
def place(empty_app) -> Place:
    with empty_app.app_context():
        puskesmas = make.puskesmas()
        home = make.posyandu(puskesmas_=puskesmas)
        other = make.posyandu(puskesmas_=puskesmas)
        first = make.cadre(posyandu_=home)
        make.cadres(9, posyandu_=home)
        utama = make.cadre_at_level("utama", posyandu_=home)
        result = Place(
            home=(home.id, home.name), other=(other.id, other.name),
            outside=make.posyandu().id, first_cadre=first.id, utama=utama.id,
            coordinator=make.coordinator(puskesmas).username,
            trainer=make.trainer(puskesmas).username,
            head=make.village_head(home.village).username,
            move_day=(local_today() - timedelta(days=30)).isoformat())
        db.session.commit()
    return result


@pytest.fixture
def as_coordinator(empty_client, place):
    return sign_in(empty_client, place.coordinator)


def _count(app) -> int:
    with app.app_context():
        return make.count(Cadre)


def test_register_cadre_saves_and_audits(as_coordinator, place, empty_app):
    url = f"/posyandu/{place.home[0]}/cadres/new"
    response = as_coordinator.post(url, data=VALID)
    assert response.status_code == 302
    with empty_app.app_context():
        cadre = db.session.scalars(sa.select(Cadre).where(Cadre.nik == VALID["nik"])).one()
        assert cadre.full_name == "Wa Ode Testiana" and cadre.status == CadreStatus.ACTIVE
        assert [a.posyandu_id for a in cadre.assignments] == [place.home[0]]
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "cadre",
                                        AuditEntry.entity_id == cadre.id)).one()
        assert entry.action == "create" and entry.user.username == place.coordinator
        assert entry.changes["full_name"] == [None, "Wa Ode Testiana"]


def test_bad_input_reshows_the_form_with_values_and_saves_nothing(as_coordinator, place,
                                                                    empty_app):
    url = f"/posyandu/{place.home[0]}/cadres/new"
    before = _count(empty_app)
    cases = [
        ({"nik": "12345"}, "16 digit"),
        ({"nik": "7414033203850001"}, "tanggal lahir"),  # day 32
        ({"nik": "7414031203850001"}, "jenis kelamin"),  # a man's NIK for a woman
        ({"full_name": ""}, "wajib diisi"),
        ({"birth_date": "2099-01-01", "nik": ""}, "masa depan"),
        ({"bpjs_tk_enrolled": "y"}, "nomor BPJS Ketenagakerjaan"),
        ({"phone": "12ab"}, "8 sampai 15 digit"),
    ]
    for change, message in cases:
        response = as_coordinator.post(url, data={**VALID, **change})
        assert response.status_code == 200, change
        assert message in response.text, (change, message)
        shown = change.get("full_name", VALID["full_name"])
        assert f'value="{shown}"' in response.text or not shown
    assert _count(empty_app) == before


def test_duplicate_nik_is_refused(as_coordinator, place, empty_app):
    url = f"/posyandu/{place.home[0]}/cadres/new"
    assert as_coordinator.post(url, data=VALID).status_code == 302
    again = as_coordinator.post(url, data={**VALID, "full_name": "Someone Else"})
    assert again.status_code == 200
    assert "sudah terdaftar" in again.text
    with empty_app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count(Cadre.id)).where(Cadre.nik == VALID["nik"])) == 1


def test_edit_records_old_and_new_values(as_coordinator, place, empty_app):
    with empty_app.app_context():
        cadre = db.session.get(Cadre, place.first_cadre)
        cadre_id, old_name = cadre.id, cadre.full_name
        data = {**VALID, "nik": cadre.nik or "", "sex": cadre.sex.value,
                "birth_date": cadre.birth_date.isoformat(), "full_name": "Nama Baru"}
    assert as_coordinator.post(f"/cadres/{cadre_id}/edit", data=data).status_code == 302
    with empty_app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "cadre", AuditEntry.entity_id == cadre_id,
            AuditEntry.action == "update")).one()
        assert entry.changes["full_name"] == [old_name, "Nama Baru"]


def test_move_keeps_history(as_coordinator, place, empty_app):
    cadre_id, (home, home_name), (other, other_name) = place.first_cadre, place.home, place.other
    response = as_coordinator.post(f"/cadres/{cadre_id}/move", data={
        "posyandu": other, "on": place.move_day, "note": "pindah"})
    assert response.status_code == 302
    with empty_app.app_context():
        cadre = db.session.get(Cadre, cadre_id)
        assert cadre.posyandu_id == other
        history = [(a.posyandu_id, a.end_date is None) for a in cadre.assignments]
        assert history == [(home, False), (other, True)]
    profile = as_coordinator.get(f"/cadres/{cadre_id}").text
    assert home_name in profile and other_name in profile


def test_move_to_posyandu_outside_scope_is_refused(as_coordinator, place, empty_app):
    cadre_id = place.first_cadre
    response = as_coordinator.post(f"/cadres/{cadre_id}/move",
                                   data={"posyandu": place.outside, "on": place.move_day})
    assert response.status_code == 200
    with empty_app.app_context():
        assert db.session.get(Cadre, cadre_id).posyandu_id == place.home[0]


def test_deactivate_needs_a_reason_then_reactivate(as_coordinator, place, empty_app):
    cadre_id = place.first_cadre
    url = f"/cadres/{cadre_id}/deactivate"
    assert "wajib diisi" in as_coordinator.post(url, data={"reason": "",
                                                           "on": place.move_day}).text
    assert as_coordinator.post(url, data={"reason": "Pindah domisili",
                                          "on": place.move_day}).status_code == 302
    with empty_app.app_context():
        cadre = db.session.get(Cadre, cadre_id)
        assert cadre.status == CadreStatus.INACTIVE and cadre.inactive_reason == "Pindah domisili"
    assert as_coordinator.post(f"/cadres/{cadre_id}/reactivate",
                               data={"on": place.move_day}).status_code == 302
    with empty_app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.entity_id == cadre_id, AuditEntry.entity == "cadre",
            AuditEntry.action.in_(["deactivate", "reactivate"]))
            .order_by(AuditEntry.id)).all()
        assert actions == ["deactivate", "reactivate"]


def test_roster_masks_nik_and_phone_but_profile_shows_them(as_coordinator, place, empty_app):
    with empty_app.app_context():
        cadre = db.session.get(Cadre, place.first_cadre)
        posyandu_id, cadre_id, nik, phone = place.home[0], cadre.id, cadre.nik, cadre.phone
    roster = as_coordinator.get(f"/posyandu/{posyandu_id}/").text
    assert nik not in roster and nik[:6] in roster and phone not in roster
    profile = as_coordinator.get(f"/cadres/{cadre_id}").text
    assert nik in profile and phone in profile


def test_roster_search_filter_and_pagination(as_coordinator, place, empty_app, monkeypatch):
    home = place.home[0]
    page1 = as_coordinator.get(f"/posyandu/{home}/").text
    assert "11 kader" in page1
    monkeypatch.setitem(empty_app.config, "PAGE_SIZE", 5)
    paged = as_coordinator.get(f"/posyandu/{home}/?page=3").text
    assert "Halaman 3 dari 3" in paged
    monkeypatch.undo()
    none = as_coordinator.get(f"/posyandu/{home}/?q=zzzz").text
    assert "Tidak ada kader yang cocok" in none
    inactive = as_coordinator.get(f"/posyandu/{home}/?status=inactive").text
    assert "Tidak ada kader yang cocok" in inactive


@pytest.mark.parametrize(("role", "assess", "manage"), [
    ("coordinator", True, True), ("trainer", True, False), ("head", False, False)])
def test_profile_offers_actions_by_role_and_counts_badges_of_the_curriculum(
        empty_client, place, role, assess, manage):
    cadre_id = place.utama
    sign_in(empty_client, getattr(place, role))
    page = empty_client.get(f"/cadres/{cadre_id}").text
    assert "25 dari 25 tanda kecakapan" in page  # the Utama cadre holds every skill
    assert ("Nilai di posyandu ini" in page) is assess
    assert (f"/cadres/{cadre_id}/edit" in page) is manage
    # the assessments are listed for all; linked only for those who may open them
    assessments = re.findall(r'href="(/assessments/\d+)"', page)
    assert bool(assessments) is assess
    if assessments:
        assert empty_client.get(assessments[0]).status_code == 200
