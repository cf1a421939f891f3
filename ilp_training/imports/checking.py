"""What every sheet's check shares: the plan it makes (problems, or a preview and the
changes to apply), the tally per posyandu, and the user's places."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ilp_training.core.extensions import db
from ilp_training.imports.cells import VILLAGE_CODE, CellError, Problem, key
from ilp_training.models import Posyandu, Region
from ilp_training.scope import posyandu_clause

Progress = Callable[[int], None]  # rows checked or applied so far


def no_progress(done: int) -> None:
    pass


NEW, UPDATED, UNCHANGED = 0, 1, 2


@dataclass
class Plan:
    """The outcome of a check: ``problems`` (nothing may be applied while there are
    any), else the tally per place and ``apply``, which makes the changes (flushing, in
    the caller's transaction) and returns what it did."""

    problems: list[Problem] = field(default_factory=list)
    tally: dict[str, list[int]] = field(default_factory=dict)
    apply: Callable[[Progress], dict[str, Any]] | None = None

    def count(self, place: str, what: int) -> None:
        self.tally.setdefault(place, [0, 0, 0])[what] += 1

    def preview(self) -> dict[str, Any]:
        places = sorted(self.tally.items())
        totals = [sum(counts[i] for _p, counts in places) for i in range(3)]
        return {"places": [[p, *counts] for p, counts in places], "totals": totals}


def chunks(values: Iterable[Any], size: int = 900) -> Iterable[list[Any]]:
    """``values`` in lists of at most ``size`` (an IN list stays under SQLite's limit)."""
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class PlaceRow:
    posyandu_id: int
    name: str
    village_id: int
    village_code: str
    village_name: str

    @property
    def label(self) -> str:
        return f"{self.village_name} › {self.name}"


class Places:
    """The posyandu the user may import into (their scope), found by village (code or
    name) and posyandu name. An unknown posyandu and one outside the scope get the same
    answer, so that a file cannot probe what exists elsewhere."""

    def __init__(self, user: Any) -> None:
        rows = db.session.execute(
            sa.select(Posyandu.id, Posyandu.name, Region.id, Region.code, Region.name)
            .join(Region, Region.id == Posyandu.village_id).where(posyandu_clause(user))).all()
        self.by_id = {r[0]: PlaceRow(*r) for r in rows}
        self.by_name: dict[str, list[PlaceRow]] = {}
        for place in self.by_id.values():
            self.by_name.setdefault(key(place.name), []).append(place)

    def find(self, village: str, name: str) -> PlaceRow:
        """The posyandu named; raises :class:`CellError` (column 1: the posyandu)."""
        found = self.by_name.get(key(name), [])
        if village:
            if VILLAGE_CODE.fullmatch(village):
                found = [p for p in found if p.village_code == village]
            else:
                found = [p for p in found if key(p.village_name) == key(village)]
        if not found:
            raise CellError(_l("No posyandu of this name in your area."))
        if len(found) > 1:
            raise CellError(_l("Several posyandu in your area have this name: give the "
                               "village."))
        return found[0]
