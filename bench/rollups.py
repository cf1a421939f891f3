"""How long ``rebuild()`` of the overview's counts takes on a national-size PostgreSQL.

    .venv/bin/python bench/rollups.py --db postgresql+psycopg:///bench_rollups [--cadres N]

Drops and re-creates the schema of that database (never point it at data you keep),
migrates it, writes a synthetic country with SQL (38 provinces, 514 regencies, 10,000
puskesmas with 8 villages each, ``N / 5`` posyandu, ``N`` cadres with a level spread of
40 % not graded, 35 % Purwa, 18 % Madya, 7 % Utama, half of them in BPJS-TK, 5 %
inactive), then times ``rebuild()`` and ``figures()`` of the nation and prints
``name: value unit`` lines.
"""

from __future__ import annotations

import argparse
import time

import sqlalchemy as sa

SCHEMA = [
    "INSERT INTO regions (id, code, name, level, parent_id) SELECT i, lpad(i::text, 2, '0'),"
    " 'Provinsi ' || i, 'province', NULL FROM generate_series(1, 38) i",
    "INSERT INTO regions (id, code, name, level, parent_id) SELECT 100 + i,"
    " lpad((1 + (i - 1) % 38)::text, 2, '0') || '.' || lpad(((i - 1) / 38 + 1)::text, 2, '0'),"
    " 'Kabupaten ' || i, 'regency', 1 + (i - 1) % 38 FROM generate_series(1, 514) i",
    # one kecamatan per regency
    "INSERT INTO regions (id, code, name, level, parent_id) SELECT 1000 + i,"
    " r.code || '.01', 'Kecamatan ' || i, 'subdistrict', r.id"
    " FROM generate_series(1, 514) i JOIN regions r ON r.id = 100 + i",
    # 10,000 puskesmas (about 19 per regency), 8 villages each
    "INSERT INTO regions (id, code, name, level, parent_id) SELECT 10000 + v,"
    " r.code || '.' || lpad((((v - 1) / 4112) * 8 + (v - 1) % 8 + 1)::text, 4, '0'),"
    " 'Desa ' || v, 'village', r.id"
    " FROM generate_series(1, 80000) v"
    " JOIN regions r ON r.id = 1001 + ((v - 1) / 8) % 514",
    "INSERT INTO puskesmas (id, name, code, district_id, subdistrict_id) SELECT k,"
    " 'Puskesmas ' || k, NULL, 101 + (k - 1) % 514, 1001 + (k - 1) % 514"
    " FROM generate_series(1, 10000) k",
    "INSERT INTO puskesmas_villages (puskesmas_id, village_id) SELECT 1 + (v - 1) / 8,"
    " 10000 + v FROM generate_series(1, 80000) v",
]


def build(engine: sa.Engine, cadres: int) -> float:
    posyandu = cadres // 5
    started = time.perf_counter()
    with engine.begin() as conn:
        for statement in SCHEMA:
            conn.execute(sa.text(statement))
        conn.execute(sa.text(
            "INSERT INTO posyandu (id, name, village_id, puskesmas_id) SELECT p,"
            " 'Posyandu ' || p, 10000 + (1 + (p - 1) % 10000 - 1) * 8 + 1 + (p / 10000) % 8,"
            f" 1 + (p - 1) % 10000 FROM generate_series(1, {posyandu}) p"))
        conn.execute(sa.text(
            "INSERT INTO cadres (id, full_name, sex, posyandu_id, status, inactive_since,"
            " bpjs_tk_enrolled, level_code, package_codes, badge_count, created_at, updated_at)"
            " SELECT c, 'Kader ' || c, 'F', 1 + (c - 1) % " + str(posyandu) + ","
            " CASE WHEN c % 20 = 0 THEN 'inactive' ELSE 'active' END,"
            " CASE WHEN c % 20 = 0 THEN DATE '2026-01-01' END, c % 2 = 0,"
            " CASE WHEN c % 100 < 40 THEN NULL WHEN c % 100 < 75 THEN 'purwa'"
            "  WHEN c % 100 < 93 THEN 'madya' ELSE 'utama' END,"
            " CASE WHEN c % 100 < 20 THEN '' WHEN c % 100 < 40 THEN ',A,'"
            "  WHEN c % 100 < 75 THEN ',A,B,C,' WHEN c % 100 < 93 THEN ',A,B,C,D,'"
            "  ELSE ',A,B,C,D,E,' END, 0, now(), now()"
            f" FROM generate_series(1, {cadres}) c"))
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--cadres", type=int, default=1_500_000)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from ilp_training import create_app
    from ilp_training.core.extensions import db
    from ilp_training.overview.rollups import NATIONAL, figures, rebuild

    engine = sa.create_engine(args.db)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "bench",
                      "TODAY": "2026-12-01T10:00"})
    with app.app_context():
        upgrade()
    print(f"rollups_build_s: {build(engine, args.cadres):.1f} s")
    print(f"rollups_cadres: {args.cadres} cadres")
    with app.app_context():
        started = time.perf_counter()
        rebuild()
        db.session.commit()
        print(f"rollups_rebuild_s: {time.perf_counter() - started:.1f} s")
        rows = db.session.scalar(sa.text("SELECT count(*) FROM rollup_counts"))
        print(f"rollups_rows: {rows} rows")
        timings = []
        for _ in range(50):
            started = time.perf_counter()
            national = figures(NATIONAL)
            timings.append(time.perf_counter() - started)
        timings.sort()
        print(f"rollups_national_figures_p95_ms: {timings[47] * 1000:.2f} ms")
        print(f"rollups_national_cadres: {national.cadres} cadres")
        db.engine.dispose()
    engine.dispose()


if __name__ == "__main__":
    main()
