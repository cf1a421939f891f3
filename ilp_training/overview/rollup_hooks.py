"""Keeping ``rollup_counts`` equal to the records in the same transaction as each change.

**One mechanism for the ORM.** Listeners on every SQLAlchemy session (:func:`install`,
called by ``create_app``) read what each flush changed: ``after_flush`` compares the
attribute history (the values before the flush) with the values written, for cadres
(posyandu, status, level, packages, BPJS-TK), certificates (status), training events
(status, place, date), participants (scores, posyandu), incentive summaries (status)
and posyandu (their puskesmas); ``before_flush`` takes the rows being deleted while they
still exist. The attributes read are loaded before they change (``active_history``), so
an expired object's old value is never unknown. Each change becomes *deltas* at an anchor
(a posyandu, a puskesmas, a regency, a village) that are buffered per transaction.

**Services that write without the ORM** add their deltas themselves: the summary review's
conditional ``UPDATE`` (:func:`summary_status_changed`) and the cadre import's multi-row
``INSERT`` (:func:`cadres_inserted`).

**Applied once, at commit.** ``before_commit`` flushes what is pending, resolves the
anchors to the places above them (one query per kind of anchor) and applies the sums as
``INSERT … ON CONFLICT DO UPDATE SET value = value + excluded.value``, sorted national
first, then provinces, regencies, puskesmas (by id, metric, item): every transaction takes
the row locks in the same order and only for the moment of its commit, so two cannot wait
for each other. A rollback drops the buffer with the transaction.

**Structure.** A posyandu that changes puskesmas takes its counts along (its counts from
the records after the change, less what this transaction added, leave the old chain;
its counts after arrive at the new one). A change of the hierarchy above it (a
puskesmas's regency or catchment, a region's parent, a puskesmas created or removed)
is rare and done by loading commands: the transaction then ends with a full
:func:`~ilp_training.overview.rollups.rebuild` instead of deltas.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction

from ilp_training.core.extensions import db
from ilp_training.incentives.rules import Period, PeriodKind
from ilp_training.models import (
    Cadre,
    CadreStatus,
    Certificate,
    CertificateStatus,
    IncentiveSummary,
    Posyandu,
    Puskesmas,
    Region,
    RollupCount,
    SummaryStatus,
    TrainingEvent,
    TrainingParticipant,
    TrainingStatus,
    puskesmas_villages,
)
from ilp_training.models.rollups import Metric, PlaceLevel

_KEY = "ilp_rollup_buffer"

# Anchors: where a delta is counted; each resolves to places of the stored levels.
POSYANDU = "posyandu"  # its puskesmas, regency, province, nation
PUSKESMAS = "puskesmas"  # the puskesmas and above
PUSKESMAS_ROW = "puskesmas_row"  # the puskesmas only (a puskesmas training; its
#                                  district is counted through the event's district_id)
REGENCY = "regency"  # the regency and above
VILLAGE = "village"  # the puskesmas whose catchment holds it and above (distinct places)

# The metrics that follow a posyandu's cadres and participants (what a posyandu that
# changes puskesmas takes along); villages and approvals follow the catchment instead.
POSYANDU_METRICS = frozenset({Metric.CADRES, Metric.LEVEL, Metric.PACKAGE, Metric.BPJS,
                              Metric.CERTIFICATES, Metric.GAIN_SUM, Metric.GAIN_N})

_TRACKED = {
    Cadre: ("posyandu_id", "status", "level_code", "package_codes", "bpjs_tk_enrolled"),
    Certificate: ("status", "cadre_id"),
    TrainingEvent: ("status", "puskesmas_id", "district_id", "start_date"),
    TrainingParticipant: ("pre_score", "post_score", "posyandu_id", "event_id"),
    IncentiveSummary: ("status", "village_id", "period_kind", "period_start"),
    Posyandu: ("puskesmas_id",),
    Puskesmas: ("district_id",),
    Region: ("parent_id",),
}

Delta = dict[tuple[str, int, str, str], int]  # (anchor, anchor id, metric, item) → delta


@dataclass
class _Buffer:
    """The deltas of one transaction, not yet applied."""

    root: SessionTransaction
    deltas: defaultdict[tuple[str, int, str, str], int] = field(
        default_factory=lambda: defaultdict(int))
    moved_posyandu: dict[int, int] = field(default_factory=dict)  # id → first puskesmas
    rebuild: bool = False

    def add(self, anchor: str, anchor_id: int | None, figures: Mapping[tuple[str, str], int],
            sign: int = 1) -> None:
        if anchor_id is None:
            return
        for (metric, item), value in figures.items():
            if value:
                self.deltas[(anchor, anchor_id, metric, item)] += sign * value


def _buffer(session: Session) -> _Buffer:
    root = session.get_transaction()
    assert root is not None
    while root.parent is not None:
        root = root.parent
    found = session.info.get(_KEY)
    if found is None or found.root is not root:
        found = _Buffer(root)
        session.info[_KEY] = found
    return found


# --- what one record contributes ------------------------------------------------------


def cadre_figures(status: Any, level_code: str | None, package_codes: str | None,
                  bpjs: bool | None) -> dict[tuple[str, str], int]:
    """What one cadre counts at its posyandu: nothing unless active; then one cadre, at
    its level (``""``: not graded), in each complete package, and in BPJS-TK if enrolled."""
    if status is None or CadreStatus(status) != CadreStatus.ACTIVE:
        return {}
    figures = {(Metric.CADRES.value, ""): 1, (Metric.LEVEL.value, level_code or ""): 1}
    for code in (package_codes or "").split(","):
        if code:
            figures[(Metric.PACKAGE.value, code)] = 1
    if bpjs:
        figures[(Metric.BPJS.value, "")] = 1
    return figures


def _gain(pre: int | None, post: int | None) -> dict[tuple[str, str], int]:
    if pre is None or post is None:
        return {}
    return {(Metric.GAIN_SUM.value, ""): post - pre, (Metric.GAIN_N.value, ""): 1}


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _is(value: Any, member: Any) -> bool:
    return value is not None and type(member)(value) == member


# --- reading a flush ------------------------------------------------------------------


class _History:
    """An object's tracked attributes before and after the flush being read."""

    def __init__(self, obj: Any, is_new: bool) -> None:
        self.obj = obj
        state = sa.inspect(obj)
        self.before: dict[str, Any] = {}
        self.changed = is_new
        for name in _TRACKED[type(obj)]:
            history = state.attrs[name].history
            if history.added or history.deleted:
                self.changed = True
                self.before[name] = history.deleted[0] if history.deleted else None
            else:
                self.before[name] = history.unchanged[0] if history.unchanged else None
        self.is_new = is_new

    def old(self, name: str) -> Any:
        return None if self.is_new else self.before[name]

    def new(self, name: str) -> Any:
        return getattr(self.obj, name)


def _changes(session: Session) -> list[_History]:
    found = []
    for objects, is_new in ((session.new, True), (session.dirty, False)):
        for obj in objects:
            if type(obj) in _TRACKED:
                history = _History(obj, is_new)
                if history.changed:
                    found.append(history)
    return found


def _after_flush(session: Session, flush_context: Any) -> None:
    changes = _changes(session)
    if not changes:
        return
    buffer = _buffer(session)
    by_type: dict[type, list[_History]] = defaultdict(list)
    for change in changes:
        by_type[type(change.obj)].append(change)
    # a new region or puskesmas counts for nothing until something refers to it
    if (any(not c.is_new for c in (*by_type[Puskesmas], *by_type[Region]))
            or _catchment_changed(session)):
        buffer.rebuild = True
    moved = _cadres(buffer, by_type[Cadre])
    _certificates(session, buffer, by_type[Certificate], moved)
    finished = _events(session, buffer, by_type[TrainingEvent])
    _participants(session, buffer, by_type[TrainingParticipant], finished)
    for change in by_type[IncentiveSummary]:
        _summary(buffer, change)
    for change in by_type[Posyandu]:
        if not change.is_new and change.old("puskesmas_id") != change.new("puskesmas_id"):
            buffer.moved_posyandu.setdefault(change.obj.id, change.old("puskesmas_id"))


def _catchment_changed(session: Session) -> bool:
    """A puskesmas created with a catchment, or a catchment edited."""
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Puskesmas):
            history = sa.inspect(obj).attrs.villages.history
            if history.added or history.deleted:
                return True
    return False


def _cadres(buffer: _Buffer, changes: list[_History]) -> dict[int, tuple[int, int]]:
    """Deltas of the cadres changed; returns the cadres that changed posyandu."""
    moved = {}
    for change in changes:
        names = _TRACKED[Cadre]
        old = [change.old(n) for n in names]
        new = [change.new(n) for n in names]
        buffer.add(POSYANDU, old[0], cadre_figures(*old[1:]), -1)
        buffer.add(POSYANDU, new[0], cadre_figures(*new[1:]))
        if not change.is_new and old[0] != new[0]:
            moved[change.obj.id] = (old[0], new[0])
    return moved


def _certificates(session: Session, buffer: _Buffer, changes: list[_History],
                  moved: dict[int, tuple[int, int]]) -> None:
    """Valid certificates count at the holder's posyandu. A cadre who moved takes theirs
    along: those valid before this flush leave the old posyandu, those valid after it
    arrive at the new one."""
    change_of: dict[int, int] = defaultdict(int)
    for change in changes:
        was = _is(change.old("status"), CertificateStatus.VALID)
        now = _is(change.new("status"), CertificateStatus.VALID)
        change_of[change.new("cadre_id")] += int(now) - int(was)
    if moved:
        valid_now = dict(session.execute(
            sa.select(Certificate.cadre_id, sa.func.count())
            .where(Certificate.cadre_id.in_(moved), Certificate.status == CertificateStatus.VALID)
            .group_by(Certificate.cadre_id)).all())
        for cadre_id, (old, new) in moved.items():
            after = valid_now.get(cadre_id, 0)
            key = (Metric.CERTIFICATES.value, "")
            buffer.add(POSYANDU, old, {key: after - change_of.pop(cadre_id, 0)}, -1)
            buffer.add(POSYANDU, new, {key: after})
    wanted = [cadre_id for cadre_id, n in change_of.items() if n]
    if wanted:
        posyandu_of = dict(session.execute(
            sa.select(Cadre.id, Cadre.posyandu_id).where(Cadre.id.in_(wanted))).all())
        for cadre_id in wanted:
            buffer.add(POSYANDU, posyandu_of[cadre_id],
                       {(Metric.CERTIFICATES.value, ""): change_of[cadre_id]})


def _event_figures(finished: bool, puskesmas_id: int | None, district_id: int | None,
                   start: date | None) -> list[tuple[str, int | None, dict[tuple[str, str], int]]]:
    if not finished or start is None:
        return []
    one = {(Metric.TRAININGS.value, _month(start)): 1}
    return [(PUSKESMAS_ROW, puskesmas_id, one), (REGENCY, district_id, one)]


def _events(session: Session, buffer: _Buffer, changes: list[_History]) -> set[int]:
    """Trainings held (finished) at the organiser's place; when an event becomes finished
    (or stops being), its participants' test gains arrive (or leave) with it. Returns
    the events whose finished state changed in this flush."""
    flipped: dict[int, int] = {}
    for change in changes:
        was = _is(change.old("status"), TrainingStatus.FINISHED)
        now = _is(change.new("status"), TrainingStatus.FINISHED)
        for anchor, anchor_id, figures in _event_figures(
                was, change.old("puskesmas_id"), change.old("district_id"),
                change.old("start_date")):
            buffer.add(anchor, anchor_id, figures, -1)
        for anchor, anchor_id, figures in _event_figures(
                now, change.new("puskesmas_id"), change.new("district_id"),
                change.new("start_date")):
            buffer.add(anchor, anchor_id, figures)
        if was != now:
            flipped[change.obj.id] = 1 if now else -1
    if flipped:
        tp = TrainingParticipant
        both = sa.and_(tp.pre_score.is_not(None), tp.post_score.is_not(None))
        for event_id, posyandu_id, total, count in session.execute(
                sa.select(tp.event_id, tp.posyandu_id, sa.func.sum(tp.post_score - tp.pre_score),
                          sa.func.count())
                .where(tp.event_id.in_(flipped), both)
                .group_by(tp.event_id, tp.posyandu_id)).all():
            buffer.add(POSYANDU, posyandu_id, {(Metric.GAIN_SUM.value, ""): int(total or 0),
                                               (Metric.GAIN_N.value, ""): count},
                       flipped[event_id])
    return set(flipped)


def _participants(session: Session, buffer: _Buffer, changes: list[_History],
                  flipped: set[int]) -> None:
    """Test gains of participants changed while their event stays finished (an event
    that became finished in this flush was counted whole by :func:`_events`)."""
    changes = [c for c in changes if c.new("event_id") not in flipped]
    if not changes:
        return
    finished = set(session.scalars(sa.select(TrainingEvent.id).where(
        TrainingEvent.id.in_({c.new("event_id") for c in changes}),
        TrainingEvent.status == TrainingStatus.FINISHED)))
    for change in changes:
        if change.new("event_id") not in finished:
            continue
        buffer.add(POSYANDU, change.old("posyandu_id"),
                   _gain(change.old("pre_score"), change.old("post_score")), -1)
        buffer.add(POSYANDU, change.new("posyandu_id"),
                   _gain(change.new("pre_score"), change.new("post_score")))


def _summary_figures(status: Any, kind: Any, start: date | None) -> dict[tuple[str, str], int]:
    if not _is(status, SummaryStatus.APPROVED) or kind is None or start is None:
        return {}
    return {(Metric.APPROVED.value, Period(PeriodKind(kind), start).key): 1}


def _summary(buffer: _Buffer, change: _History) -> None:
    buffer.add(VILLAGE, change.old("village_id"), _summary_figures(
        change.old("status"), change.old("period_kind"), change.old("period_start")), -1)
    buffer.add(VILLAGE, change.new("village_id"), _summary_figures(
        change.new("status"), change.new("period_kind"), change.new("period_start")))


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    """Rows being deleted take their counts away (read now, while they exist)."""
    deleted = [obj for obj in session.deleted if type(obj) in _TRACKED]
    if not deleted:
        return
    buffer = _buffer(session)
    for obj in deleted:
        if isinstance(obj, Cadre):
            buffer.add(POSYANDU, obj.posyandu_id, cadre_figures(
                obj.status, obj.level_code, obj.package_codes, obj.bpjs_tk_enrolled), -1)
        elif isinstance(obj, Certificate) and _is(obj.status, CertificateStatus.VALID):
            posyandu_id = session.scalar(sa.select(Cadre.posyandu_id)
                                         .where(Cadre.id == obj.cadre_id))
            buffer.add(POSYANDU, posyandu_id, {(Metric.CERTIFICATES.value, ""): 1}, -1)
        elif isinstance(obj, TrainingEvent):
            for anchor, anchor_id, figures in _event_figures(
                    _is(obj.status, TrainingStatus.FINISHED), obj.puskesmas_id,
                    obj.district_id, obj.start_date):
                buffer.add(anchor, anchor_id, figures, -1)
        elif isinstance(obj, TrainingParticipant):
            status = session.scalar(sa.select(TrainingEvent.status)
                                    .where(TrainingEvent.id == obj.event_id))
            if _is(status, TrainingStatus.FINISHED):
                buffer.add(POSYANDU, obj.posyandu_id, _gain(obj.pre_score, obj.post_score), -1)
        elif isinstance(obj, IncentiveSummary):
            buffer.add(VILLAGE, obj.village_id, _summary_figures(
                obj.status, obj.period_kind, obj.period_start), -1)
        else:  # a posyandu, puskesmas or region removed
            buffer.rebuild = True


# --- services that write without the ORM ----------------------------------------------


def summary_status_changed(summary: IncentiveSummary, old: SummaryStatus,
                           new: SummaryStatus) -> None:
    """A summary's status changed by a conditional ``UPDATE`` (the review services)."""
    buffer = _buffer(db.session())
    buffer.add(VILLAGE, summary.village_id,
               _summary_figures(old, summary.period_kind, summary.period_start), -1)
    buffer.add(VILLAGE, summary.village_id,
               _summary_figures(new, summary.period_kind, summary.period_start))


def cadres_inserted(rows: Iterable[Mapping[str, Any]]) -> None:
    """Cadres inserted by a multi-row ``INSERT`` (the cadre import): each row's
    ``posyandu_id``, ``status`` and, when given, level, packages and BPJS-TK."""
    buffer = _buffer(db.session())
    for row in rows:
        buffer.add(POSYANDU, row["posyandu_id"], cadre_figures(
            row.get("status", CadreStatus.ACTIVE), row.get("level_code"),
            row.get("package_codes"), row.get("bpjs_tk_enrolled")))


def forget(session: Session) -> None:
    """Drop the buffered deltas (a rebuild recomputed everything from the records)."""
    session.info.pop(_KEY, None)


# --- applying at commit ---------------------------------------------------------------


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()
    buffer = session.info.get(_KEY)
    if buffer is None or buffer.root is not session.get_transaction():
        return
    session.info.pop(_KEY, None)
    if buffer.rebuild:
        from ilp_training.overview.rollups import rebuild

        rebuild()
        return
    _take_along(session, buffer)
    rows = _resolve(session, buffer.deltas)
    if rows:
        _upsert(session, rows)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    buffer = session.info.get(_KEY)
    if buffer is not None and buffer.root is transaction:
        session.info.pop(_KEY, None)


def _take_along(session: Session, buffer: _Buffer) -> None:
    """A posyandu that changed puskesmas: its counts as they stood before this
    transaction leave the old chain, its counts now arrive at the new one."""
    if not buffer.moved_posyandu:
        return
    from ilp_training.overview.rollups import PlaceKey, record_rows

    now = dict(session.execute(sa.select(Posyandu.id, Posyandu.puskesmas_id).where(
        Posyandu.id.in_(buffer.moved_posyandu))).all())
    for posyandu_id, first in buffer.moved_posyandu.items():
        if now.get(posyandu_id) == first:
            continue
        after = {(m, i): v for m, i, v in record_rows(PlaceKey(PlaceLevel.POSYANDU,
                                                                 posyandu_id))
                 if Metric(m) in POSYANDU_METRICS}
        added = {}
        for key in [k for k in buffer.deltas if k[:2] == (POSYANDU, posyandu_id)]:
            added[key[2:]] = buffer.deltas.pop(key)
        before = {k: after.get(k, 0) - added.get(k, 0) for k in after.keys() | added.keys()}
        buffer.add(PUSKESMAS, first, before, -1)
        buffer.add(PUSKESMAS, now.get(posyandu_id), after)


Row = tuple[PlaceLevel, int, str, str]  # level, place, metric, item


def _resolve(session: Session, deltas: Mapping[tuple[str, int, str, str], int]
             ) -> dict[Row, tuple[int | None, int]]:
    """The deltas at the places of the stored levels: ``row → (parent_id, delta)``."""
    ids: dict[str, set[int]] = defaultdict(set)
    for (anchor, anchor_id, _m, _i), value in deltas.items():
        if value:
            ids[anchor].add(anchor_id)
    chains = _chains(session, ids)
    rows: dict[Row, list[Any]] = {}
    for (anchor, anchor_id, metric, item), value in deltas.items():
        if not value:
            continue
        for level, place_id, parent_id in chains.get((anchor, anchor_id), ()):
            row = rows.setdefault((level, place_id, metric, item), [parent_id, 0])
            row[1] += value
    return {key: (parent, value) for key, (parent, value) in rows.items() if value}


def _chains(session: Session, ids: Mapping[str, set[int]]
            ) -> dict[tuple[str, int], list[tuple[PlaceLevel, int, int | None]]]:
    """Per anchor, the stored places it counts at (each place once), with their parents."""
    regency = sa.orm.aliased(Region)
    k = Puskesmas
    chains: dict[tuple[str, int], list[tuple[PlaceLevel, int, int | None]]] = {}

    def up(puskesmas: int | None, district: int, province: int | None
           ) -> list[tuple[PlaceLevel, int, int | None]]:
        found: list[tuple[PlaceLevel, int, int | None]] = []
        if puskesmas is not None:
            found.append((PlaceLevel.PUSKESMAS, puskesmas, district))
        found.append((PlaceLevel.REGENCY, district, province))
        if province is not None:
            found.append((PlaceLevel.PROVINCE, province, 0))
        found.append((PlaceLevel.NATIONAL, 0, None))
        return found

    if ids.get(POSYANDU):
        for pid, kid, district, province in session.execute(
                sa.select(Posyandu.id, k.id, k.district_id, regency.parent_id)
                .join(k, k.id == Posyandu.puskesmas_id).join(regency, regency.id == k.district_id)
                .where(Posyandu.id.in_(ids[POSYANDU]))).all():
            chains[(POSYANDU, pid)] = up(kid, district, province)
    puskesmas_ids = ids.get(PUSKESMAS, set()) | ids.get(PUSKESMAS_ROW, set())
    if puskesmas_ids:
        for kid, district, province in session.execute(
                sa.select(k.id, k.district_id, regency.parent_id)
                .join(regency, regency.id == k.district_id).where(k.id.in_(puskesmas_ids))).all():
            chains[(PUSKESMAS, kid)] = up(kid, district, province)
            chains[(PUSKESMAS_ROW, kid)] = [(PlaceLevel.PUSKESMAS, kid, district)]
    if ids.get(REGENCY):
        for rid, province in session.execute(
                sa.select(regency.id, regency.parent_id).where(regency.id.in_(ids[REGENCY]))):
            chains[(REGENCY, rid)] = up(None, rid, province)
    if ids.get(VILLAGE):
        pv = puskesmas_villages.c
        places: dict[int, dict[tuple[PlaceLevel, int], int | None]] = defaultdict(dict)
        for vid, kid, district, province in session.execute(
                sa.select(pv.village_id, k.id, k.district_id, regency.parent_id)
                .join(k, k.id == pv.puskesmas_id).join(regency, regency.id == k.district_id)
                .where(pv.village_id.in_(ids[VILLAGE]))).all():
            for level, place_id, parent_id in up(kid, district, province):
                places[vid][(level, place_id)] = parent_id
        for vid, found in places.items():
            chains[(VILLAGE, vid)] = [(lv, pl, pa) for (lv, pl), pa in found.items()]
    return chains


_ORDER = {level: n for n, level in enumerate(PlaceLevel)}


def _upsert(session: Session, rows: Mapping[Row, tuple[int | None, int]]) -> None:
    """Add the deltas, national first, then by place, metric and item (the one order
    every transaction takes these row locks in)."""
    table = cast(sa.Table, RollupCount.__table__)
    dialect = session.connection().dialect.name
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    stmt = insert.on_conflict_do_update(
        index_elements=["level", "place_id", "metric", "item"],
        set_={"value": table.c.value + insert.excluded.value,
              "parent_id": insert.excluded.parent_id})
    ordered = sorted(rows.items(), key=lambda kv: (_ORDER[kv[0][0]], *kv[0][1:]))
    session.execute(stmt, [
        {"level": level.value, "place_id": place_id, "metric": metric, "item": item,
         "parent_id": parent_id, "value": value}
        for (level, place_id, metric, item), (parent_id, value) in ordered])


# --- installing -----------------------------------------------------------------------


def _active_history() -> None:
    """Load each tracked attribute's old value before it is set, so that the flush's
    history always knows it (an expired object's value would otherwise be unknown)."""
    for model, names in _TRACKED.items():
        for name in names:
            attribute = getattr(model, name)
            if not event.contains(attribute, "set", _noop):
                event.listen(attribute, "set", _noop, active_history=True)


def _noop(target: Any, value: Any, oldvalue: Any, initiator: Any) -> None:
    return None


def install() -> None:
    """Listen on every session (once per process)."""
    if event.contains(Session, "after_flush", _after_flush):
        return
    _active_history()
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_transaction_end", _after_transaction_end)
