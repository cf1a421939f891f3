"""A national-size database and the views above the district, through the app.

Builds (into the emptied database of ``--db``, migrated by ``flask db upgrade``) 1.5
million cadres in 300,000 posyandu and ~10,000 puskesmas over the places (the official
Kemendagri provinces, regencies, kecamatan and villages of ``ilp_training.places`` when
present, else a synthetic tree of the same shape), with a realistic level spread, and
one district under test (Buton Tengah, 10,000 cadres) with its whole assessment
history (``bench/_national.py``); bulk tables by PostgreSQL COPY, then the rollups'
``rebuild()``. Then, signed in through the login form (Flask test client on that
database) as a national user, a province user, the district's admin and a coordinator,
times each view (a warm-up, then ``--runs`` requests over several places), saves a
promoting assessment through the scoring route and polls the national figures until
they show it.

Usage: python bench/national.py --db postgresql+psycopg:///bench_national
                                [--cadres 1500000] [--reuse] [--runs 50]
Without ``--db`` it prints ``national: skipped (…)`` (``make bench`` runs it so): the
full build takes many minutes and the database's disk. ``--cadres 15000`` builds a small
set quickly; ``--reuse`` skips the build when the database already holds a set of that
size (to time the pages again).

Prints ``build_rows``, ``build_s`` (and ``#`` lines per table), ``national_p95_ms``,
``province_p95_ms``, ``regency_p95_ms``, ``posyandu_p95_ms``,
``level_change_visible_ms``, ``db_size_mb`` (and ``#`` lines with each large table's
size and the bytes per cadre).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from _common import empty_database, quiet_access_log, report
from _national import PASSWORD, Sizes, build, real_places, synthetic_places
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from ilp_training import create_app
from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.models import Cadre, CadreSkill, Posyandu, Region, RegionLevel, User


def _app(url: str) -> Flask:
    quiet_access_log()
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })


def _holds_set(app: Flask, cadres: int) -> bool:
    with app.app_context():
        try:
            count = db.session.scalar(sa.select(sa.func.count(Cadre.id))) or 0
            user = db.session.scalar(sa.select(User.id).where(User.username == "dinkes"))
        except sa.exc.ProgrammingError:
            return False
        return user is not None and count >= cadres


def _rebuild_rollups() -> str:
    try:
        from ilp_training.overview import rollups  # type: ignore[attr-defined]
    except ImportError:
        return "no rollups in this branch"
    started = time.perf_counter()
    rollups.rebuild()
    db.session.commit()
    return f"{time.perf_counter() - started:.1f} s"


def _vacuum() -> None:
    """What autovacuum would do after a bulk load (statistics for the planner)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def build_set(url: str, cadres: int) -> None:
    """Empty, migrate, write the set, rebuild the rollups, VACUUM ANALYZE; ``build_s``
    is all of it (the migrations included), the lines before it each step's time."""
    started = time.perf_counter()
    empty_database(url)
    app = _app(url)
    with app.app_context():
        upgrade()
        places = real_places() or synthetic_places()
        built = build(framework_on(date.today()), date.today(), Sizes.of(cadres), places,
                      progress=True)
        db.session.commit()
        print(f"#   written and committed in {time.perf_counter() - started:.1f} s", flush=True)
        print(f"#   rollups rebuilt in {_rebuild_rollups()}", flush=True)
        vacuum = time.perf_counter()
        _vacuum()
        print(f"#   VACUUM ANALYZE in {time.perf_counter() - vacuum:.1f} s", flush=True)
    for table, count in sorted(built.written.items()):
        print(f"#   {table}: {count} rows")
    print(f"# places: {built.places}")
    print(f"build_rows: {sum(built.written.values())} rows", flush=True)
    report("build_s", time.perf_counter() - started, "s")


def signed_in(app: Flask, username: str) -> FlaskClient | None:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    return client if response.status_code == 302 else None


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) > 1 else samples[0]


def time_pages(name: str, client: FlaskClient | None, urls: list[str], runs: int) -> None:
    """The p95 of ``runs`` requests cycling through ``urls``, after one of each."""
    if client is None or not urls:
        print(f"# {name}: skipped (no such user or page in this branch)", flush=True)
        return
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            print(f"# {name}: skipped ({url} answered {response.status_code})", flush=True)
            return
    samples, cpu = [], []
    for i in range(runs):
        start, own = time.perf_counter(), time.process_time()
        client.get(urls[i % len(urls)])
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - own) * 1000)
    # Wall time includes waiting for a core on a busy machine (and PostgreSQL's own
    # work); this process's CPU time per request tells how much of it is the app.
    print(f"#   {name}: median {statistics.median(samples):.1f} ms, max "
          f"{max(samples):.1f} ms over {len(urls)} places; app CPU p95 {p95(cpu):.1f} ms; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    report(name, p95(samples), "ms")


def _has_route(app: Flask, rule: str) -> bool:
    return any(r.rule.startswith(rule) for r in app.url_map.iter_rules())


def _places_to_time(app: Flask, count: int = 10) -> dict[str, list[str]]:
    """Several places of each kind: the district under test and its province first."""
    with app.app_context():
        admin = db.session.scalars(sa.select(User).where(User.username == "dinkes")).one()
        district = admin.district
        assert district is not None and district.parent is not None
        regencies = [district.code, *db.session.scalars(
            sa.select(Region.code).where(Region.level == RegionLevel.REGENCY,
                                         Region.id != district.id)
            .order_by(sa.func.md5(Region.code) if db.engine.dialect.name == "postgresql"
                      else Region.code).limit(count - 1))]
        provinces = [district.parent.code, *db.session.scalars(
            sa.select(Region.code).where(Region.level == RegionLevel.PROVINCE,
                                         Region.id != district.parent.id)
            .order_by(Region.code).limit(count - 1))]
        top = db.session.scalar(sa.select(sa.func.max(Posyandu.id))) or 1
        step = max(1, top // count)
        posyandu = [str(i) for i in range(1, top + 1, step)][:count]
        own = [str(p) for p in db.session.scalars(
            sa.select(Posyandu.id).where(Posyandu.puskesmas_id == admin_puskesmas())
            .order_by(Posyandu.id).limit(count))]
    return {"regency": regencies, "province": provinces, "posyandu": posyandu, "own": own}


def admin_puskesmas() -> int | None:
    return db.session.scalar(sa.select(User.puskesmas_id).where(User.username == "koordinator"))


def _national_counts(app: Flask) -> Callable[[], dict[str, int]]:
    """The national figures by level, as the national page reads them (the rollups'
    ``figures`` when this branch has them, else a count over the cadres)."""
    try:
        from ilp_training.overview import rollups  # type: ignore[attr-defined]
    except ImportError:
        rollups = None

    def counts() -> dict[str, int]:
        with app.app_context():
            if rollups is not None:
                return dict(rollups.figures(rollups.NATIONAL).by_level)
            return dict(db.session.execute(
                sa.select(Cadre.level_code, sa.func.count())
                .where(Cadre.level_code.is_not(None)).group_by(Cadre.level_code)).all())
    return counts


def level_change(app: Flask, trainer: FlaskClient | None) -> None:
    """A Madya cadre of the district under test assessed competent, in one save through
    the scoring route, in every skill they miss for Utama; then the national figures are
    polled until Utama has one more."""
    if trainer is None:
        print("# level_change_visible_ms: skipped (no trainer)")
        return
    with app.app_context():
        framework = framework_on(date.today())
        puskesmas = admin_puskesmas()
        cadre = db.session.scalars(
            sa.select(Cadre).join(Posyandu).where(
                Posyandu.puskesmas_id == puskesmas, Cadre.level_code == "madya",
                Cadre.status == "active").order_by(Cadre.id).limit(1)).first()
        if cadre is None:
            print("# level_change_visible_ms: skipped (no Madya cadre to promote)")
            return
        held = set(db.session.scalars(
            sa.select(CadreSkill.skill_code).where(CadreSkill.cadre_id == cadre.id)))
        cadre_id, posyandu_id = cadre.id, cadre.posyandu_id
    missing = [s for s in framework.skills if s.code not in held]
    counts = _national_counts(app)
    before = counts()
    opened = trainer.post(f"/posyandu/{posyandu_id}/assessments/new", data={
        "assessed_on": date.today().isoformat(), "setting": "posyandu_day",
        "method": "observation", "cadres": str(cadre_id)})
    assert opened.status_code == 302, opened.status_code
    sitting = re.search(r"/assessment-sessions/(\d+)", opened.headers["Location"])
    assert sitting is not None
    scores = {f"score-{i.code}": str(framework.scale.max) for s in missing
              for i in s.indicators}
    start = time.perf_counter()
    saved = trainer.post(f"/assessment-sessions/{sitting.group(1)}/cadres/{cadre_id}",
                         data={"submission_key": secrets.token_hex(16), **scores})
    saved_ms = (time.perf_counter() - start) * 1000
    assert saved.status_code == 302, saved.status_code
    deadline = start + 30
    while True:
        now = counts()
        if now.get("utama", 0) == before.get("utama", 0) + 1:
            break
        if time.perf_counter() > deadline:
            print("# level_change_visible_ms: not visible within 30 s", flush=True)
            return
        time.sleep(0.05)
    print(f"#   the save ({len(missing)} skills, Madya → Utama): {saved_ms:.1f} ms; national "
          f"Utama {before.get('utama', 0)} → {now.get('utama', 0)}", flush=True)
    report("level_change_visible_ms", (time.perf_counter() - start) * 1000, "ms")


def sizes(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        total = db.session.scalar(sa.text("SELECT pg_database_size(current_database())"))
        cadres = db.session.scalar(sa.select(sa.func.count(Cadre.id))) or 1
        tables = db.session.execute(sa.text(
            "SELECT s.relname, pg_total_relation_size(c.oid), s.n_live_tup FROM pg_class c "
            "JOIN pg_stat_user_tables s ON s.relid = c.oid ORDER BY 2 DESC LIMIT 12")).all()
    for name, size, rows in tables:
        print(f"#   size {name}: {size / 2**20:.1f} MB, {rows} rows")
    print(f"#   bytes per cadre (whole database): {total / cadres:.0f}")
    report("db_size_mb", total / 2**20, "MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="a PostgreSQL URL (emptied unless --reuse)")
    parser.add_argument("--cadres", type=int, default=1_500_000)
    parser.add_argument("--reuse", action="store_true",
                        help="skip the build when the database holds a set this size")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per view")
    args = parser.parse_args()
    if not args.db:
        print("national: skipped (give --db postgresql+psycopg:///…; see its --help)")
        return
    app = _app(args.db)
    if args.reuse and _holds_set(app, args.cadres):
        print("# reusing the set in the database (migrated to the head)", flush=True)
        with app.app_context():
            upgrade()
    else:
        build_set(args.db, args.cadres)
        app = _app(args.db)
    places = _places_to_time(app)
    national, province = signed_in(app, "nasional"), signed_in(app, "provinsi")
    admin, coordinator = signed_in(app, "dinkes"), signed_in(app, "koordinator")
    if not _has_route(app, "/overview"):
        print("# the overview pages are not in this branch: the district roster instead",
              flush=True)
        time_pages("district_roster_p95_ms", admin, ["/roster/district"], args.runs)
    else:
        time_pages("national_p95_ms", national, ["/overview"], args.runs)
        time_pages("province_p95_ms", national,
                   [f"/overview/province/{c}" for c in places["province"]], args.runs)
        time_pages("regency_p95_ms", national,
                   [f"/overview/regency/{c}" for c in places["regency"]], args.runs)
        time_pages("posyandu_p95_ms", national,
                   [f"/overview/posyandu/{p}" for p in places["posyandu"]], args.runs)
        time_pages("province_own_p95_ms", province,
                   [f"/overview/province/{places['province'][0]}"], args.runs)
        time_pages("regency_admin_p95_ms", admin,
                   [f"/overview/regency/{places['regency'][0]}"], args.runs)
        time_pages("posyandu_coordinator_p95_ms", coordinator,
                   [f"/overview/posyandu/{p}" for p in places["own"]], args.runs)
    level_change(app, signed_in(app, "pelatih"))
    sizes(app)


if __name__ == "__main__":
    sys.exit(main())
