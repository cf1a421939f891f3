"""Offline scoring: what a phone downloads to score Posyandu Anggrek offline, and the
server's time to sync a posyandu day.

Usage: python bench/sync.py [--db URL] [--runs N]   (default: a fresh SQLite file)
Prints:
- offline_bundle_kb: Anggrek's offline bundle (14 cadres, the curriculum in force) plus
  the pages and files of the scoring journey (/offline/, its scripts, the stylesheets,
  the manifest and the service worker), each gzip-compressed as served, added up.
- sync_day_ms: one sync request of a posyandu day: 14 cadres × 25 skills, every
  indicator scored (350 entries, a new sitting each run), p95 over --runs requests.
- resync_ms: the same request sent again (everything already stored), p95.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa
from _common import demo_app, report, signed_in

from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.models import Cadre, CadreStatus, Posyandu

JOURNEY = ["/offline/", "/offline/sw.js", "/offline/manifest.webmanifest",
           "/static/js/offline.js", "/static/js/offline-grade.js", "/static/js/outbox.js",
           "/static/js/app.js", "/static/css/app.css"]


CPU_MS: list[float] = []  # the process's own CPU time per timed request (stderr)


def _timed(action) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    action()
    CPU_MS.append((time.process_time() - cpu) * 1000)
    return (time.perf_counter() - start) * 1000


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def _day(framework, posyandu_id: int, cadre_ids: list[int], rng: random.Random) -> dict:
    values = list(framework.scale.values)
    return {
        "sitting": {"id": str(uuid.uuid4()), "posyandu_id": posyandu_id,
                    "assessed_on": date.today().isoformat(), "setting": "posyandu_day",
                    "method": "observation", "framework_id": framework.id,
                    "framework_version": framework.version, "cadre_ids": cadre_ids},
        "entries": [{"id": str(uuid.uuid4()), "cadre_id": cadre_id, "skill_code": skill.code,
                     "scores": {i.code: rng.choice(values) for i in skill.indicators}}
                    for cadre_id in cadre_ids for skill in framework.skills],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--runs", type=int, default=20, help="timed sync requests")
    args = parser.parse_args()
    app = demo_app(args.db)
    with app.app_context():
        anggrek = db.session.scalar(sa.select(Posyandu.id).where(Posyandu.name == "Anggrek"))
        cadre_ids = list(db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == anggrek, Cadre.status == CadreStatus.ACTIVE)
            .order_by(Cadre.id)))
        framework = framework_on(date.today())
    client = signed_in(app, "pelatih", "pelatih-demo")

    sizes = {}
    bundle = client.get(f"/api/v1/posyandu/{anggrek}/offline-bundle")
    assert bundle.status_code == 200
    sizes["bundle"] = len(gzip.compress(bundle.data))
    levels = re.search(r'href="(/levels\.css[^"]*)"', client.get("/offline/").text).group(1)
    for path in [*JOURNEY, levels]:
        response = client.get(path)
        assert response.status_code == 200, path
        sizes[path] = len(gzip.compress(response.data))
    print(f"bundle: {len(cadre_ids)} cadres; compressed bytes: {sizes}", file=sys.stderr)
    report("offline_bundle_kb", sum(sizes.values()) / 1024, "KB")

    rng = random.Random(16)
    sync_ms, resync_ms = [], []
    with _rolled_back(app) as restart:
        for run in range(args.runs + 2):  # the first two warm up
            day = _day(framework, anggrek, cadre_ids, rng)
            took = _timed(lambda day=day: _post(client, day, "stored"))
            again = _timed(lambda day=day: _post(client, day, "already_stored"))
            if run >= 2:
                sync_ms.append(took)
                resync_ms.append(again)
            restart()  # every run syncs the same day onto the demo's history
    print(f"sync runs: {len(sync_ms)}, entries per run: {len(day['entries'])}, "
          f"median {statistics.median(sync_ms):.0f} ms, resync median "
          f"{statistics.median(resync_ms):.0f} ms; CPU per request (sync, resync): "
          f"{statistics.median(CPU_MS[4::2]):.0f}, {statistics.median(CPU_MS[5::2]):.0f} ms",
          file=sys.stderr)
    report("sync_day_ms", _p95(sync_ms), "ms")
    report("resync_ms", _p95(resync_ms), "ms")


@contextmanager
def _rolled_back(app) -> Iterator[Callable[[], None]]:
    """Run the requests inside one outer transaction that is rolled back after each
    run (the views' commits become savepoints), so that every run syncs the same day
    onto the demo's history instead of a history that grows run by run."""
    from flask_sqlalchemy.session import _app_ctx_id
    from sqlalchemy.orm import scoped_session, sessionmaker

    with app.app_context():
        connection = db.engine.connect()
    outer = [connection.begin()]
    original = db.session
    db.session = scoped_session(sessionmaker(bind=connection,
                                             join_transaction_mode="create_savepoint"),
                                scopefunc=_app_ctx_id)

    def restart() -> None:
        outer[0].rollback()
        outer[0] = connection.begin()

    try:
        yield restart
    finally:
        db.session = original
        outer[0].rollback()
        connection.close()


def _post(client, day: dict, status: str) -> None:
    response = client.post("/api/v1/offline-sittings", json=day)
    assert response.status_code == 200, response.text[:300]
    assert {e["status"] for e in response.get_json()["entries"]} == {status}


if __name__ == "__main__":
    main()
