from datetime import date

import pytest

from ilp_training.cadres.nik import (
    NikError,
    check_nik,
    mask_nik,
    mask_personal,
    mask_phone,
)

# 741403 = Mawasangka Tengah; a woman born 12 March 1985 has 52 03 85.
WOMAN = "7414035203850001"
MAN = "7414031203850002"


@pytest.mark.parametrize(
    ("nik", "code"),
    [
        ("741403520385000", "length"),
        ("74140352038500011", "length"),
        ("74140352038500x1", "length"),
        ("9914035203850001", "region"),  # no province 99
        ("7400035203850001", "region"),  # regency 00
        ("7414005203850001", "region"),  # kecamatan 00
        ("7414033203850001", "date"),  # day 32
        ("7414037203850001", "date"),  # day 72 (32 + 40)
        ("7414031213850001", "date"),  # month 13
        ("7414032902010001", "date"),  # 29 February in no leap year (1901/2001)
        ("7414035203850000", "sequence"),
    ],
)
def test_bad_nik_names_the_broken_rule(nik: str, code: str) -> None:
    with pytest.raises(NikError) as info:
        check_nik(nik)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("nik", "birth", "female", "ok"),
    [
        (WOMAN, date(1985, 3, 12), True, True),
        (WOMAN, None, None, True),
        (MAN, date(1985, 3, 12), False, True),
        (WOMAN, date(1985, 3, 13), True, False),
        (WOMAN, date(1985, 3, 12), False, False),
        (MAN, date(1985, 3, 12), True, False),
        ("7414036902000003", date(2000, 2, 29), True, True),
    ],
)
def test_nik_checked_against_birth_date_and_sex(nik, birth, female, ok) -> None:
    if ok:
        assert check_nik(nik, birth, female).sequence == nik[12:]
    else:
        with pytest.raises(NikError):
            check_nik(nik, birth, female)


def test_masks_hide_the_middle() -> None:
    assert mask_nik(WOMAN) == "741403••••••••01"
    assert mask_nik(None) == ""
    assert mask_phone("081234567890") == "0812••••••90"
    assert mask_personal("birth_date", "1985-03-12") == "••••"
    assert mask_personal("full_name", "Wa Ani") == "Wa Ani"
    assert mask_personal("nik", None) == "—"
