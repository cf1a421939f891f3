"""The input policy: what a request may carry, in one place.

- **Text** refuses control characters (Unicode category Cc: C0, DEL, C1); a multi-line
  field (a ``<textarea>``) allows tab, line feed and carriage return. Every text field
  refuses the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
  U+2066–U+2069), which can make a name read differently from what it is.
- **Numbers** are ASCII digits only (``²`` and ``٣`` pass ``str.isdigit``; the first
  crashes ``int()``, the second is read as 3): :func:`ascii_int`.
- **Dates** lie within :data:`DATE_MIN` … :data:`DATE_MAX`: a year-1 or year-9999 date
  is a typing slip that no rule of the site can place (no framework, no scheme in force).
- **NUL** is refused in a request's path, query and form before any view runs
  (PostgreSQL cannot store it, SQLite stores it and breaks exports): :func:`has_nul`.

:class:`ilp_training.core.forms.BaseForm` applies the text and date rules to every field of
every form; ``security.refuse_nul`` applies the NUL rule to every request; the
hand-parsed fields (scoring grids, training scores, activity import cells, ids sent by
hidden fields) read numbers with :func:`ascii_int`. Data stored before the policy is made
safe on the way out by ``spreadsheets.cell_text``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from flask import Flask, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ilp_training.core.errors import error_response

BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
MULTILINE_ALLOWED = frozenset("\t\n\r")
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2099, 12, 31)
_ASCII_INT = re.compile(r"-?[0-9]+")


def refused_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character the text policy refuses in ``text`` (``None`` if it is fine):
    a control character (tab, line feed and carriage return allowed when ``multiline``)
    or a bidirectional control."""
    for char in text:
        if char in BIDI_CONTROLS:
            return char
        if unicodedata.category(char) == "Cc" and not (multiline and char in MULTILINE_ALLOWED):
            return char
    return None


def describe(char: str) -> str:
    """A refused character as the user can recognise it: ``U+0007``."""
    return f"U+{ord(char):04X}"


def ascii_int(text: str, *, max_digits: int = 18) -> int | None:
    """``text`` (surrounding spaces ignored) as an integer if it is ASCII digits with an
    optional leading minus and at most ``max_digits`` digits, else ``None``; never raises.
    Eighteen digits keep every result within a 64-bit database integer."""
    text = text.strip()
    if not _ASCII_INT.fullmatch(text) or len(text.lstrip("-")) > max_digits:
        return None
    return int(text)


def date_in_range(day: date) -> bool:
    """Whether ``day`` lies within :data:`DATE_MIN` … :data:`DATE_MAX`."""
    return DATE_MIN <= day <= DATE_MAX


def has_nul(values: Iterable[str]) -> bool:
    """Whether any of ``values`` contains a NUL character."""
    return any("\x00" in value for value in values)


def init_app(app: Flask) -> None:
    """Refuse a request whose path, query or form holds a NUL (400, before any view or
    sign-in check reads it): no field of the site can hold one."""

    @app.before_request
    def refuse_nul() -> ResponseReturnValue | None:
        if has_nul(_request_texts()):
            return error_response(400, _("The request contains a NUL character, which no "
                                         "field accepts."))
        return None


def _request_texts() -> Iterable[str]:
    yield request.path
    for key, value in request.args.items(multi=True):
        yield key
        yield value
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        for key, value in request.form.items(multi=True):
            yield key
            yield value
        for key, upload in request.files.items(multi=True):
            yield key
            yield upload.filename or ""
