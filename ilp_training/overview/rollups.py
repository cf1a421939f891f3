"""The overview's counts per place, kept in ``rollup_counts`` (the read API).

What counts where (``docs/overview.md``, *Counts*):

- **Cadre figures** (cadres, by level, complete packages, BPJS-TK) count the *active*
  cadres at their current posyandu, and every place above it: posyandu → puskesmas
  (``Posyandu.puskesmas_id``) → regency (``Puskesmas.district_id``) → province (the
  regency's ``parent_id``) → national. ``by_level`` uses ``Cadre.level_code`` (``""``:
  not yet graded); ``packages`` the packages whose every skill the cadre has mastered
  (``Cadre.package_codes``, kept beside the level by the scoring services).
- **Certificates**: the valid certificates (not superseded, not revoked) of the cadres of
  the place, whatever the cadre's status, at the holder's current posyandu.
- **Trainings**: finished training events (held), by the month they started, at the
  organiser's place (the puskesmas; a district-wide event at its regency) and above; a
  posyandu holds none. **Test gains**: over the participants of finished events who took
  both tests, ``post − pre`` summed and counted at the posyandu they served at on
  enrolment (``TrainingParticipant.posyandu_id``) and above.
- **Villages**: a puskesmas counts the villages of its catchment (``puskesmas_villages``),
  a regency, a province and the nation the distinct villages of their puskesmas'
  catchments, a posyandu its own village. **Approved**: the same villages that have an
  approved incentive summary, per period key (``2026-10``, ``2026-Q4``, ``2026``).

Places above the posyandu read their rows from ``rollup_counts``; a posyandu (a handful
of cadres) is counted from the records, which costs as little as reading rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ilp_training.core.curricula import frameworks
from ilp_training.core.extensions import db
from ilp_training.incentives.rules import PeriodKind
from ilp_training.models import (
    Cadre,
    CadreStatus,
    Certificate,
    CertificateStatus,
    IncentiveSummary,
    Posyandu,
    Puskesmas,
    Region,
    RegionLevel,
    RollupCount,
    SummaryStatus,
    TrainingEvent,
    TrainingParticipant,
    TrainingStatus,
    puskesmas_villages,
)
from ilp_training.models.rollups import Metric, PlaceLevel

__all__ = [
    "STORED_LEVELS",
    "Figures",
    "Metric",
    "PlaceKey",
    "PlaceLevel",
    "child_figures",
    "children_of",
    "figures",
    "from_records",
    "rebuild",
]

# The levels kept in ``rollup_counts``, from the top (the order rows are touched in).
STORED_LEVELS = (PlaceLevel.NATIONAL, PlaceLevel.PROVINCE, PlaceLevel.REGENCY,
                 PlaceLevel.PUSKESMAS)
_CHILD = {PlaceLevel.NATIONAL: PlaceLevel.PROVINCE, PlaceLevel.PROVINCE: PlaceLevel.REGENCY,
          PlaceLevel.REGENCY: PlaceLevel.PUSKESMAS, PlaceLevel.PUSKESMAS: PlaceLevel.POSYANDU}


@dataclass(frozen=True)
class PlaceKey:
    """A place of the hierarchy: ``Region.id`` for a province or regency, ``Puskesmas.id``,
    ``Posyandu.id``; 0 for the nation."""

    level: PlaceLevel
    id: int


NATIONAL = PlaceKey(PlaceLevel.NATIONAL, 0)


@dataclass
class Figures:
    """The counts of one place (zero entries are left out of the dictionaries)."""

    cadres: int = 0
    by_level: dict[str, int] = field(default_factory=dict)  # level code ("" not graded)
    packages: dict[str, int] = field(default_factory=dict)  # package code → cadres
    bpjs: int = 0
    certificates: int = 0
    trainings: dict[str, int] = field(default_factory=dict)  # "YYYY-MM" → events
    test_gain_sum: float = 0.0
    test_gain_n: int = 0
    villages: int = 0
    villages_approved: dict[str, int] = field(default_factory=dict)  # period key → villages

    @property
    def mean_test_gain(self) -> float | None:
        """Mean post-test minus pre-test over the participants who took both."""
        return self.test_gain_sum / self.test_gain_n if self.test_gain_n else None


def _figures(rows: Iterable[Sequence[Any]]) -> Figures:
    """Figures from ``(metric, item, value)`` rows."""
    result = Figures()
    for metric, item, value in rows:
        value = int(value)
        if value == 0:
            continue
        match Metric(metric):
            case Metric.CADRES:
                result.cadres += value
            case Metric.LEVEL:
                result.by_level[item] = result.by_level.get(item, 0) + value
            case Metric.PACKAGE:
                result.packages[item] = result.packages.get(item, 0) + value
            case Metric.BPJS:
                result.bpjs += value
            case Metric.CERTIFICATES:
                result.certificates += value
            case Metric.TRAININGS:
                result.trainings[item] = result.trainings.get(item, 0) + value
            case Metric.GAIN_SUM:
                result.test_gain_sum += value
            case Metric.GAIN_N:
                result.test_gain_n += value
            case Metric.VILLAGES:
                result.villages += value
            case Metric.APPROVED:
                result.villages_approved[item] = result.villages_approved.get(item, 0) + value
    return result


# --- reading ----------------------------------------------------------------------------


def figures(place: PlaceKey) -> Figures:
    """The counts of ``place``: its rows of ``rollup_counts`` (one query on the primary
    key), or, for a posyandu, counted from the records (one query)."""
    if place.level == PlaceLevel.POSYANDU:
        return from_records(place)
    return _figures(db.session.execute(
        sa.select(RollupCount.metric, RollupCount.item, RollupCount.value)
        .where(RollupCount.level == place.level, RollupCount.place_id == place.id)).all())


def child_figures(place: PlaceKey, children: list[PlaceKey]) -> dict[PlaceKey, Figures]:
    """The counts of ``children`` (places one level below ``place``), in one query: the
    rows whose parent is ``place`` (index ``(level, parent_id)``), or the posyandu of a
    puskesmas counted from the records."""
    if not children:
        return {}
    level = _CHILD[place.level]
    if any(child.level != level for child in children):
        raise ValueError(f"children of a {place.level} are {level} places")
    wanted = {child.id for child in children}
    stmt: sa.Executable
    if level == PlaceLevel.POSYANDU:
        stmt = _records(level, parent=place.id)
    else:
        stmt = (sa.select(RollupCount.place_id, RollupCount.parent_id, RollupCount.metric,
                          RollupCount.item, RollupCount.value)
                .where(RollupCount.level == level, RollupCount.parent_id == place.id))
    rows: dict[int, list[Sequence[Any]]] = {child: [] for child in wanted}
    for place_id, _parent, metric, item, value in db.session.execute(stmt).all():
        if place_id in rows:
            rows[place_id].append((metric, item, value))
    return {child: _figures(rows[child.id]) for child in children}


def children_of(place: PlaceKey) -> list[PlaceKey]:
    """The places one level below ``place`` (provinces and regencies by code, puskesmas
    and posyandu by name); a posyandu has none."""
    match place.level:
        case PlaceLevel.NATIONAL:
            stmt = (sa.select(Region.id).where(Region.level == RegionLevel.PROVINCE)
                    .order_by(Region.code))
        case PlaceLevel.PROVINCE:
            stmt = (sa.select(Region.id).where(Region.level == RegionLevel.REGENCY,
                                               Region.parent_id == place.id)
                    .order_by(Region.code))
        case PlaceLevel.REGENCY:
            stmt = (sa.select(Puskesmas.id).where(Puskesmas.district_id == place.id)
                    .order_by(Puskesmas.name, Puskesmas.id))
        case PlaceLevel.PUSKESMAS:
            stmt = (sa.select(Posyandu.id).where(Posyandu.puskesmas_id == place.id)
                    .order_by(Posyandu.name, Posyandu.id))
        case _:
            return []
    level = _CHILD[place.level]
    return [PlaceKey(level, place_id) for place_id in db.session.scalars(stmt)]


def from_records(place: PlaceKey) -> Figures:
    """The counts of ``place`` computed straight from the records (the truth the rollups
    must equal; one query)."""
    return _figures(record_rows(place))


def record_rows(place: PlaceKey) -> list[tuple[str, str, int]]:
    """``(metric, item, value)`` of ``place`` from the records (one query)."""
    only = None if place.level == PlaceLevel.NATIONAL else place.id
    return [(str(metric), item, int(value)) for _p, _parent, metric, item, value in
            db.session.execute(_records(place.level, place=only)).all()]


# --- the records, counted in SQL ---------------------------------------------------------

_REGENCY = aliased(Region, name="regency")
_PV = puskesmas_villages.c


def _text(value: str) -> sa.ColumnElement[str]:
    return sa.literal_column(f"'{value}'", sa.String)  # our own constants only


def _int(value: int) -> sa.ColumnElement[int]:
    return sa.literal_column(str(int(value)), sa.Integer)


@dataclass(frozen=True)
class _Key:
    """How a level groups: its place and parent expressions, and the GROUP BY columns."""

    place: Any  # column expressions (an ORM attribute or a literal)
    parent: Any
    group: tuple[Any, ...]


def _key(level: PlaceLevel) -> _Key:
    """The place and parent of ``level`` over the joins posyandu → puskesmas → regency."""
    match level:
        case PlaceLevel.POSYANDU:
            return _Key(Posyandu.id, Posyandu.puskesmas_id, (Posyandu.id, Posyandu.puskesmas_id))
        case PlaceLevel.PUSKESMAS:
            return _Key(Puskesmas.id, Puskesmas.district_id,
                        (Puskesmas.id, Puskesmas.district_id))
        case PlaceLevel.REGENCY:
            return _Key(_REGENCY.id, _REGENCY.parent_id, (_REGENCY.id, _REGENCY.parent_id))
        case PlaceLevel.PROVINCE:
            return _Key(_REGENCY.parent_id, _int(0), (_REGENCY.parent_id,))
    return _Key(_int(0), sa.cast(sa.null(), sa.Integer), ())


def _chain(stmt: sa.Select[Any], posyandu_id: Any) -> sa.Select[Any]:
    return (stmt.join(Posyandu, Posyandu.id == posyandu_id)
            .join(Puskesmas, Puskesmas.id == Posyandu.puskesmas_id)
            .join(_REGENCY, _REGENCY.id == Puskesmas.district_id))


def _year(column: Any) -> sa.ColumnElement[int]:
    return sa.cast(sa.extract("year", column), sa.Integer)


def _month(column: Any) -> sa.ColumnElement[int]:
    return sa.cast(sa.extract("month", column), sa.Integer)


def month_key(column: Any) -> sa.ColumnElement[str]:
    """``YYYY-MM`` of a date column, in SQL that SQLite and PostgreSQL both run."""
    month = _month(column)
    return (sa.cast(_year(column), sa.String) + "-"
            + sa.case((month < 10, "0" + sa.cast(month, sa.String)),
                      else_=sa.cast(month, sa.String)))


def period_key(kind: Any, start: Any) -> sa.ColumnElement[str]:
    """The key of an incentive period (``2026-10``, ``2026-Q4``, ``2026``; see
    ``incentives.rules.Period``) in SQL."""
    year = sa.cast(_year(start), sa.String)
    quarter = sa.cast((_month(start) - 1) // 3 + 1, sa.String)
    return sa.case((kind == PeriodKind.MONTH, month_key(start)),
                   (kind == PeriodKind.QUARTER, year + "-Q" + quarter), else_=year)


def package_codes() -> list[str]:
    """Every package code of the installed frameworks, sorted."""
    return sorted({p.code for f in frameworks().values() for p in f.packages})


def _select(key: _Key, metric: Metric, item: sa.ColumnElement[Any],
            value: sa.ColumnElement[Any], group_item: bool = False) -> sa.Select[Any]:
    group = (*key.group, item) if group_item else key.group
    stmt = sa.select(key.place.label("place_id"), key.parent.label("parent_id"),
                     _text(metric.value).label("metric"), item.label("item"),
                     value.label("value"))
    # the nation has no GROUP BY: without HAVING it would give a row over no records
    return (stmt.group_by(*group) if group else stmt).having(sa.func.count() > 0)


def _record_selects(level: PlaceLevel) -> list[sa.Select[Any]]:
    """One SELECT per metric of ``level`` from the records: ``place_id, parent_id,
    metric, item, value`` (the columns of ``rollup_counts`` but the level)."""
    return _cadre_selects(level) + _training_selects(level) + _village_selects(level)


def _cadre_selects(level: PlaceLevel) -> list[sa.Select[Any]]:
    """The metrics that follow the cadres and participants of each posyandu."""
    key = _key(level)
    count = sa.func.count()
    active = Cadre.status == CadreStatus.ACTIVE
    empty = _text("")

    def cadres(stmt: sa.Select[Any], *where: sa.ColumnElement[bool]) -> sa.Select[Any]:
        return _chain(stmt.select_from(Cadre), Cadre.posyandu_id).where(active, *where)

    selects = [
        cadres(_select(key, Metric.CADRES, empty, count)),
        cadres(_select(key, Metric.LEVEL, sa.func.coalesce(Cadre.level_code, ""), count,
                       group_item=True)),
        cadres(_select(key, Metric.BPJS, empty, count), Cadre.bpjs_tk_enrolled.is_(True)),
    ]
    for code in package_codes():
        selects.append(cadres(_select(key, Metric.PACKAGE, _text(code), count),
                              Cadre.package_codes.like(f"%,{code},%")))
    selects.append(_chain(
        _select(key, Metric.CERTIFICATES, empty, count).select_from(Certificate)
        .join(Cadre, Cadre.id == Certificate.cadre_id), Cadre.posyandu_id)
        .where(Certificate.status == CertificateStatus.VALID))
    tp, te = TrainingParticipant, TrainingEvent
    both = (te.status == TrainingStatus.FINISHED, tp.pre_score.is_not(None),
            tp.post_score.is_not(None))
    for metric, value in ((Metric.GAIN_SUM, sa.func.sum(tp.post_score - tp.pre_score)),
                          (Metric.GAIN_N, count)):
        selects.append(_chain(_select(key, metric, empty, value).select_from(tp)
                              .join(te, te.id == tp.event_id), tp.posyandu_id).where(*both))
    return selects


def _training_selects(level: PlaceLevel) -> list[sa.Select[Any]]:
    """Finished events by start month at the organiser's place: a puskesmas its own, a
    regency every event of the district (``district_id``), and above."""
    if level == PlaceLevel.POSYANDU:
        return []
    key = _key(level)
    te = TrainingEvent
    stmt = (_select(key, Metric.TRAININGS, month_key(te.start_date), sa.func.count(),
                    group_item=True)
            .select_from(te).join(_REGENCY, _REGENCY.id == te.district_id)
            .where(te.status == TrainingStatus.FINISHED))
    if level == PlaceLevel.PUSKESMAS:
        stmt = stmt.join(Puskesmas, Puskesmas.id == te.puskesmas_id)
    return [stmt]


def _village_selects(level: PlaceLevel) -> list[sa.Select[Any]]:
    """Villages (and those with an approved summary, per period): a posyandu its own
    village; a puskesmas its catchment; above, the distinct villages of the catchments."""
    key = _key(level)
    summary = IncentiveSummary
    approved = summary.status == SummaryStatus.APPROVED
    period = period_key(summary.period_kind, summary.period_start)
    if level == PlaceLevel.POSYANDU:
        return [
            _select(key, Metric.VILLAGES, _text(""), sa.func.count()).select_from(Posyandu),
            _select(key, Metric.APPROVED, period, sa.func.count(), group_item=True)
            .select_from(Posyandu).join(summary, summary.village_id == Posyandu.village_id)
            .where(approved),
        ]

    def catchment(stmt: sa.Select[Any]) -> sa.Select[Any]:
        return (stmt.join(Puskesmas, Puskesmas.id == _PV.puskesmas_id)
                .join(_REGENCY, _REGENCY.id == Puskesmas.district_id))

    return [
        catchment(_select(key, Metric.VILLAGES, _text(""),
                          sa.func.count(sa.distinct(_PV.village_id)))
                  .select_from(puskesmas_villages)),
        catchment(_select(key, Metric.APPROVED, period,
                          sa.func.count(sa.distinct(summary.village_id)), group_item=True)
                  .select_from(summary)
                  .join(puskesmas_villages, _PV.village_id == summary.village_id))
        .where(approved),
    ]


def _records(level: PlaceLevel, place: int | None = None,
             parent: int | None = None) -> sa.CompoundSelect[Any]:
    """Every metric of ``level`` from the records as one ``UNION ALL``, optionally only
    for one place or for the children of one parent."""
    key = _key(level)
    selects = _record_selects(level)
    if place is not None:
        selects = [s.where(key.place == place) for s in selects]
    if parent is not None:
        selects = [s.where(key.parent == parent) for s in selects]
    return sa.union_all(*selects)


# --- rebuilding ---------------------------------------------------------------------------


def rebuild(connection: sa.Connection | None = None) -> None:
    """Recompute every row of ``rollup_counts`` from the records, in the caller's
    transaction (the session's, or ``connection``'s: the migration's). Set-based, no
    loop over places: the rows are deleted; the puskesmas rows are counted from the
    records (one ``INSERT … SELECT`` per metric, the packages in one pass); the regency,
    province and national rows of the metrics that add up (:data:`ADDITIVE`) are the sums
    of the rows one level below; trainings and villages, which do not add up (a
    district-wide training, a village in two catchments), are counted per level."""
    if connection is None:
        from ilp_training.overview.rollup_hooks import forget

        db.session.flush()
        forget(db.session())  # the deltas buffered so far are in what is recomputed
    execute = (connection or db.session).execute
    execute(sa.delete(RollupCount))
    columns = ["level", "place_id", "parent_id", "metric", "item", "value"]

    def insert(level: PlaceLevel, select: sa.Select[Any]) -> None:
        rows = select.with_only_columns(_text(level.value).label("level"),
                                        *select.selected_columns)
        execute(sa.insert(RollupCount).from_select(columns, rows))

    for select in _puskesmas_cadre_selects(execute):
        insert(PlaceLevel.PUSKESMAS, select)
    for select in (_cadre_selects(PlaceLevel.PUSKESMAS)[_CERTIFICATES_AND_GAINS]
                   + _training_selects(PlaceLevel.PUSKESMAS)
                   + _village_selects(PlaceLevel.PUSKESMAS)):
        insert(PlaceLevel.PUSKESMAS, select)
    execute(sa.text("DROP TABLE rollup_cadre_sets"))
    for child, level in ((PlaceLevel.PUSKESMAS, PlaceLevel.REGENCY),
                         (PlaceLevel.REGENCY, PlaceLevel.PROVINCE),
                         (PlaceLevel.PROVINCE, PlaceLevel.NATIONAL)):
        insert(level, _sums_of(child, level))
        for select in _training_selects(level) + _village_selects(level):
            insert(level, select)


_CERTIFICATES_AND_GAINS = slice(-3, None)  # the last three of _cadre_selects
_SETS = sa.Table("rollup_cadre_sets", sa.MetaData(),
                 sa.Column("puskesmas_id", sa.Integer), sa.Column("level_code", sa.String(20)),
                 sa.Column("package_codes", sa.String(60)), sa.Column("bpjs", sa.Boolean),
                 sa.Column("n", sa.BigInteger), prefixes=["TEMPORARY"])


def _puskesmas_cadre_selects(execute: Any) -> list[sa.Select[Any]]:
    """The active cadres in one pass: counted per puskesmas and (level, packages, BPJS-TK)
    into a temporary table (some ten rows per puskesmas), from which the cadre, level,
    package and BPJS-TK rows of each puskesmas are summed."""
    execute(sa.text("DROP TABLE IF EXISTS rollup_cadre_sets"))
    execute(sa.schema.CreateTable(_SETS))
    execute(sa.insert(_SETS).from_select(
        ["puskesmas_id", "level_code", "package_codes", "bpjs", "n"],
        sa.select(Posyandu.puskesmas_id, sa.func.coalesce(Cadre.level_code, ""),
                  Cadre.package_codes, Cadre.bpjs_tk_enrolled, sa.func.count())
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(Cadre.status == CadreStatus.ACTIVE)
        .group_by(Posyandu.puskesmas_id, Cadre.level_code, Cadre.package_codes,
                  Cadre.bpjs_tk_enrolled)))
    t = _SETS.c
    total = sa.func.sum(t.n).label("value")

    def rows(metric: Metric, item: Any, *where: Any, by_item: bool = False) -> sa.Select[Any]:
        group = (Puskesmas.id, Puskesmas.district_id, *((item,) if by_item else ()))
        return (sa.select(Puskesmas.id.label("place_id"), Puskesmas.district_id.label(
            "parent_id"), _text(metric.value).label("metric"), item.label("item"), total)
            .select_from(_SETS).join(Puskesmas, Puskesmas.id == t.puskesmas_id)
            .where(*where).group_by(*group))

    codes = sa.union_all(*(sa.select(sa.cast(sa.literal(code), sa.String(20)).label("code"))
                           for code in package_codes())).subquery("codes")
    packages = (sa.select(Puskesmas.id.label("place_id"), Puskesmas.district_id.label(
        "parent_id"), _text(Metric.PACKAGE.value).label("metric"), codes.c.code.label("item"),
        total)
        .select_from(_SETS).join(Puskesmas, Puskesmas.id == t.puskesmas_id)
        .join(codes, t.package_codes.like("%," + codes.c.code + ",%"))
        .group_by(Puskesmas.id, Puskesmas.district_id, codes.c.code))
    return [rows(Metric.CADRES, _text("")), rows(Metric.LEVEL, t.level_code, by_item=True),
            rows(Metric.BPJS, _text(""), t.bpjs.is_(True)), packages]


ADDITIVE = (Metric.CADRES, Metric.LEVEL, Metric.PACKAGE, Metric.BPJS, Metric.CERTIFICATES,
            Metric.GAIN_SUM, Metric.GAIN_N)


def _sums_of(child: PlaceLevel, level: PlaceLevel) -> sa.Select[*tuple[Any, ...]]:
    """The rows of ``level`` for the additive metrics: sums of the ``child`` rows by
    their parent (whose own parent is the region's ``parent_id``)."""
    rc = sa.orm.aliased(RollupCount)
    total = sa.func.sum(rc.value)
    where = (rc.level == child, rc.metric.in_(ADDITIVE))
    if level == PlaceLevel.NATIONAL:
        return (sa.select(_int(0).label("place_id"), sa.cast(sa.null(), sa.Integer)
                          .label("parent_id"), rc.metric, rc.item, total.label("value"))
                .where(*where).group_by(rc.metric, rc.item))
    if level == PlaceLevel.PROVINCE:
        return (sa.select(rc.parent_id.label("place_id"), _int(0).label("parent_id"),
                          rc.metric, rc.item, total.label("value"))
                .where(*where).group_by(rc.parent_id, rc.metric, rc.item))
    region = sa.orm.aliased(Region)
    return (sa.select(rc.parent_id.label("place_id"), region.parent_id.label("parent_id"),
                      rc.metric, rc.item, total.label("value"))
            .join(region, region.id == rc.parent_id)
            .where(*where).group_by(rc.parent_id, region.parent_id, rc.metric, rc.item))


def differences() -> list[str]:
    """Every stored count that differs from the records, as lines ``level place metric
    item: stored … records …`` (empty when the rollups are true). Rows of value 0 and
    missing rows are the same."""
    truth: dict[tuple[str, int, str, str], int] = {}
    for level in STORED_LEVELS:
        for place_id, _parent, metric, item, value in db.session.execute(
                _records(level)).all():
            if value:
                truth[(level.value, place_id, metric, item)] = int(value)
    stored = {(str(level), place_id, str(metric), item): int(value)
              for level, place_id, metric, item, value in db.session.execute(
                  sa.select(RollupCount.level, RollupCount.place_id, RollupCount.metric,
                            RollupCount.item, RollupCount.value)).all() if value}
    return [f"{' '.join(map(str, key))}: stored {stored.get(key, 0)} records {truth.get(key, 0)}"
            for key in sorted(truth.keys() | stored.keys())
            if stored.get(key, 0) != truth.get(key, 0)]
