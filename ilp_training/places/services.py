"""Loading the shipped Kemendagri places into ``regions``: an upsert by code.

The rule: a code in the data and not in the table is added; a code in both keeps its row
(its id, so nothing that points at it moves) and takes the data's name and parent; a row
not in the data is left alone (a place abolished by a later decree may still hold
posyandu). So loading twice changes nothing, and the demo's regions, which carry the same
codes, are the same rows afterwards.

Set-based so the 83,762 villages take seconds: one query reads the codes already there,
then each level is one batched INSERT (``executemany``, which SQLAlchemy sends as
multi-row statements on PostgreSQL and SQLite) and one batched UPDATE by primary key for
the renamed, then one query reads the new ids for the next level's parents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, scoped_session

from ilp_training.core import audit
from ilp_training.core.service import ServiceError
from ilp_training.models import Region, RegionLevel, User
from ilp_training.places import data

# Without villages: what every district and the national views need.
DEFAULT_LEVELS = (RegionLevel.PROVINCE, RegionLevel.REGENCY, RegionLevel.SUBDISTRICT)
# ``db.session`` (a scoped session) or a plain one, e.g. a benchmark's own.
AnySession = Session | scoped_session[Any]
# How many changed names an audit entry lists (a new decree may rename hundreds).
AUDIT_NAMES = 100


@dataclass
class LevelCounts:
    """What one level's load found: rows in the data, added, renamed or re-parented."""

    shipped: int = 0
    added: int = 0
    renamed: int = 0
    moved: int = 0


@dataclass
class LoadResult:
    """The counts per level, in load order, and the names changed (code → old, new)."""

    levels: dict[RegionLevel, LevelCounts] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def total(self, name: str) -> int:
        """The sum of one count (``added``, ``renamed``, ``moved``) over the levels."""
        return sum(getattr(counts, name) for counts in self.levels.values())

    @property
    def changed(self) -> bool:
        return any(self.total(n) for n in ("added", "renamed", "moved"))


def _existing(session: AnySession) -> dict[str, tuple[int, str, int | None]]:
    """Every stored region: code → (id, name, parent id); one query."""
    stmt = sa.select(Region.code, Region.id, Region.name, Region.parent_id)
    return {code: (id_, name, parent) for code, id_, name, parent in session.execute(stmt)}


def _check_province(province: str | None) -> None:
    if province is not None and province not in {code for code, _, _ in data.provinces()}:
        raise ServiceError(_l("No province has the code %(code)s.", code=province),
                           "province")


def _load_level(session: AnySession, level: RegionLevel, province: str | None,
                ids: dict[str, int], stored: dict[str, tuple[int, str, int | None]],
                result: LoadResult) -> None:
    counts = result.levels.setdefault(level, LevelCounts())
    new: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for code, name, parent_code in data.rows(level, province):
        counts.shipped += 1
        parent_id = None
        if parent_code is not None:
            if parent_code not in ids:
                raise ServiceError(_l("Load the level above first: %(code)s is missing.",
                                      code=parent_code))
            parent_id = ids[parent_code]
        if code not in stored:
            new.append({"code": code, "name": name, "level": level, "parent_id": parent_id})
            continue
        id_, old_name, old_parent = stored[code]
        if old_name != name or old_parent != parent_id:
            changed.append({"id": id_, "name": name, "parent_id": parent_id})
            counts.renamed += old_name != name
            counts.moved += old_parent != parent_id
            if old_name != name:
                result.names[code] = (old_name, name)
    if new:
        ids.update(_insert(session, new))
        counts.added = len(new)
    if changed:
        session.execute(sa.update(Region), changed)


# PostgreSQL: one statement for a whole level, the rows sent as four arrays.
_UNNEST = sa.text(
    "INSERT INTO regions (code, name, level, parent_id) "
    "SELECT * FROM unnest(CAST(:codes AS varchar[]), CAST(:names AS varchar[]), "
    "CAST(:levels AS varchar[]), CAST(:parents AS integer[])) RETURNING code, id")


def _insert(session: AnySession, rows: list[dict[str, object]]) -> dict[str, int]:
    """Insert ``rows`` (code, name, level, parent_id); their ids by code.

    PostgreSQL takes the level as four arrays (``unnest``): one statement, where an
    ``executemany`` costs a round trip or a parsed placeholder per row (16 s for the
    villages). SQLite's ``executemany`` runs in C without a round trip (given the driver's
    own statement: SQLAlchemy's would build each row's parameters in Python, 40 % of the
    time); the ids are then read back with one query per level.
    """
    if session.get_bind().dialect.name == "postgresql":
        params = {"codes": [r["code"] for r in rows], "names": [r["name"] for r in rows],
                  "levels": [str(r["level"]) for r in rows],
                  "parents": [r["parent_id"] for r in rows]}
        return {code: id_ for code, id_ in session.execute(_UNNEST, params)}
    session.connection().exec_driver_sql(
        "INSERT INTO regions (code, name, level, parent_id) VALUES (?, ?, ?, ?)",
        [(r["code"], r["name"], str(r["level"]), r["parent_id"]) for r in rows])
    codes = sa.select(Region.code, Region.id).where(Region.level == rows[0]["level"])
    return {code: id_ for code, id_ in session.execute(codes)}


def load_places(session: AnySession, levels: Iterable[RegionLevel] = DEFAULT_LEVELS,
                province: str | None = None, actor: User | None = None) -> LoadResult:
    """Upsert the shipped places of ``levels`` (all provinces, or the one whose two-digit
    code is ``province`` with what lies in it) by code, top-down; flush, never commit.

    A level's parents must be loaded in the same call or be stored already (a village
    needs its kecamatan), else :class:`ServiceError`. Region objects already in the
    session are expired, so they show the new names. One audit entry (``load_places``)
    when anything changed, listing up to :data:`AUDIT_NAMES` renamed codes.
    """
    _check_province(province)
    wanted = set(levels)
    stored = _existing(session)
    ids = {code: row[0] for code, row in stored.items()}
    result = LoadResult()
    for level in data.LEVELS:
        if level in wanted:
            _load_level(session, level, province, ids, stored, result)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Region):
            session.expire(obj)
    if result.changed:
        _audit(actor, result, province)
    session.flush()
    return result


def _audit(actor: User | None, result: LoadResult, province: str | None) -> None:
    names = dict(sorted(result.names.items())[:AUDIT_NAMES])
    changes: dict[str, list[object]] = {
        "source": [None, data.SOURCE],
        "added": [None, result.total("added")],
        "renamed": [None, result.total("renamed")],
        "moved": [None, result.total("moved")],
    }
    if province is not None:
        changes["province"] = [None, province]
    if names:
        changes["names"] = [{code: old for code, (old, _) in names.items()},
                            {code: new for code, (_, new) in names.items()}]
    audit.record(actor, "load_places", "regions", None, changes)
