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


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of ``#RRGGBB``: 0 (black) to 1 (white)."""
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2's contrast ratio of two ``#RRGGBB`` colours, 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)),
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def pin_text_colour(colour: str) -> str:
    """The text colour of a badge on ``colour``: white or black, whichever contrasts more.

    One of the two always reaches 4.58:1 (the worst case, a background of relative
    luminance 0.179, is 4.58:1 against both), so every badge passes WCAG's 4.5:1 for
    normal text whatever colour a curriculum gives its level."""
    return max(("#ffffff", "#000000"), key=lambda text: contrast_ratio(colour, text))


def level_stylesheet() -> str:
    """One rule per pin colour of every installed framework (the colours are checked
    ``#RRGGBB`` by the curriculum loader): the pin colour and the badge's text colour."""
    colours = {UNKNOWN_COLOUR} | {
        level.colour for framework in frameworks().values() for level in framework.levels}
    return "".join(f".{pin_class(c)}{{--pin:{c.lower()};--pin-text:{pin_text_colour(c)}}}\n"
                   for c in sorted(colours))


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


# The header's sections: which endpoints belong to which menu entry. The compact header
# of a phone names the current one beside the menu button; the menu marks it.
SECTIONS = {"main.posyandu_list": "posyandu", "cadres": "posyandu", "scoring": "posyandu",
            "rosters": "roster", "training": "trainings", "certificates": "certificates",
            "imports": "imports", "incentives": "incentives", "admin.audit_log": "audit",
            "admin.workers": "workers",
            "admin": "users", "auth.change_password": "password", "overview": "overview"}


def current_section() -> str | None:
    """The menu entry of the current page (its endpoint, else its blueprint), if any."""
    from flask import request

    endpoint = request.endpoint or ""
    return SECTIONS.get(endpoint) or SECTIONS.get(endpoint.partition(".")[0])


def init_app(app: Flask) -> None:
    app.add_template_global(level_name, "level_name")
    app.add_template_global(localised, "localised")
    app.add_template_global(level_colour, "level_colour")
    app.add_template_global(level_pin, "level_pin")
    app.add_template_global(level_styles_url, "level_styles_url")
    app.add_template_global(current_section, "current_section")
    app.add_url_rule("/levels.css", "level_styles", level_styles)
