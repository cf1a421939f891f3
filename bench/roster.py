"""The coordinator roster, the skill-gap matrix and a cadre profile on a full district:
10,000 cadres in 25 puskesmas (400 each) with their whole assessment history.

Usage: python bench/roster.py [--db URL]   (default: a fresh SQLite file)
Prints: roster_p95_ms, gap_matrix_p95_ms, profile_p95_ms (signed in as the coordinator of
Puskesmas Mawasangka Tengah, 400 cadres in 40 posyandu; the profile is that puskesmas'
cadre with the most assessments), then district_p95_ms for information (an admin's
district view over all 10,000 cadres); details go to stderr.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date

import sqlalchemy as sa
from _common import demo_app, p95_ms, report, signed_in
from _district import fill_district
from flask.testing import FlaskClient

from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.models import Assessment, Cadre, Posyandu, User


def _busiest_cadre(username: str) -> int:
    """The cadre of the user's puskesmas with the most assessments (the longest profile)."""
    puskesmas = db.session.scalar(sa.select(User.puskesmas_id).where(User.username == username))
    return db.session.scalar(
        sa.select(Assessment.cadre_id)
        .join(Cadre, Cadre.id == Assessment.cadre_id)
        .join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(Posyandu.puskesmas_id == puskesmas)
        .group_by(Assessment.cadre_id)
        .order_by(sa.func.count().desc(), Assessment.cadre_id)
        .limit(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--runs", type=int, default=200, help="timed requests per page")
    args = parser.parse_args()
    app = demo_app(args.db)
    started = time.perf_counter()
    with app.app_context():
        written = fill_district(framework_on(date.today()), date.today())
        if db.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        cadres = db.session.scalar(sa.select(sa.func.count(Cadre.id)))
        profile = f"/cadres/{_busiest_cadre('koordinator')}"
    print(f"filled: {cadres} cadres, {written} assessments in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    client = signed_in(app, "koordinator", "koordinator-demo")
    admin = signed_in(app, "admin", "admin-demo")
    # district_p95_ms is for information (no target in the issue): an admin's district
    # view, all 10,000 cadres grouped per puskesmas, levels and the gap matrix on one page.
    pages = (("roster_p95_ms", client, "/roster", args.runs),
             ("gap_matrix_p95_ms", client, "/roster/gaps", args.runs),
             ("profile_p95_ms", client, profile, args.runs),
             ("district_p95_ms", admin, "/roster/district", max(20, args.runs // 4)))
    for name, who, url, runs in pages:
        response = who.get(url)
        assert response.status_code == 200, (url, response.status_code)
        cpu: list[float] = []
        report(name, p95_ms(lambda who=who, url=url, cpu=cpu: _cpu(cpu, who, url), runs=runs),
               "ms")
        # Wall time includes waiting for a busy machine; the process's own CPU time
        # and the load average tell how much of the figure is this code.
        print(f"  {url}: cpu p95 {statistics.quantiles(cpu, n=20)[18]:.1f} ms, "
              f"min {min(cpu):.1f} ms; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} CPUs", file=sys.stderr)


def _cpu(samples: list[float], client: FlaskClient, url: str) -> None:
    start = time.process_time()
    client.get(url)
    samples.append((time.process_time() - start) * 1000)


if __name__ == "__main__":
    main()
