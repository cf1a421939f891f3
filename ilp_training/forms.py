"""The base form: WTForms' own messages ("This field is required.", "Not a valid date
value.") go through our Babel catalogs, since WTForms ships no Indonesian."""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations, gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from flask_wtf import FlaskForm


class _BabelTranslations:
    """WTForms' translations interface backed by Flask-Babel's active catalog."""

    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # Unformatted: WTForms fills its own placeholders (``%(value)s``) afterwards, and
        # Flask-Babel's ngettext would format with ``num`` only (KeyError).
        return get_translations().ngettext(singular, plural, n)


class BaseForm(FlaskForm):
    class Meta:
        def get_translations(self, form: Any) -> _BabelTranslations:
            return _BabelTranslations()


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
