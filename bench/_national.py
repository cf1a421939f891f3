"""The national data set of ``bench/national.py``: real places (or a synthetic tree of the
same shape until they ship), ~10,000 puskesmas, 300,000 posyandu and 1.5 million cadres
with a realistic level spread, and one district under test with its whole assessment
history (:func:`_district.history_batch`). Written with PostgreSQL's COPY (psycopg 3
``cursor.copy``) on PostgreSQL, with plain bulk inserts on SQLite (the CI test's size).

Cadres outside the district under test carry their stored state (level, level since,
badge count, last assessed, one level-history row per level reached) but no assessment
rows: a national history (about 14 assessments and 70 indicator scores per cadre) would
be 20 million assessments, more than this machine can write in a benchmark's time. The
size per cadre of a full history is measured on the district under test and
extrapolated in ``docs/capacity.md``.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

import sqlalchemy as sa
from _district import NAMES, SURNAMES, TABLES, _Ids, history_batch

from assessments import Framework
from ilp_training.core.extensions import db
from ilp_training.models import (
    Cadre,
    CadreAssignment,
    CadreStatus,
    LevelChange,
    Posyandu,
    Puskesmas,
    Region,
    RegionLevel,
    Role,
    Sex,
    User,
    puskesmas_villages,
)

# The district under test: Kabupaten Buton Tengah (the seed case's), when the places hold it.
DISTRICT_CODE = "74.14"
# Share of cadres outside the district by stored level (None: not yet graded).
SPREAD = ((None, 0.22), ("purwa", 0.43), ("madya", 0.24), ("utama", 0.11))
BADGES = {None: (0, 11), "purwa": (14, 17), "madya": (19, 22), "utama": (25, 25)}
PASSWORD = "national-bench"
USERS = ("nasional", "provinsi", "dinkes", "koordinator", "pelatih")


@dataclass
class Places:
    """Each level's (code, name, parent code), parents first."""

    provinces: list[tuple[str, str, str | None]]
    regencies: list[tuple[str, str, str | None]]
    subdistricts: list[tuple[str, str, str | None]]
    villages: list[tuple[str, str, str | None]]
    source: str


def synthetic_places(provinces: int = 38, regencies: int = 514, subdistricts: int = 7285,
                     villages: int = 83_700) -> Places:
    """A tree of the national shape with codes in Kemendagri's format and made-up names
    (used only when the real places are not available)."""
    def spread(parents: list[tuple[str, str, str | None]], total: int, width: int,
               label: str, first: str = "") -> list[tuple[str, str, str | None]]:
        out = []
        for i, (parent, _name, _up) in enumerate(parents):
            count = total * (i + 1) // len(parents) - total * i // len(parents)
            out += [(f"{parent}.{first}{n + 1:0{width}d}", f"{label} {parent}.{n + 1}", parent)
                    for n in range(count)]
        return out
    prov = [(f"{11 + i}", f"Provinsi {11 + i}", None) for i in range(provinces)]
    reg = spread(prov, regencies, 2, "Kabupaten")
    kec = spread(reg, subdistricts, 2, "Kecamatan")
    vil = spread(kec, villages, 3, "Desa", "2")
    return Places(prov, reg, kec, vil, "synthetic")


def real_places() -> Places | None:
    """The official places of ``ilp_training.places.data``, when that module exists."""
    try:
        from ilp_training.places import data  # type: ignore[attr-defined]
    except ImportError:
        return None

    def level(*names: str) -> list[tuple[str, str, str | None]]:
        for name in names:
            if hasattr(data, name):
                return [tuple(row) for row in getattr(data, name)()]  # type: ignore[misc]
        return []
    return Places(level("provinces"), level("regencies"),
                  level("subdistricts", "kecamatan", "districts"), level("villages"),
                  getattr(data, "SOURCE", "ilp_training.places"))


@dataclass
class Sizes:
    cadres: int  # in all, the district under test's included
    district_cadres: int
    district_puskesmas: int
    posyandu: int  # in all
    puskesmas: int  # in all

    @classmethod
    def of(cls, cadres: int, district_cadres: int | None = None) -> Sizes:
        """1.5 million cadres → 300,000 posyandu, 10,000 puskesmas; the district under test
        10,000 cadres in 25 puskesmas of 40 posyandu (as ``bench/roster.py``)."""
        district = district_cadres if district_cadres is not None else min(10_000, cadres // 3)
        return cls(cadres=cadres, district_cadres=district,
                   district_puskesmas=max(1, district // 400), posyandu=max(1, cadres // 5),
                   puskesmas=max(2, cadres // 150))


@dataclass
class Writer:
    """Rows into tables: COPY on PostgreSQL, bulk inserts elsewhere; counts the rows."""

    written: Counter[str] = field(default_factory=Counter)

    def __call__(self, table: sa.Table, columns: Sequence[str],
                 rows: Iterable[Sequence[Any]]) -> None:
        if db.engine.dialect.name == "postgresql":
            from psycopg import sql

            raw = db.session.connection().connection.driver_connection
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns)))
            count = 0
            with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row([v.value if isinstance(v, Enum) else v for v in row])
                    count += 1
        else:
            chunk: list[dict[str, Any]] = []
            count = 0
            for row in rows:
                chunk.append(dict(zip(columns, row, strict=True)))
                if len(chunk) == 5000:
                    db.session.execute(sa.insert(table), chunk)
                    count, chunk = count + len(chunk), []
            if chunk:
                db.session.execute(sa.insert(table), chunk)
                count += len(chunk)
        self.written[table.name] += count

    def dicts(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            columns = list(rows[0])
            self(table, columns, ([row[c] for c in columns] for row in rows))


def _even(items: list[Any], count: int) -> list[Any]:
    """``count`` items spread evenly over ``items`` (all of them when count ≥ len)."""
    if count >= len(items):
        return list(items)
    return [items[i * len(items) // count] for i in range(count)]


def _split(total: int, parts: int) -> list[int]:
    return [total * (i + 1) // parts - total * i // parts for i in range(parts)]


@dataclass
class Built:
    written: Counter[str]
    district_id: int
    seconds: float
    places: str


def _regions(write: Writer, places: Places) -> dict[str, int]:
    """Every region, with explicit ids; returns code → id."""
    ids: dict[str, int] = {}
    rows = []
    for level, items in ((RegionLevel.PROVINCE, places.provinces),
                         (RegionLevel.REGENCY, places.regencies),
                         (RegionLevel.SUBDISTRICT, places.subdistricts),
                         (RegionLevel.VILLAGE, places.villages)):
        for code, name, parent in items:
            ids[code] = len(ids) + 1
            rows.append((ids[code], code, name[:120], level, ids.get(parent) if parent else None))
    write(Region.__table__, ("id", "code", "name", "level", "parent_id"), rows)
    return ids


def _children(items: list[tuple[str, str, str | None]]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for code, name, parent in items:
        out.setdefault(parent or "", []).append((code, name))
    return out


@dataclass
class _Catchment:
    """A puskesmas to write: its regency, kecamatan and villages (ids)."""

    name: str
    district: int
    subdistrict: int
    villages: list[int]


def _catchments(places: Places, region: dict[str, int], kecamatan: list[tuple[str, str]],
                count: int, villages_of: dict[str, list[tuple[str, str]]]) -> list[_Catchment]:
    """``count`` puskesmas over ``kecamatan`` (an even subset when fewer), each
    kecamatan's villages split in contiguous runs among its puskesmas."""
    chosen = _even(kecamatan, count)
    out = []
    for (code, name), share in zip(chosen, _split(count, len(chosen)), strict=True):
        villages = [region[v] for v, _n in villages_of.get(code, [])]
        if not villages:
            continue
        runs = max(1, min(share, len(villages)))
        for k in range(share):
            part = villages[(k % runs) * len(villages) // runs:
                            (k % runs + 1) * len(villages) // runs]
            out.append(_Catchment(f"Puskesmas {name.title()}" + (f" {k + 1}" if share > 1 else ""),
                                  region[code[:5]], region[code], part))
    return out


# The complete packages a cadre of each stored level holds (``cadres.package_codes``).
PACKAGES = {None: ("", ",A,"), "purwa": (",A,B,C,", ",A,B,D,", ",A,B,E,"),
            "madya": (",A,B,C,D,", ",A,B,C,E,", ",A,B,D,E,"), "utama": (",A,B,C,D,E,",)}


def _cadre_row(cid: int, posyandu: int, rng: random.Random, today: date, now: datetime,
               level: str | None) -> tuple[Any, ...]:
    lo, hi = BADGES[level]
    badges = rng.randint(lo, hi)
    since = today - timedelta(days=rng.randint(20, 900)) if level else None
    last = (since + timedelta(days=rng.randint(0, 120)) if since
            else (today - timedelta(days=rng.randint(20, 900)) if badges else None))
    if last and last > today:
        last = today
    inactive = rng.random() < 0.03
    enrolled = rng.random() < 0.45
    return (cid, rng.choice(NAMES) + rng.choice(SURNAMES), None,
            Sex.MALE if rng.random() < 0.1 else Sex.FEMALE,
            date(rng.randint(1965, 2002), rng.randint(1, 12), rng.randint(1, 28)), None,
            posyandu, today - timedelta(days=rng.randint(200, 4000)),
            CadreStatus.INACTIVE if inactive else CadreStatus.ACTIVE,
            "pindah" if inactive else None, today - timedelta(days=30) if inactive else None,
            enrolled, f"{rng.randint(10**10, 10**11 - 1)}" if enrolled else None,
            level, since, badges, last, "2024.1" if badges else None, now, now,
            rng.choice(PACKAGES[level]) if badges else "")


CADRE_COLUMNS = ("id", "full_name", "nik", "sex", "birth_date", "phone", "posyandu_id",
                 "start_date", "status", "inactive_reason", "inactive_since",
                 "bpjs_tk_enrolled", "bpjs_tk_number", "level_code", "level_since",
                 "badge_count", "last_assessed_on", "framework_version", "created_at",
                 "updated_at", "package_codes")


def _level_of(rng: random.Random) -> str | None:
    roll, total = rng.random(), 0.0
    for level, share in SPREAD:
        total += share
        if roll < total:
            return level
    return SPREAD[-1][0]


def build(framework: Framework, today: date, sizes: Sizes, places: Places,
          seed: int = 2026, progress: bool = False) -> Built:
    """Write the national set into an empty, migrated database, in the session's
    transaction (the caller commits). Returns the rows written per table."""
    started = time.perf_counter()
    rng = random.Random(seed)
    write = Writer()
    now = datetime.now(UTC)

    def say(text: str) -> None:
        if progress:
            print(f"#   {time.perf_counter() - started:6.1f} s {text}", flush=True)

    region = _regions(write, places)
    say(f"regions: {len(region)} ({places.source})")
    kec_of = _children(places.subdistricts)
    villages_of = _children(places.villages)
    district_code = DISTRICT_CODE if DISTRICT_CODE in region else places.regencies[0][0]
    # The district under test: its kecamatan to its own puskesmas; every other kecamatan
    # to the national ones.
    own = kec_of.get(district_code, [])
    others = [k for code, _n, _p in places.regencies if code != district_code
              for k in kec_of.get(code, [])]
    district = _catchments(places, region, own, sizes.district_puskesmas, villages_of)
    national = _catchments(places, region, others,
                           max(1, sizes.puskesmas - len(district)), villages_of)
    catchments = district + national
    names: set[tuple[int, str]] = set()
    for n, c in enumerate(catchments):  # unique per regency
        if (c.district, c.name) in names:
            c.name = f"{c.name} ({n})"
        names.add((c.district, c.name))
    write(Puskesmas.__table__, ("id", "name", "code", "district_id", "subdistrict_id"),
          ((i + 1, c.name, None, c.district, c.subdistrict) for i, c in enumerate(catchments)))
    write(puskesmas_villages, ("puskesmas_id", "village_id"),
          ((i + 1, v) for i, c in enumerate(catchments) for v in c.villages))
    say(f"puskesmas: {len(catchments)}")

    district_id = region[district_code]
    users = _users(district_id, region[district_code[:2]], 1)
    ids = _Ids(posyandu=1, cadre=1, session=1, assessment=1)

    # The district under test: posyandu written first, then the whole history per puskesmas.
    district_posyandu = max(1, sizes.district_cadres // 10)
    per_pkm = _split(district_posyandu, len(district)) if district else []
    plan: list[list[int]] = []
    rows = []
    for index, (c, count) in enumerate(zip(district, per_pkm, strict=True)):
        plan.append([])
        for j in range(count):
            pid = ids.take("posyandu")
            plan[-1].append(pid)
            rows.append((pid, f"Posyandu {index + 1}.{j + 1}",
                         c.villages[j % len(c.villages)], index + 1))
    national_posyandu = max(1, sizes.posyandu - district_posyandu)
    pk_first = len(district) + 1
    national_plan: list[tuple[int, int]] = []  # (posyandu id, puskesmas id)
    for offset, (c, count) in enumerate(zip(national, _split(national_posyandu, len(national)),
                                            strict=True)):
        for j in range(count):
            pid = ids.take("posyandu")
            national_plan.append((pid, pk_first + offset))
            rows.append((pid, f"Posyandu {pk_first + offset}.{j + 1}",
                         c.villages[j % len(c.villages)], pk_first + offset))
    write(Posyandu.__table__, ("id", "name", "village_id", "puskesmas_id"), rows)
    say(f"posyandu: {len(rows)}")

    for pkm_posyandu, count in zip(plan, _split(sizes.district_cadres, len(plan)),
                                   strict=True):
        batch = history_batch(ids, framework, today, rng, pkm_posyandu, users["pelatih"],
                              count)
        _complete_packages(framework, batch.rows)
        for key, table in TABLES:
            write.dicts(table, batch.rows.get(key, []))
    say(f"district under test: {sizes.district_cadres} cadres with their history")

    national_cadres = max(0, sizes.cadres - sizes.district_cadres)
    per_posyandu = _split(national_cadres, len(national_plan))
    levels: list[tuple[int, str, date]] = []
    placed: list[tuple[int, int]] = []  # (cadre, posyandu)

    def cadres() -> Iterator[tuple[Any, ...]]:
        for (pid, _pkm), count in zip(national_plan, per_posyandu, strict=True):
            for _ in range(count):
                level = _level_of(rng)
                row = _cadre_row(ids.take("cadre"), pid, rng, today, now, level)
                placed.append((row[0], pid))
                if level:
                    levels.append((row[0], level, row[14]))
                yield row
    write(Cadre.__table__, CADRE_COLUMNS, cadres())
    say(f"cadres: {national_cadres} outside the district")
    start = today - timedelta(days=1500)
    write(CadreAssignment.__table__, ("cadre_id", "posyandu_id", "start_date"),
          ((cid, pid, start) for cid, pid in placed))
    write(LevelChange.__table__, ("cadre_id", "level_code", "previous_code", "changed_on",
                                  "framework_id", "framework_version", "created_at"),
          ((cid, level, None, since, framework.id, framework.version, now)
           for cid, level, since in levels))
    say("assignments and level history")
    _reset_sequences()
    return Built(write.written, district_id, time.perf_counter() - started, places.source)


def _complete_packages(framework: Framework, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Each cadre's complete packages from the badges of the batch (``",A,B,C,"``, sorted;
    ``""`` for none), as the scoring services store them."""
    held: dict[int, set[str]] = {}
    for skill in rows.get("skills", []):
        held.setdefault(skill["cadre_id"], set()).add(skill["skill_code"])
    for cadre in rows.get("cadres", []):
        codes = held.get(cadre["id"], set())
        complete = sorted(p.code for p in framework.packages
                          if set(p.skill_codes) <= codes)
        cadre["package_codes"] = f",{','.join(complete)}," if complete else ""


def _users(district_id: int, province_id: int, puskesmas_id: int) -> dict[str, int]:
    """The benchmark's sign-ins: national and province (when the roles exist), the
    district's admin, a coordinator and a trainer of its first puskesmas."""
    from werkzeug.security import generate_password_hash

    digest = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    wanted: list[tuple[str, str, dict[str, int]]] = [
        ("dinkes", "admin", {"district_id": district_id}),
        ("koordinator", "coordinator", {"puskesmas_id": puskesmas_id}),
        ("pelatih", "trainer", {"puskesmas_id": puskesmas_id}),
    ]
    if "NATIONAL" in Role.__members__:
        wanted.append(("nasional", "national", {}))
    if "PROVINCE" in Role.__members__:
        wanted.append(("provinsi", "province", {"province_id": province_id}))
    out = {}
    for username, role, place in wanted:
        user = User(username=username, display_name=username.title(), role=Role(role),
                    password_hash=digest, **place)
        db.session.add(user)
        db.session.flush()
        out[username] = user.id
    return out


def _reset_sequences() -> None:
    """PostgreSQL: move the id sequences past the ids written explicitly."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("regions", "puskesmas", "posyandu", "cadres", "assessment_sessions",
                  "assessments"):
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"GREATEST(1, (SELECT MAX(id) FROM {table})))"))
