"""NIK (Nomor Induk Kependudukan) validation and masking. Pure functions.

A NIK has 16 digits:

- 1–6: the region code where it was issued (province, regency, kecamatan: 2 digits each,
  none of them ``00``; the province one of the Kemendagri province codes);
- 7–12: the birth date as DDMMYY, with 40 added to the day for women;
- 13–16: a sequence number, never ``0000``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Kemendagri province codes (Permendagri 58/2021 and the 2022 Papua provinces).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34",
    "35", "36", "51", "52", "53", "61", "62", "63", "64", "65", "71", "72", "73", "74",
    "75", "76", "81", "82", "91", "92", "93", "94", "95", "96",
})


class NikError(ValueError):
    """A NIK that cannot be right; ``code`` names the rule it breaks."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class NikInfo:
    region_code: str
    birth_day: int
    birth_month: int
    birth_year_2: int
    female: bool
    sequence: str


def parse_nik(nik: str) -> NikInfo:
    """Parse a NIK; raise :class:`NikError` with the broken rule's code.

    Codes: ``length`` (not 16 digits), ``region`` (bad province or a ``00`` block),
    ``date`` (digits 7–12 are no valid DDMMYY, day +40 for women), ``sequence`` (``0000``).
    """
    if len(nik) != 16 or not (nik.isascii() and nik.isdigit()):
        raise NikError("length")
    region = nik[:6]
    if region[:2] not in PROVINCE_CODES or region[2:4] == "00" or region[4:6] == "00":
        raise NikError("region")
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    if female:
        day -= 40
    if not _is_valid_day_month(day, month, year):
        raise NikError("date")
    if nik[12:] == "0000":
        raise NikError("sequence")
    return NikInfo(region, day, month, year, female, nik[12:])


def _is_valid_day_month(day: int, month: int, year_2: int) -> bool:
    """Whether DD/MM exists in some century of YY (29 February needs a leap year)."""
    for century in (1900, 2000):
        try:
            date(century + year_2, month, day)
        except ValueError:
            continue
        return True
    return False


def check_nik(nik: str, birth_date: date | None = None, female: bool | None = None) -> NikInfo:
    """Validate a NIK, and against the birth date and sex when they are given.

    Raises :class:`NikError` with ``birth_date`` when digits 7–12 do not match the given
    birth date, ``sex`` when the +40 rule disagrees with the given sex.
    """
    info = parse_nik(nik)
    if birth_date is not None and (
        info.birth_day,
        info.birth_month,
        info.birth_year_2,
    ) != (birth_date.day, birth_date.month, birth_date.year % 100):
        raise NikError("birth_date")
    if female is not None and info.female != female:
        raise NikError("sex")
    return info


def mask_nik(nik: str | None) -> str:
    """Show the region block and the last two digits only: ``741402••••••••05``."""
    if not nik:
        return ""
    return nik[:6] + "•" * (len(nik) - 8) + nik[-2:]


def mask_phone(phone: str | None) -> str:
    """Keep the first four and last two digits of a phone number."""
    if not phone:
        return ""
    if len(phone) <= 6:
        return "•" * len(phone)
    return phone[:4] + "•" * (len(phone) - 6) + phone[-2:]


PERSONAL_FIELDS = frozenset({"nik", "phone", "birth_date"})


def mask_personal(field: str, value: object) -> str:
    """A value fit for a list: personal fields masked, others as text, ``—`` for none."""
    if value is None or value == "":
        return "—"
    if field == "nik":
        return mask_nik(str(value))
    if field == "phone":
        return mask_phone(str(value))
    if field == "birth_date":
        return "••••"
    return str(value)
