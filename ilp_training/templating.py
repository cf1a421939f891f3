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


def role_flags() -> dict[str, bool]:
    """What the signed-in user's role allows, for templates (which never test role names):
    ``is_admin`` (district office), ``is_manager`` (admin or coordinator),
    ``sees_incentives``."""
    from flask_login import current_user

    from .auth import INCENTIVE_VIEWERS, MANAGERS
    from .models import Role

    role = getattr(current_user, "role", None)
    return {"is_admin": role == Role.ADMIN, "is_manager": role in MANAGERS,
            "sees_incentives": role in INCENTIVE_VIEWERS}


def init_app(app: Flask) -> None:
    app.context_processor(role_flags)
    app.add_template_global(level_name, "level_name")
    app.add_template_global(level_colour, "level_colour")
