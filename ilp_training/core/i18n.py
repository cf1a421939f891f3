"""Languages: which locale a request uses, and Babel-backed formatting for templates.

Indonesian is the default. A user's saved preference wins; before sign-in the choice
made with the language switch is kept in the session.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency
from flask import Flask, current_app, has_request_context, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from ilp_training.cadres.nik import mask_nik, mask_personal, mask_phone
from ilp_training.core.audit import ACTION_LABELS, field_label
from ilp_training.core.audit import describe as audit_describe


def select_locale() -> str:
    """The locale for this request: the user's preference, the session's, or ``id``
    (always ``id`` outside a request, e.g. in the worker, unless forced)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def rupiah(amount: int | Decimal | None) -> str:
    """Whole rupiah in the active locale: ``Rp250.000`` (id), ``Rp250,000`` (en)."""
    if amount is None:
        return ""
    return format_currency(
        amount, "IDR", format="¤#,##0", locale=str(get_locale()), currency_digits=False
    ).replace("IDR", "Rp")


def fdate(value: date | None, fmt: str = "medium") -> str:
    """A date in the active locale's format. A plain date depends only on the locale and
    the format, so results are memoised: lists show the same few dates on many rows."""
    if value is None:
        return ""
    if type(value) is date:
        return _memo_date(value, fmt, str(get_locale()))
    return format_date(value, fmt)


@lru_cache(maxsize=4096)
def _memo_date(value: date, fmt: str, _locale: str) -> str:
    return format_date(value, fmt)


def fdatetime(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value is not None else ""


def isodate(value: str | None, fmt: str = "medium") -> str:
    """An ISO date string (as stored in JSON claims) formatted like :func:`fdate`."""
    return fdate(date.fromisoformat(value), fmt) if value else ""


def fnumber(value: int | float | Decimal | None) -> str:
    """A number in the active locale's format (``1.234`` in id, ``1,234`` in en).

    Whole numbers from 0 to 999 look the same in every locale, so they skip Babel: a
    report table formats a thousand cells per page.
    """
    if value is None:
        return ""
    if type(value) is int and 0 <= value < 1000:
        return str(value)
    return format_decimal(value)


def init_app(app: Flask) -> None:
    """Register the formatting and masking filters, and the locale in every template."""
    app.add_template_filter(rupiah, "rupiah")
    app.add_template_filter(fdate, "fdate")
    app.add_template_filter(fdatetime, "fdatetime")
    app.add_template_filter(fnumber, "fnumber")
    app.add_template_filter(isodate, "isodate")
    app.add_template_filter(mask_nik, "mask_nik")
    app.add_template_filter(mask_phone, "mask_phone")
    app.add_template_global(mask_personal, "mask_personal")
    app.add_template_global(audit_describe, "audit_sentence")
    app.add_template_global(field_label, "field_label")

    @app.context_processor
    def _locale_context() -> dict[str, object]:
        return {
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "action_labels": ACTION_LABELS,
        }


def local_now(app: Flask | None = None) -> datetime:
    """Now, as an aware date-time in the site's time zone (``BABEL_DEFAULT_TIMEZONE``).

    The one clock of the site: every "today" derives from it. The setting ``TODAY`` (an
    ISO date or date-time; without an offset it is read in the site's zone) fixes it, so
    tests, demos and the reproduction of a past day never depend on the real date.
    """
    from zoneinfo import ZoneInfo

    config = (app or current_app).config
    zone = ZoneInfo(config["BABEL_DEFAULT_TIMEZONE"])
    fixed = config.get("TODAY")
    if not fixed:
        return datetime.now(zone)
    moment = datetime.fromisoformat(str(fixed))
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def local_today(app: Flask | None = None) -> date:
    """Today's date in the site's time zone, from :func:`local_now` (the one clock)."""
    return local_now(app).date()
