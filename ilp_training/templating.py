"""Template globals that read the competency framework (level names and pin colours)."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

from .curricula import framework_on
from .i18n import local_today


def level_name(code: str | None) -> str:
    """The level's name in the active language, from the framework in force today."""
    if not code:
        return ""
    try:
        return framework_on(local_today()).level(code).name.get(str(get_locale()))
    except KeyError:
        return code


def level_colour(code: str | None) -> str:
    """The level's pin colour (``#RRGGBB``), grey when unknown."""
    try:
        return framework_on(local_today()).level(code).colour if code else "#777777"
    except KeyError:
        return "#777777"


def init_app(app: Flask) -> None:
    app.add_template_global(level_name, "level_name")
    app.add_template_global(level_colour, "level_colour")
