"""Amounts in words (*terbilang*), as written under the figures on a payment document.

Pure Python. Indonesian follows the usual rules: *se-* for one of a unit (*sepuluh*,
*sebelas*, *seratus*, *seribu*), but *satu juta*, *satu miliar*, *satu triliun*; English
uses short-scale words without "and" (*two hundred fifty thousand*). Both go up to
999 999 999 999 999 (just under a thousand trillion).
"""

from __future__ import annotations

LIMIT = 10**15

_ID_ONES = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
            "sembilan")
_ID_SCALES = ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"))

_EN_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
            "seventeen", "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
            "ninety")
_EN_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))


def _check(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError("an integer amount is required")
    if not -LIMIT < n < LIMIT:
        raise ValueError(f"amount out of range: {n}")


def _id_below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words.append("seratus" if hundreds == 1 else f"{_ID_ONES[hundreds]} ratus")
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(f"{_ID_ONES[tens]} puluh")
        if ones:
            words.append(_ID_ONES[ones])
    elif rest >= 12:
        words.append(f"{_ID_ONES[rest - 10]} belas")
    elif rest == 11:
        words.append("sebelas")
    elif rest == 10:
        words.append("sepuluh")
    elif rest:
        words.append(_ID_ONES[rest])
    return words


def terbilang(n: int) -> str:
    """Indonesian words for the integer ``n`` (|n| < 10¹⁵): 250000 → ``dua ratus lima
    puluh ribu``, 1000 → ``seribu``, 1000000 → ``satu juta``, -5 → ``minus lima``."""
    _check(n)
    if n == 0:
        return _ID_ONES[0]
    if n < 0:
        return "minus " + terbilang(-n)
    words: list[str] = []
    for size, name in _ID_SCALES:
        count, n = divmod(n, size)
        if count:
            words += [*_id_below_thousand(count), name]
    thousands, n = divmod(n, 1000)
    if thousands == 1:
        words.append("seribu")
    elif thousands:
        words += [*_id_below_thousand(thousands), "ribu"]
    words += _id_below_thousand(n)
    return " ".join(words)


def _en_below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_EN_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else ""))
    elif rest:
        words.append(_EN_ONES[rest])
    return words


def number_words_en(n: int) -> str:
    """English words for the integer ``n`` (|n| < 10¹⁵): 250000 → ``two hundred fifty
    thousand``, 21 → ``twenty-one``, -5 → ``minus five``."""
    _check(n)
    if n == 0:
        return _EN_ONES[0]
    if n < 0:
        return "minus " + number_words_en(-n)
    words: list[str] = []
    for size, name in _EN_SCALES:
        count, n = divmod(n, size)
        if count:
            words += [*_en_below_thousand(count), name]
    words += _en_below_thousand(n)
    return " ".join(words)


def rupiah_in_words(n: int, locale: object = "id") -> str:
    """``n`` rupiah in words: ``dua ratus lima puluh ribu rupiah`` (Indonesian, the
    default) or ``two hundred fifty thousand rupiah`` for a locale starting with ``en``."""
    if str(locale).lower().startswith("en"):
        return number_words_en(n) + " rupiah"
    return terbilang(n) + " rupiah"
