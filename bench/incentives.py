"""Cadre welfare pages on the demo district (31 villages with posyandu, 230 cadres; Desa
Lalibo with 23 cadres and three months of activity). Issue 7 names no target; these
figures watch for regressions.

Usage: python bench/incentives.py [--db URL] [--runs N]   (default: a fresh SQLite file)
Prints: incentives_summary_p95_ms (the village head's draft for last month),
incentives_year_summary_p95_ms (the same village for the year), incentives_pdf_p95_ms,
incentives_xlsx_p95_ms, incentives_district_p95_ms (the admin's view: every village computed).
"""

from __future__ import annotations

import argparse
from datetime import date

import sqlalchemy as sa
from _common import demo_app, p95_ms, report, signed_in

from ilp_training.core.extensions import db
from ilp_training.incentives.rules import Period
from ilp_training.models import Region, RegionLevel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--runs", type=int, default=100, help="timed requests per page")
    args = parser.parse_args()
    app = demo_app(args.db)
    with app.app_context():
        lalibo = db.session.scalar(sa.select(Region.id).where(
            Region.level == RegionLevel.VILLAGE, Region.name == "Lalibo"))
    month = Period.month_before(date.today())
    summary = f"/incentives/villages/{lalibo}/{month.key}"
    head = signed_in(app, "kades.lalibo", "kades-demo")
    admin = signed_in(app, "admin", "admin-demo")
    pages = [
        ("incentives_summary_p95_ms", head, summary, args.runs),
        ("incentives_year_summary_p95_ms", head,
         f"/incentives/villages/{lalibo}/{month.start.year}", args.runs),
        ("incentives_pdf_p95_ms", head, summary + "/summary.pdf", max(args.runs // 5, 10)),
        ("incentives_xlsx_p95_ms", head, summary + "/summary.xlsx", args.runs),
        ("incentives_district_p95_ms", admin,
         f"/incentives/district?kind=month&month={month.start:%Y-%m}", args.runs),
    ]
    for name, client, url, runs in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        report(name, p95_ms(lambda c=client, u=url: c.get(u), runs=runs,
                            warmup=min(10, runs)), "ms")


if __name__ == "__main__":
    main()
