"""Template globals that read the competency framework (level names and pin colours)."""

from __future__ import annotations

import hashlib

from flask import Flask, Response, url_for
from flask_babel import get_locale

from ilp_training.core.curricula import framework_on, frameworks
from ilp_training.core.i18n import local_today

UNKNOWN_COLOUR = "#777777"


def level_name(code: str | None) -> str:
    """The level's name in the active language, from the framework in force today."""
    if not code:
        return ""
    try:
        return framework_on(local_today()).level(code).name.get(str(get_locale()))
    except KeyError:
        return code


def localised(value: object) -> str:
    """A curriculum text in the reader's language: a stored ``{"id": ..., "en": ...}``
    (certificate claims) or a curriculum :class:`~assessments.model.Text`; Indonesian
    when the text has no version in that language. A template global, so macros imported
    without the template's context (``current_locale`` is not theirs) still see it."""
    if value is None:
        return ""
    locale = str(get_locale())
    if isinstance(value, dict):
        return str(value.get(locale) or value.get("id") or "")
    return str(value.get(locale))  # type: ignore[attr-defined]


def level_colour(code: str | None) -> str:
    """The level's pin colour (``#RRGGBB``), grey when unknown."""
    try:
        return framework_on(local_today()).level(code).colour if code else UNKNOWN_COLOUR
    except KeyError:
        return UNKNOWN_COLOUR


def pin_class(colour: str) -> str:
    """The class that gives a level badge its pin colour (``pin-2e7d32``).

    The colours come from the curriculum file, and the security policy allows no
    ``style`` attribute, so each colour is a rule of :func:`level_stylesheet`."""
    return "pin-" + colour.lstrip("#").lower()


def level_pin(code: str | None) -> str:
    """The pin class of a level code (grey when unknown)."""
    return pin_class(level_colour(code))


def level_stylesheet() -> str:
    """One rule per pin colour of every installed framework (the colours are checked
    ``#RRGGBB`` by the curriculum loader)."""
    colours = {UNKNOWN_COLOUR} | {
        level.colour for framework in frameworks().values() for level in framework.levels}
    return "".join(f".{pin_class(c)}{{--pin:{c.lower()}}}\n" for c in sorted(colours))


def level_styles() -> Response:
    """``/levels.css``: the pin colours; public (like the static files), cached a day."""
    response = Response(level_stylesheet(), mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


def level_styles_url() -> str:
    """The stylesheet's address, versioned by its content so a new curriculum shows."""
    version = hashlib.sha256(level_stylesheet().encode()).hexdigest()[:10]
    return url_for("level_styles", v=version)


def init_app(app: Flask) -> None:
    app.add_template_global(level_name, "level_name")
    app.add_template_global(localised, "localised")
    app.add_template_global(level_colour, "level_colour")
    app.add_template_global(level_pin, "level_pin")
    app.add_template_global(level_styles_url, "level_styles_url")
    app.add_url_rule("/levels.css", "level_styles", level_styles)
