"""The base form every form inherits.

- It applies the input policy (:mod:`ilp_training.core.input_policy`) to every field, so a
  new form is safe without doing anything: text fields (``StringField`` and its kinds:
  password, hidden, text area) refuse control characters and bidirectional controls (a
  text area allows tab and line breaks); integer fields take ASCII digits only; date
  fields (and month fields) refuse a day outside the field's range, which their input
  states with ``min``/``max``. The policy's validator runs first, before ``Optional``
  can stop the chain on a value that looks blank.
- WTForms' own messages ("This field is required.", "Not a valid date value.") go
  through our Babel catalogs, since WTForms ships no Indonesian.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import wtforms
from flask_babel import format_date, get_translations, gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from ilp_training.core import input_policy


class _BabelTranslations:
    """WTForms' translations interface backed by Flask-Babel's active catalog."""

    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # Unformatted: WTForms fills its own placeholders (``%(value)s``) afterwards, and
        # Flask-Babel's ngettext would format with ``num`` only (KeyError).
        return get_translations().ngettext(singular, plural, n)


class DateField(wtforms.DateField):
    """A date field whose range a form can narrow: ``min_date``/``max_date`` (within the
    policy's :data:`~ilp_training.core.input_policy.DATE_MIN` … ``DATE_MAX``)."""

    def min_date(self) -> date:
        return input_policy.DATE_MIN

    def max_date(self) -> date:
        return input_policy.DATE_MAX


class FrameworkDateField(DateField):
    """The day of an assessment or a training: on or after the first day a version of the
    configured competency framework is in force (no earlier day can be graded)."""

    def min_date(self) -> date:
        from ilp_training.core.curricula import first_day

        return first_day()


def _date_range(field: wtforms.DateField) -> tuple[date, date]:
    if isinstance(field, DateField):
        return field.min_date(), field.max_date()
    return input_policy.DATE_MIN, input_policy.DATE_MAX


def _check_text(form: Any, field: wtforms.Field) -> None:
    multiline = isinstance(field, wtforms.TextAreaField)
    for value in field.raw_data or ():
        char = input_policy.refused_character(str(value), multiline=multiline)
        if char is not None:
            raise wtforms.validators.StopValidation(gettext(
                "Control characters and text-direction marks are not allowed "
                "(found %(character)s).", character=input_policy.describe(char)))


def _check_integer(form: Any, field: wtforms.Field) -> None:
    raw = (field.raw_data or [""])[0]
    if str(raw).strip() and input_policy.ascii_int(str(raw)) is None:
        field.data = None
        raise wtforms.validators.StopValidation(gettext("Enter a whole number in digits 0–9."))


def _check_date(form: Any, field: wtforms.Field) -> None:
    if not isinstance(field.data, date):
        return
    low, high = _date_range(field)
    if not low <= field.data <= high:
        raise ValidationError(gettext("Enter a date from %(first)s to %(last)s.",
                                      first=format_date(low), last=format_date(high)))


def _apply_policy(field: wtforms.Field) -> None:
    """Put the policy's check first in ``field``'s validators; give a date input its
    range as ``min``/``max``."""
    if isinstance(field, wtforms.StringField):
        check = _check_text
    elif isinstance(field, wtforms.IntegerField):
        check = _check_integer
    elif isinstance(field, wtforms.DateField):
        check = _check_date
        low, high = _date_range(field)
        pattern = field.format[0] if isinstance(field.format, list) else field.format
        field.render_kw = {"min": low.strftime(pattern), "max": high.strftime(pattern),
                           **(field.render_kw or {})}
    else:
        return
    field.validators = [check, *field.validators]


class BaseForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> _BabelTranslations:
            return _BabelTranslations()

        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            field = super().bind_field(form, unbound_field, options)
            _apply_policy(field)
            return field


# The WTForms messages our forms can show, listed so that `flask translate extract` finds
# them; WTForms itself looks them up through _BabelTranslations.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid date value."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Field must be equal to %(other_name)s."),
    _l("Not a valid integer value."),
    _l("Number must be between %(min)s and %(max)s."),
    _ln("Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.", 1),
    _ln("Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.", 1),
)
