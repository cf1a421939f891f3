"""The competency frameworks the site grades with, loaded once per app from
``CURRICULA_DIR`` by the pure engine in :mod:`assessments`."""

from __future__ import annotations

from datetime import date

from flask import current_app

from assessments import Framework, framework_in_force, load_frameworks

_KEY = "ilp_frameworks"


def frameworks() -> dict[tuple[str, str], Framework]:
    """Every framework version found, keyed by ``(id, version)`` (loaded on first use)."""
    cache = current_app.extensions.get(_KEY)
    if cache is None:
        cache = load_frameworks(current_app.config["CURRICULA_DIR"])
        current_app.extensions[_KEY] = cache
    return cache


def framework_for(framework_id: str, version: str) -> Framework:
    """The framework a stored result was graded under; ``LookupError`` if it is gone."""
    try:
        return frameworks()[(framework_id, version)]
    except KeyError:
        raise LookupError(f"framework {framework_id} {version} is not installed") from None


def framework_on(day: date) -> Framework:
    """The version of the configured framework (``FRAMEWORK_ID``) in force on ``day``."""
    return framework_in_force(frameworks(), current_app.config["FRAMEWORK_ID"], day)


def first_day() -> date:
    """The first day a version of the configured framework is in force (assessments and
    trainings before it cannot be graded)."""
    framework_id = current_app.config["FRAMEWORK_ID"]
    return min(f.effective_date for f in frameworks().values() if f.id == framework_id)


def framework_on_or_today(day: date | None) -> Framework:
    """The framework in force on ``day``, a date a form holds; today's while the date is
    empty or before :func:`first_day` (the form then refuses the date)."""
    from ilp_training.core.i18n import local_today

    if day is None or day < first_day():
        day = local_today()
    return framework_on(day)
