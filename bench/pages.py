"""Login page and posyandu roster through the whole app (test client, signed in).

Usage: python bench/pages.py [--db URL]   (default: a fresh SQLite file)
Prints: login_page_p95_ms, posyandu_roster_p95_ms, posyandu_list_p95_ms
"""

from __future__ import annotations

import argparse

import sqlalchemy as sa
from _common import demo_app, p95_ms, report

from ilp_training.core.extensions import db
from ilp_training.models import Posyandu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    app = demo_app(args.db)
    with app.app_context():
        anggrek = db.session.scalar(sa.select(Posyandu.id).where(Posyandu.name == "Anggrek"))
    anonymous = app.test_client()
    report("login_page_p95_ms", p95_ms(lambda: anonymous.get("/login")), "ms")
    client = app.test_client()
    client.post("/login", data={"username": "koordinator", "password": "koordinator-demo"})
    roster = f"/posyandu/{anggrek}/"
    assert client.get(roster).status_code == 200
    report("posyandu_roster_p95_ms", p95_ms(lambda: client.get(roster)), "ms")
    admin = app.test_client()
    admin.post("/login", data={"username": "admin", "password": "admin-demo"})
    report("posyandu_list_p95_ms", p95_ms(lambda: admin.get("/posyandu/")), "ms")


if __name__ == "__main__":
    main()
