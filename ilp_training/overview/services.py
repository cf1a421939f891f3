"""What the overview pages read: a place of the hierarchy (national → province →
regency → puskesmas → posyandu) with the places above it, its children by name, and
their counts turned into what a page and an export show.

The counts come from the rollups (:mod:`ilp_training.overview.rollups`: ``figures`` of
one place, ``child_figures`` of many in one query); this module adds names, the labels
of the curriculum in force and the user's place scope
(:class:`ilp_training.scope.PlaceScope`). A page runs a fixed number of queries, however
many children its place has: one for the place and its ancestors, one for the
children's keys, one for their names, and the rollups' own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from assessments import Framework
from ilp_training.core.dates import add_months
from ilp_training.core.extensions import db
from ilp_training.models import Posyandu, Puskesmas, Region, RegionLevel
from ilp_training.overview.rollups import (
    Figures,
    PlaceKey,
    PlaceLevel,
    child_figures,
    children_of,
    figures,
)
from ilp_training.rosters.services import LevelRow, level_counts
from ilp_training.scope import PlaceScope

NATION = PlaceKey(PlaceLevel.NATIONAL, 0)
MONTHS = 12  # trainings per month: this month and the eleven before it


@dataclass(frozen=True)
class Place:
    """A place of the hierarchy as a page names it. ``code`` is the Kemendagri code of a
    region ("" otherwise); ``detail`` a puskesmas's kecamatan or a posyandu's village;
    ``district_code``, ``puskesmas_id`` and ``village_id`` are what the place scope asks
    (:func:`visible`)."""

    key: PlaceKey
    name: str
    code: str = ""
    detail: str = ""
    district_code: str = ""
    puskesmas_id: int | None = None
    village_id: int | None = None


def visible(scope: PlaceScope, place: Place) -> bool:
    """Whether ``place``'s counts are in the user's place scope."""
    level = place.key.level
    if level == PlaceLevel.NATIONAL:
        return scope.nation()
    if level in (PlaceLevel.PROVINCE, PlaceLevel.REGENCY):
        return scope.region(place.code)
    assert place.puskesmas_id is not None
    if level == PlaceLevel.PUSKESMAS:
        return scope.puskesmas(place.puskesmas_id, place.district_code)
    assert place.village_id is not None
    return scope.posyandu(place.puskesmas_id, place.village_id, place.district_code)


def _region(row: Region, level: PlaceLevel) -> Place:
    return Place(PlaceKey(level, row.id), row.name, row.code)


def _regions(regency: Region, province: Region | None) -> list[Place]:
    above = [_region(province, PlaceLevel.PROVINCE)] if province is not None else []
    return [*above, _region(regency, PlaceLevel.REGENCY)]


def _chain_of_puskesmas(puskesmas: Puskesmas, kecamatan: str, regency: Region,
                        province: Region | None) -> list[Place]:
    place = Place(PlaceKey(PlaceLevel.PUSKESMAS, puskesmas.id), puskesmas.name,
                  detail=kecamatan, district_code=regency.code, puskesmas_id=puskesmas.id)
    return [*_regions(regency, province), place]


def place_chain(level: PlaceLevel, ident: str | int) -> list[Place] | None:
    """The place of ``level`` named by ``ident`` (a Kemendagri code for a province or a
    regency, an id for a puskesmas or a posyandu) and every place above it, national
    first; ``None`` when there is no such place (one query, none for the nation)."""
    nation = Place(NATION, "Indonesia")
    if level == PlaceLevel.NATIONAL:
        return [nation]
    if level in (PlaceLevel.PROVINCE, PlaceLevel.REGENCY):
        chain = _region_chain(level, str(ident))
    else:
        chain = _puskesmas_chain(int(ident), posyandu=level == PlaceLevel.POSYANDU)
    return None if chain is None else [nation, *chain]


def _region_chain(level: PlaceLevel, code: str) -> list[Place] | None:
    province, regency = aliased(Region), aliased(Region)
    if level == PlaceLevel.PROVINCE:
        found = db.session.scalars(sa.select(province).where(
            province.code == code, province.level == RegionLevel.PROVINCE)).first()
        return None if found is None else [_region(found, level)]
    row = db.session.execute(
        sa.select(regency, province).outerjoin(province, province.id == regency.parent_id)
        .where(regency.code == code, regency.level == RegionLevel.REGENCY)).first()
    return None if row is None else _regions(row[0], row[1])


def _puskesmas_chain(ident: int, posyandu: bool) -> list[Place] | None:
    """A puskesmas (``posyandu`` false) or a posyandu with the places above it."""
    province, regency, kecamatan, village = (aliased(Region) for _ in range(4))
    stmt = (sa.select(Puskesmas, kecamatan.name, regency, province)
            .join(kecamatan, kecamatan.id == Puskesmas.subdistrict_id)
            .join(regency, regency.id == Puskesmas.district_id)
            .outerjoin(province, province.id == regency.parent_id))
    if posyandu:
        stmt = (stmt.add_columns(Posyandu, village.name)
                .join(Posyandu, Posyandu.puskesmas_id == Puskesmas.id)
                .join(village, village.id == Posyandu.village_id).where(Posyandu.id == ident))
    else:
        stmt = stmt.where(Puskesmas.id == ident)
    row: Any = db.session.execute(stmt).first()
    if row is None:
        return None
    chain = _chain_of_puskesmas(row[0], row[1], row[2], row[3])
    if not posyandu:
        return chain
    post, village_name = row[4], row[5]
    return [*chain, Place(PlaceKey(PlaceLevel.POSYANDU, post.id), post.name,
                          detail=village_name, district_code=row[2].code,
                          puskesmas_id=post.puskesmas_id, village_id=post.village_id)]


def children(place: Place) -> list[Place]:
    """The children of ``place`` (:func:`rollups.children_of`) with their names: regions
    by code, puskesmas by name, posyandu by village, then name (two queries; none for a
    posyandu, which has no children)."""
    keys = children_of(place.key)
    if not keys:
        return []
    level, ids = keys[0].level, [k.id for k in keys]
    if level in (PlaceLevel.PROVINCE, PlaceLevel.REGENCY):
        rows = db.session.execute(sa.select(Region.id, Region.name, Region.code)
                                  .where(Region.id.in_(ids)).order_by(Region.code))
        return [Place(PlaceKey(level, i), name, code) for i, name, code in rows]
    region = aliased(Region)
    if level == PlaceLevel.PUSKESMAS:
        puskesmas_rows = db.session.execute(
            sa.select(Puskesmas.id, Puskesmas.name, region.name)
            .join(region, region.id == Puskesmas.subdistrict_id)
            .where(Puskesmas.id.in_(ids)).order_by(Puskesmas.name, Puskesmas.id))
        return [Place(PlaceKey(level, i), name, detail=kec, district_code=place.code,
                      puskesmas_id=i) for i, name, kec in puskesmas_rows]
    posyandu_rows = db.session.execute(
        sa.select(Posyandu.id, Posyandu.name, region.name, Posyandu.village_id)
        .join(region, region.id == Posyandu.village_id)
        .where(Posyandu.id.in_(ids)).order_by(region.name, Posyandu.name, Posyandu.id))
    return [Place(PlaceKey(level, i), name, detail=village, district_code=place.district_code,
                  puskesmas_id=place.key.id, village_id=village_id)
            for i, name, village, village_id in posyandu_rows]


# --- the counts as a page shows them ------------------------------------------------------


@dataclass(frozen=True)
class PackageGap:
    """A skill package: the place's cadres competent in it, and those not yet."""

    code: str
    name: str
    competent: int
    not_yet: int

    @property
    def share(self) -> int:
        """Competent cadres as a whole percentage, rounded down (0 without cadres)."""
        total = self.competent + self.not_yet
        return self.competent * 100 // total if total else 0


@dataclass(frozen=True)
class Summary:
    """One place's counts as a page shows them: the levels (``levels``: a roster
    :class:`LevelRow`, for the sentence and the chart), the package gaps, the trainings
    of each of the last :data:`MONTHS` months (``"YYYY-MM"`` → events), the mean
    pre/post-test gain, certificates issued, and incentive coverage for ``period``."""

    place: Place
    cadres: int
    levels: LevelRow
    packages: tuple[PackageGap, ...]
    trainings: tuple[tuple[str, int], ...]
    mean_gain: float | None
    gain_n: int
    certificates: int
    villages: int
    villages_approved: int
    bpjs: int

    @property
    def trainings_total(self) -> int:
        return sum(n for _month, n in self.trainings)


def month_keys(today: date) -> list[str]:
    """``"YYYY-MM"`` of this month and the ``MONTHS - 1`` before it, oldest first."""
    first = today.replace(day=1)
    return [f"{add_months(first, -i):%Y-%m}" for i in range(MONTHS - 1, -1, -1)]


def summarise(place: Place, data: Figures, framework: Framework, locale: str,
              months: Sequence[str], period: str) -> Summary:
    """``data`` of ``place`` with the curriculum's labels (levels high to low, then "no
    level yet"; the packages in the framework's order), the months asked for and the
    approved villages of ``period`` (a period key, e.g. ``2026-10``)."""
    by_code: dict[str | None, int] = {(code or None): n for code, n in data.by_level.items()}
    packages = tuple(
        PackageGap(p.code, p.name.get(locale), data.packages.get(p.code, 0),
                   max(data.cadres - data.packages.get(p.code, 0), 0))
        for p in framework.packages)
    return Summary(
        place=place, cadres=data.cadres,
        levels=LevelRow(None, level_counts(framework, locale, by_code)),
        packages=packages,
        trainings=tuple((m, data.trainings.get(m, 0)) for m in months),
        mean_gain=data.mean_test_gain, gain_n=data.test_gain_n,
        certificates=data.certificates, villages=data.villages,
        villages_approved=data.villages_approved.get(period, 0), bpjs=data.bpjs)


def place_summary(place: Place, framework: Framework, locale: str, months: Sequence[str],
                  period: str) -> tuple[Summary, Figures]:
    """The place's own summary (the rollups' :func:`figures`), and the figures (their
    approved periods name the choices of the period filter)."""
    data = figures(place.key)
    return summarise(place, data, framework, locale, months, period), data


def children_summaries(parent: Place, places: Sequence[Place], framework: Framework,
                       locale: str, months: Sequence[str], period: str) -> list[Summary]:
    """The summary of each of ``places`` (children of ``parent``), in their order (one
    call of the rollups' :func:`child_figures`)."""
    if not places:
        return []
    found = child_figures(parent.key, [p.key for p in places])
    empty = Figures(cadres=0, by_level={}, packages={}, bpjs=0, certificates=0, trainings={},
                    test_gain_sum=0.0, test_gain_n=0, villages=0, villages_approved={})
    return [summarise(p, found.get(p.key, empty), framework, locale, months, period)
            for p in places]


def home_place(scope: PlaceScope) -> tuple[PlaceLevel, str | int] | None:
    """The overview page a user starts from: the top of their place scope (the nation, a
    province, a regency, a puskesmas), or for a village head the first posyandu of the
    village by name (one query); ``None`` when the scope holds no place."""
    if scope.everywhere:
        return PlaceLevel.NATIONAL, 0
    if scope.region_code is not None:
        level = PlaceLevel.PROVINCE if "." not in scope.region_code else PlaceLevel.REGENCY
        return level, scope.region_code
    if scope.puskesmas_id is not None:
        return PlaceLevel.PUSKESMAS, scope.puskesmas_id
    if scope.village_id is None:
        return None
    first = db.session.scalar(sa.select(Posyandu.id).where(
        Posyandu.village_id == scope.village_id).order_by(Posyandu.name, Posyandu.id).limit(1))
    return None if first is None else (PlaceLevel.POSYANDU, first)
