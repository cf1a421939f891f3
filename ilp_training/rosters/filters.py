"""The cadre list's filters, read from the query string (a GET form: no CSRF token)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from assessments import Framework
from ilp_training.rosters.services import (
    NO_LEVEL,
    Assessed,
    RosterFilters,
    Status,
)


def _int_in(value: str | None, allowed: Collection[int]) -> int | None:
    """``value`` as one of the ``allowed`` ids, else None (ASCII digits only: ``isdigit``
    also accepts ``²``, which ``int`` refuses)."""
    if value and value.isascii() and value.isdigit() and int(value) in allowed:
        return int(value)
    return None


def _choice(value: str | None, allowed: Collection[str]) -> str:
    return value if value is not None and value in allowed else ""


def parse_filters(
    args: Mapping[str, str], framework: Framework, posyandu_ids: Collection[int],
    puskesmas_ids: Collection[int] = (),
) -> RosterFilters:
    """The filters in ``args``; a value that is not one of the choices offered (a posyandu
    outside the scope, an unknown level or package) is ignored, not an error."""
    levels = {lv.code for lv in framework.levels} | {NO_LEVEL}
    packages = {p.code for p in framework.packages}
    return RosterFilters(
        posyandu_id=_int_in(args.get("posyandu"), posyandu_ids),
        puskesmas_id=_int_in(args.get("puskesmas"), puskesmas_ids),
        level=_choice(args.get("level"), levels),
        package=_choice(args.get("package"), packages),
        assessed=Assessed(_choice(args.get("assessed"), {a.value for a in Assessed})),
        status=Status(_choice(args.get("status"), set(Status)) or Status.ACTIVE),
    )
