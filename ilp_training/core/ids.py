"""Record ids from outside: in URLs and in forms, an id is a whole number from 1 to
:data:`ID_MAX`, written in ASCII digits; anything else names no record.

Every id column is ``INTEGER``, 32 bits on PostgreSQL, so a larger number could never
be found and would make the database refuse the query (PostgreSQL: "integer out of
range"; SQLite, beyond 2^63 − 1: "Python int too large") — a 500 where a 404 or a form
error belongs. The bound is checked here, before any query: a URL with such an id is a
404 (:class:`IdConverter`, Flask's ``int`` converter), a form value is refused as a form
error (:func:`coerce_id`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort
from werkzeug.routing import IntegerConverter, Map, ValidationError

ID_MAX = 2**31 - 1  # the largest INTEGER of PostgreSQL: no id column is BIGINT
_ID_DIGITS = len(str(ID_MAX))


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits only, from 1 to :data:`ID_MAX` unless
    the rule says otherwise (``<int(min=0, max=1):flag>``); other values do not match,
    so the URL is a 404 before the view runs."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 1,
                 max: int | None = ID_MAX, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> Any:
        if len(value.lstrip("0")) > _ID_DIGITS:  # no int() of a 4,000-digit number
            raise ValidationError()
        return super().to_python(value)


def coerce_id(value: Any) -> int:
    """The id in a form value (``coerce=`` of WTForms' select and check-box fields): a
    whole number from 1 to :data:`ID_MAX` in ASCII digits, else ``ValueError``, which
    WTForms shows as an error of the field ("could not coerce")."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > _ID_DIGITS:
            raise ValueError("not an id")
        number = int(text)
    if not 1 <= number <= ID_MAX:
        raise ValueError("not an id")
    return number


def id_or_404(value: Any) -> int:
    """The id in a request value that names a record (a hidden field, a query string):
    :func:`coerce_id`, or a 404 when the value cannot be an id."""
    try:
        return coerce_id(value)
    except ValueError:
        abort(404)


def init_app(app: Flask) -> None:
    """Make ``<int:…>`` the bounded :class:`IdConverter` (before any route is added)."""
    app.url_map.converters["int"] = IdConverter
