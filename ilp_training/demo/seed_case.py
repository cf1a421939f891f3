"""The seed case as data: Posyandu Anggrek's 14 assessed cadres (mastered skill codes).

Posyandu Anggrek, Desa Lalibo, Kecamatan Mawasangka Tengah, Kabupaten Buton Tengah
(Sulawesi Tenggara): 14 cadres assessed, 1 Utama, 4 Madya, 9 Purwa. Only those counts are
reported; which skills each cadre mastered is made up here, chosen so that under the
national framework (``curricula/ilp-national-2024.yaml``) every cadre's badge count
falls in the range reported for her level (Purwa 14–17, Madya 19–22, Utama 25).
Pure data (skill codes), reusable for demo data and tests.
"""

from __future__ import annotations

from dataclasses import dataclass

PACKAGES = {
    "A": ("A1", "A2", "A3", "A4"),
    "B": ("B1", "B2", "B3", "B4", "B5", "B6", "B7"),
    "C": ("C1", "C2", "C3", "C4", "C5", "C6"),
    "D": ("D1", "D2", "D3"),
    "E": ("E1", "E2", "E3", "E4", "E5"),
}


def _skills(packages: str, *extra: str) -> frozenset[str]:
    """All skills of the given packages (e.g. ``"ABD"``) plus single extra skills."""
    return frozenset(code for p in packages for code in PACKAGES[p]) | frozenset(extra)


@dataclass(frozen=True, slots=True)
class SeedCadre:
    """One assessed cadre: a placeholder label, the mastered skill codes, the level they give."""

    label: str
    mastered: frozenset[str]
    level: str


POSYANDU = "Posyandu Anggrek"
VILLAGE = "Lalibo"
KECAMATAN = "Mawasangka Tengah"
DISTRICT = "Buton Tengah"
PROVINCE = "Sulawesi Tenggara"

ANGGREK: tuple[SeedCadre, ...] = (
    SeedCadre("Anggrek 01", _skills("ABCDE"), "utama"),
    SeedCadre("Anggrek 02", _skills("ABCD"), "madya"),
    SeedCadre("Anggrek 03", _skills("ABCE"), "madya"),
    SeedCadre("Anggrek 04", _skills("ABDE"), "madya"),
    SeedCadre("Anggrek 05", _skills("ABCD", "E1", "E2"), "madya"),
    SeedCadre("Anggrek 06", _skills("ABC"), "purwa"),
    SeedCadre("Anggrek 07", _skills("ABD"), "purwa"),
    SeedCadre("Anggrek 08", _skills("ABE"), "purwa"),
    SeedCadre("Anggrek 09", _skills("ABD", "C1"), "purwa"),
    SeedCadre("Anggrek 10", _skills("ABD", "E1", "E3"), "purwa"),
    SeedCadre("Anggrek 11", _skills("ABC"), "purwa"),
    SeedCadre("Anggrek 12", _skills("ABE", "D1"), "purwa"),
    SeedCadre("Anggrek 13", _skills("ABD", "C1", "C2", "C3"), "purwa"),
    SeedCadre("Anggrek 14", _skills("ABE", "C4"), "purwa"),
)
"""Ordered from the highest level down; labels are placeholders, not names."""

EXPECTED_COUNTS = {"utama": 1, "madya": 4, "purwa": 9}
