"""``flask places load``: its options, its report, and a clear refusal of a bad code."""

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import AuditEntry, Region, RegionLevel


def _count(app, level: RegionLevel) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Region.id)).where(
            Region.level == level))


def test_load_one_province_with_its_villages_then_again(empty_app):
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["places", "load", "--province", "74", "--villages"])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert "300.2.2-2138" in lines[0]
    assert "province: 1 in the data, 1 added, 0 renamed, 0 moved" in lines
    assert "regency: 17 in the data, 17 added, 0 renamed, 0 moved" in lines
    village_line = next(line for line in lines if line.startswith("village:"))
    villages = _count(empty_app, RegionLevel.VILLAGE)
    assert village_line == f"village: {villages} in the data, {villages} added, 0 renamed, 0 moved"
    assert villages > 2000 and _count(empty_app, RegionLevel.PROVINCE) == 1

    again = runner.invoke(args=["places", "load", "--province", "74", "--villages"])
    assert again.exit_code == 0, again.output
    assert f"village: {villages} in the data, 0 added, 0 renamed, 0 moved" in again.output
    with empty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "load_places")) == 1


def test_without_villages_by_default(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["places", "load"])
    assert result.exit_code == 0, result.output
    assert "subdistrict: 7285 in the data, 7285 added" in result.output
    assert "village:" not in result.output
    assert _count(empty_app, RegionLevel.REGENCY) == 514
    assert _count(empty_app, RegionLevel.VILLAGE) == 0


def test_an_unknown_province_is_refused_and_nothing_loaded(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["places", "load", "--province", "99"])
    assert result.exit_code == 2
    # a command speaks the site's default language (BABEL_DEFAULT_LOCALE, Indonesian)
    assert "Tidak ada provinsi dengan kode 99." in result.output
    assert _count(empty_app, RegionLevel.PROVINCE) == 0
