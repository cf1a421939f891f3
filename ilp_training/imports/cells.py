"""Reading the cells of an uploaded sheet, and the problems found in them.

A problem is kept as its message id and arguments (not as text), so that it is shown in
the language of whoever reads the list, also when the worker found it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from ilp_training.core.input_policy import date_in_range, describe, refused_character

# What the input policy may refuse (control characters, bidirectional controls): only
# text holding one is looked at character by character.
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one cell (``column`` index from 0; ``None``: the whole row)."""

    row: int
    column: int | None
    msgid: str
    args: dict[str, Any]

    def as_json(self) -> list[Any]:
        return [self.row, self.column, self.msgid, self.args]

    @staticmethod
    def from_json(item: list[Any]) -> Problem:
        return Problem(int(item[0]), item[1], str(item[2]), dict(item[3]))

    def text(self) -> str:
        """The message in the current language."""
        return gettext(self.msgid, **self.args) if self.args else gettext(self.msgid)


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is a lazy string."""

    def __init__(self, message: LazyString) -> None:
        super().__init__(str(message._args[0]))
        self.message = message


def problem(row: int, column: int | None, message: LazyString) -> Problem:
    """A :class:`Problem` from a lazy message (``_l("… %(x)s", x=…)``)."""
    return Problem(row, column, str(message._args[0]), dict(message._kwargs))


def text(value: Any, *, max_length: int) -> str:
    """A cell as text, spaces collapsed ('' for an empty cell). Whole numbers read as
    written (``12``, not ``12.0``). Refuses the characters the forms refuse and text
    longer than ``max_length``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellError(_l("Not text."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.strftime("%Y-%m-%d")
    found = " ".join(str(value).split())
    bad = refused_character(found) if _SUSPECT.search(found) else None
    if bad is not None:
        raise CellError(_l("This cell holds a character that is not allowed (%(char)s).",
                           char=describe(bad)))
    if len(found) > max_length:
        raise CellError(_l("At most %(max)d characters.", max=max_length))
    return found


def day(value: Any) -> date | None:
    """A date cell (a date, or text ``YYYY-MM-DD`` or ``DD/MM/YYYY``); ``None`` if
    empty. Refuses other text and dates outside 1900–2099."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found: date | None = None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, str):
        stripped = value.strip()
        if ISO_DAY.fullmatch(stripped):
            try:
                return _in_range(date.fromisoformat(stripped))
            except ValueError:
                raise CellError(_l("Not a date (use YYYY-MM-DD).")) from None
        for fmt in ("%d/%m/%Y", "%d-%m-%Y"):
            try:
                found = datetime.strptime(stripped, fmt).date()
                break
            except ValueError:
                continue
    if found is None:
        raise CellError(_l("Not a date (use YYYY-MM-DD)."))
    return _in_range(found)


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _in_range(found: date) -> date:
    if not date_in_range(found):
        raise CellError(_l("The date must lie between 1900 and 2099."))
    return found


def digits(value: Any, *, what: str) -> str:
    """A cell that holds digits as text (NIK, phone): a number cell is refused, since a
    spreadsheet drops leading zeros and rounds long numbers."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if what == "nik":
            raise CellError(_l("Format the NIK column as text: as a number it loses digits."))
        raise CellError(_l("Format the phone column as text: as a number it loses the "
                           "leading 0."))
    return text(value, max_length=40)


SEXES = {"p": "F", "perempuan": "F", "wanita": "F", "w": "F", "f": "F", "female": "F",
         "l": "M", "laki-laki": "M", "laki laki": "M", "pria": "M", "m": "M", "male": "M"}


def sex(value: Any) -> str:
    """``F`` or ``M`` from P/L, Perempuan/Laki-laki, F/M, Female/Male (any case)."""
    found = SEXES.get(text(value, max_length=20).casefold())
    if found is None:
        raise CellError(_l("Write P (perempuan) or L (laki-laki)."))
    return found


VILLAGE_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")


def key(value: str) -> str:
    """How names are compared: case and spacing ignored."""
    return " ".join(value.split()).casefold()
