"""The demo's Buton Tengah is the official one, and the places load beside it: after the
demo (renaming nothing, keeping every id) or before it (the demo then uses their rows and
the seed case is intact)."""

import sqlalchemy as sa
from conftest import DEMO_DAY, FAST_HASH, other_app, posyandu_named
from flask_migrate import upgrade

from ilp_training.core.extensions import db
from ilp_training.models import Cadre, Posyandu, Region, RegionLevel
from ilp_training.places import data
from ilp_training.places.services import load_places


def _official(province: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for level in data.LEVELS:
        names.update({code: name for code, name, _ in data.rows(level, province)})
    return names


def test_every_demo_region_has_its_official_code_and_name(app):
    with app.app_context():
        stored = dict(db.session.execute(sa.select(Region.code, Region.name)).all())
    official = _official("74")
    assert len(stored) == 1 + 1 + 7 + 77
    assert {code: official.get(code) for code in stored} == stored
    # and the demo has every village of Buton Tengah
    assert {c for c in official if c.startswith("74.14.")} == {
        c for c in stored if c.startswith("74.14.")}


def test_loading_after_the_demo_renames_nothing_and_keeps_ids(app):
    with app.app_context():
        before = dict(db.session.execute(sa.select(Region.code, Region.id)).all())
        result = load_places(db.session, data.LEVELS, "74")
        assert result.total("renamed") == 0 and result.total("moved") == 0
        after = dict(db.session.execute(sa.select(Region.code, Region.id)).all())
        assert {code: after[code] for code in before} == before
        assert len(after) - len(before) == result.total("added")
        anggrek = posyandu_named("Anggrek")
        assert anggrek.village.code == "74.14.03.2005"
        assert anggrek.village.parent.parent.official_name == "Kabupaten Buton Tengah"


def _levels_of_anggrek() -> dict[str, int]:
    anggrek = db.session.scalar(sa.select(Posyandu).where(Posyandu.name == "Anggrek"))
    counts: dict[str, int] = {}
    for cadre in db.session.scalars(sa.select(Cadre).where(Cadre.posyandu_id == anggrek.id)):
        if cadre.level_code:
            counts[cadre.level_code] = counts.get(cadre.level_code, 0) + 1
    return counts


def test_the_demo_loads_onto_the_official_places_with_its_seed_case(tmp_path):
    from ilp_training.demo.seed import database_is_empty, load_demo

    with other_app(f"sqlite:///{tmp_path / 'places.db'}") as app, app.app_context():
        upgrade()
        load_places(db.session, data.LEVELS, "74")
        db.session.commit()
        lalibo = db.session.scalar(sa.select(Region).where(Region.code == "74.14.03.2005"))
        regions = db.session.scalar(sa.select(sa.func.count(Region.id)))
        assert database_is_empty()
        summary = load_demo(DEMO_DAY, FAST_HASH)
        db.session.commit()
        assert summary["villages"] == 77 and summary["cadres"] == 230
        # no region added: the demo's are the official rows
        assert db.session.scalar(sa.select(sa.func.count(Region.id))) == regions
        anggrek = db.session.scalar(sa.select(Posyandu).where(Posyandu.name == "Anggrek"))
        assert anggrek.village_id == lalibo.id
        assert anggrek.puskesmas.name == "Mawasangka Tengah"
        assert _levels_of_anggrek() == {"utama": 1, "madya": 4, "purwa": 9}
        assert not database_is_empty()
        kecamatan = db.session.scalars(sa.select(Region).where(
            Region.level == RegionLevel.SUBDISTRICT, Region.code.startswith("74.14."))).all()
        assert len(kecamatan) == 7


def test_the_load_is_in_the_admins_audit_log(app, as_admin):
    with app.app_context():
        load_places(db.session, data.LEVELS, "74")
        db.session.commit()
    page = as_admin.get("/admin/audit").text
    assert "data wilayah resmi dimuat" in page  # official places loaded
    assert "300.2.2-2138" in page
