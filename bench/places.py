"""Loading the official places: all 91,599 regions (38 provinces, 514 regencies, 7,285
kecamatan, 83,762 villages) into an empty, migrated database, then once more (nothing
to change: the upsert reads and compares only).

Usage: python bench/places.py [--db URL]   (default: a fresh SQLite file; a PostgreSQL
database is emptied first)
Prints: places_load_s, places_load_cpu_s, places_reload_s, places_reload_cpu_s (wall
time, and the CPU time of this process: on a busy machine the wall time is mostly waiting
for a core), places_rows.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import sqlalchemy as sa
from _common import empty_database, report
from flask_migrate import upgrade

from ilp_training import create_app
from ilp_training.core.extensions import db
from ilp_training.models import Region
from ilp_training.places import data
from ilp_training.places.services import load_places


def _timed_load() -> tuple[float, float]:
    """Wall time and this process's CPU time (the database server's is not in it)."""
    start, cpu = time.perf_counter(), time.process_time()
    load_places(db.session, data.LEVELS)
    db.session.commit()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='ilp-bench-')}/places.db"
    empty_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        for name in ("places_load", "places_reload"):
            wall, cpu = _timed_load()
            report(f"{name}_s", wall, "s")
            report(f"{name}_cpu_s", cpu, "s")
        rows = db.session.scalar(sa.select(sa.func.count(Region.id)))
        print(f"places_rows: {rows} rows", flush=True)
        db.engine.dispose()


if __name__ == "__main__":
    main()
