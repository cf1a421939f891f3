"""Loading the official places (``places.services.load_places``) on the empty database: an
upsert by code that adds what is missing, renames by code, keeps ids, deletes nothing,
changes nothing the second time, and writes one audit entry when it changed something."""

import time

import pytest
import sqlalchemy as sa

from ilp_training.core.service import ServiceError
from ilp_training.models import AuditEntry, Region, RegionLevel
from ilp_training.places import data
from ilp_training.places.services import DEFAULT_LEVELS, load_places
from tests import factories as make


def _regions(session) -> dict[str, tuple[int, str, int | None, str]]:
    rows = session.execute(sa.select(Region.code, Region.id, Region.name, Region.parent_id,
                                     Region.level))
    return {code: (id_, name, parent, str(level)) for code, id_, name, parent, level in rows}


def _audits(session) -> list[AuditEntry]:
    return list(session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "load_places").order_by(AuditEntry.id)))


def test_loads_provinces_regencies_and_kecamatan_with_their_parents(db_session):
    result = load_places(db_session)
    stored = _regions(db_session)
    by_level = {level: [c for c, row in stored.items() if row[3] == level.value]
                for level in data.LEVELS}
    assert {level: len(codes) for level, codes in by_level.items()} == {
        RegionLevel.PROVINCE: 38, RegionLevel.REGENCY: 514, RegionLevel.SUBDISTRICT: 7285,
        RegionLevel.VILLAGE: 0}
    assert result.total("added") == 38 + 514 + 7285 and result.total("renamed") == 0
    ids = {code: row[0] for code, row in stored.items()}
    for code, (_, _, parent, _) in stored.items():
        assert parent == (ids[code.rsplit(".", 1)[0]] if "." in code else None)
    buton = db_session.scalar(sa.select(Region).where(Region.code == "74.14"))
    assert (buton.name, buton.kind, buton.official_name) == (
        "Buton Tengah", "kabupaten", "Kabupaten Buton Tengah")
    assert buton.parent.name == "Sulawesi Tenggara"
    [entry] = _audits(db_session)
    assert entry.entity == "regions" and entry.changes["added"] == [None, 7837]
    assert "300.2.2-2138" in entry.changes["source"][1]


def test_loading_twice_changes_nothing(db_session):
    load_places(db_session, DEFAULT_LEVELS, "74")
    before = _regions(db_session)
    again = load_places(db_session, DEFAULT_LEVELS, "74")
    assert not again.changed and again.total("added") == 0
    assert again.levels[RegionLevel.SUBDISTRICT].shipped == len(
        [c for c in before if len(c) == 8])
    assert _regions(db_session) == before
    assert len(_audits(db_session)) == 1


def test_keeps_ids_renames_by_code_and_deletes_nothing(db_session):
    province = make.province(code="74", name="Sultra (lama)")
    district = make.district(parent=province, code="74.14", name="Buteng")
    kecamatan = make.subdistrict(parent=district, code="74.14.03", name="Mawasangka Tgh")
    village = make.village(parent=kecamatan, code="74.14.03.2005", name="Lalibo Lama")
    posyandu = make.posyandu(village_=village)
    gone = make.village(parent=kecamatan, code="74.14.03.2999", name="Desa Dihapus")
    ids = {r.code: r.id for r in (province, district, kecamatan, village, gone)}

    result = load_places(db_session, data.LEVELS, "74")

    stored = _regions(db_session)
    assert {code: stored[code][0] for code in ids} == ids
    assert [stored[c][1] for c in ("74", "74.14", "74.14.03", "74.14.03.2005")] == [
        "Sulawesi Tenggara", "Buton Tengah", "Mawasangka Tengah", "Lalibo"]
    assert stored["74.14.03.2999"][1] == "Desa Dihapus"  # not in the data: left alone
    # the objects already in the session show the new names
    assert village.name == "Lalibo" and posyandu.village_id == ids["74.14.03.2005"]
    assert result.total("renamed") == 4 and result.total("moved") == 0
    assert result.levels[RegionLevel.VILLAGE].added == result.levels[
        RegionLevel.VILLAGE].shipped - 1
    [entry] = _audits(db_session)
    assert entry.changes["renamed"] == [None, 4] and entry.changes["province"] == [None, "74"]
    assert entry.changes["names"][0]["74.14"] == "Buteng"
    assert entry.changes["names"][1]["74.14"] == "Buton Tengah"


def test_a_place_under_the_wrong_parent_is_moved_under_its_code(db_session):
    province = make.province(code="74", name="Sulawesi Tenggara")
    other = make.province(code="73", name="Sulawesi Selatan")
    district = make.district(parent=other, code="74.14", name="Buton Tengah")
    assert district.parent is other
    result = load_places(db_session, (RegionLevel.PROVINCE, RegionLevel.REGENCY), "74")
    assert result.total("moved") == 1
    # the object already in the session shows its new parent
    assert district.parent_id == province.id and district.parent is province


def test_villages_need_their_kecamatan(db_session):
    with pytest.raises(ServiceError, match=r"74\.01\.01"):
        load_places(db_session, (RegionLevel.VILLAGE,), "74")


@pytest.mark.parametrize("code", ["99", "7", "74.14", ""])
def test_an_unknown_province_is_refused(db_session, code):
    with pytest.raises(ServiceError) as refused:
        load_places(db_session, DEFAULT_LEVELS, code)
    assert refused.value.field == "province"


def test_every_village_in_seconds(db_session):
    started = time.perf_counter()
    result = load_places(db_session, data.LEVELS)
    first = time.perf_counter() - started
    assert {level: counts.added for level, counts in result.levels.items()} == data.COUNTS
    count = db_session.scalar(sa.select(sa.func.count()).select_from(Region).where(
        Region.level == RegionLevel.VILLAGE))
    assert count == 83762
    started = time.perf_counter()
    assert not load_places(db_session, data.LEVELS).changed
    second = time.perf_counter() - started
    print(f"places_load_all_s: {first:.2f} s\nplaces_reload_all_s: {second:.2f} s")
    assert first < 60 and second < 60  # minutes would mean row-by-row statements
