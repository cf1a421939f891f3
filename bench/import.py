"""Spreadsheet import: 10,000 cadres in 400 posyandu checked and applied by the real
worker, then the same file again.

Usage: python bench/import.py [--db URL] [--count 10000]
Prints: import_10000_cadres_s (the check and the apply of the new cadres, from the upload
to the applied job, less the moment between the preview and the confirmation),
import_peak_mb (the largest peak resident memory of the worker's processes),
recheck_10000_s (the same file again: checked, nothing to change).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="ilp-bench-import-"))
os.environ.setdefault("HUEY_SQLITE_PATH", str(WORK / "huey.db"))

import sqlalchemy as sa  # noqa: E402
from _common import ROOT, demo_app, report  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from ilp_training.core.extensions import db  # noqa: E402
from ilp_training.models import (  # noqa: E402
    ImportJob,
    ImportStatus,
    Posyandu,
    Puskesmas,
    Region,
    RegionLevel,
    puskesmas_villages,
)

POSYANDU = 400


def add_posyandu() -> list[tuple[str, str]]:
    """400 posyandu in the villages of the first puskesmas; (village code, name) each."""
    puskesmas = db.session.scalars(sa.select(Puskesmas).order_by(Puskesmas.id)).first()
    villages = db.session.scalars(sa.select(Region).join(
        puskesmas_villages, puskesmas_villages.c.village_id == Region.id).where(
        puskesmas_villages.c.puskesmas_id == puskesmas.id,
        Region.level == RegionLevel.VILLAGE).order_by(Region.code)).all()
    places = [(villages[i % len(villages)], f"Bench {i:03d}") for i in range(POSYANDU)]
    db.session.add_all([Posyandu(name=name, village_id=v.id, puskesmas_id=puskesmas.id)
                        for v, name in places])
    db.session.commit()
    return [(v.code, name) for v, name in places]


def cadre_file(places: list[tuple[str, str]], count: int) -> bytes:
    """``count`` new cadres with valid NIKs, 25 per posyandu (text in shared strings, as
    Excel writes it)."""
    book = Workbook()
    ws = book.active
    ws.append(["Desa", "Posyandu", "Nama", "NIK", "JK", "Lahir", "HP", "Sejak", "BPJS"])
    first = date(1970, 1, 1)
    for i in range(count):
        code, name = places[i % len(places)]
        born = first + timedelta(days=i % 9000)
        female = i % 5 != 0
        nik = f"741402{born.day + (40 if female else 0):02d}{born:%m%y}{i // 9000 + 1 + i % 7:04d}"
        ws.append([code, name, f"Kader Bench {i:05d}", nik, "P" if female else "L",
                   born.isoformat(), f"0812{i:08d}", "2020-01-01",
                   f"{i:011d}" if i % 3 == 0 else None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = child.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(child.parent.name))
                todo.append(int(child.parent.name))
    return found


def peak_mb(pid: int) -> float:
    """The largest VmHWM (peak resident set) of the worker and its processes."""
    peaks = []
    for proc in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return max(peaks, default=0.0)


def wait_for(client, app, job_id: int, statuses: set[ImportStatus]) -> ImportJob:
    """Poll the job's JSON as the progress bar does (a reading request: it never waits
    for the worker's write lock), then load the job."""
    start = time.perf_counter()
    wanted = {s.value for s in statuses}
    while client.get(f"/imports/jobs/{job_id}.json").get_json()["status"] not in wanted:
        if time.perf_counter() - start > 900:
            raise TimeoutError("the import did not finish in 15 minutes")
        time.sleep(0.1)
    with app.test_request_context():
        job = db.session.get(ImportJob, job_id)
        db.session.expunge(job)
        return job


def warm_up(client, app) -> None:
    """Wait until the worker takes jobs (its processes start and lay out a certificate
    page first): a background job of unknown places, refused, before the clock starts."""
    book = Workbook()
    for i in range(400):
        book.active.append(["", "Nowhere", f"X {i}", "", "P", "", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    response = client.post("/imports/cadres", data={"cadres-file": (io.BytesIO(
        out.getvalue()), "warm.xlsx")}, content_type="multipart/form-data")
    wait_for(client, app, int(response.location.rsplit("/", 1)[-1]),
             {ImportStatus.REFUSED, ImportStatus.CHECKED, ImportStatus.FAILED})


def run(client, app, data: bytes) -> tuple[float, ImportJob]:
    """Upload, wait for the check, confirm, wait for the apply; seconds of work."""
    start = time.perf_counter()
    response = client.post("/imports/cadres", data={"cadres-file": (io.BytesIO(data),
                                                                    "bench.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    job_id = int(response.location.rsplit("/", 1)[-1])
    job = wait_for(client, app, job_id, {ImportStatus.CHECKED, ImportStatus.REFUSED,
                                 ImportStatus.FAILED})
    checked = time.perf_counter() - start
    assert job.status == ImportStatus.CHECKED, (job.status, (job.errors or [])[:5],
                                                job.failure)
    totals = job.preview["totals"]
    print(f"# checked in {checked:.1f} s: new, changed, unchanged = {totals}",
          file=sys.stderr)
    if totals[0] + totals[1] == 0:
        return checked, job
    start = time.perf_counter()
    client.post(f"/imports/jobs/{job_id}/apply")
    job = wait_for(client, app, job_id, {ImportStatus.DONE, ImportStatus.REFUSED,
                                 ImportStatus.FAILED})
    applied = time.perf_counter() - start
    assert job.status == ImportStatus.DONE, (job.status, job.failure)
    print(f"# applied in {applied:.1f} s: {job.result}", file=sys.stderr)
    return checked + applied, job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{WORK / 'bench.db'}"
    app = demo_app(url)
    with app.app_context():
        places = add_posyandu()
    data = cadre_file(places, args.count)
    print(f"# file: {len(data):,} bytes, {args.count} rows", file=sys.stderr)
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "admin-demo"})
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        warm_up(client, app)
        seconds, _job = run(client, app, data)
        report(f"import_{args.count}_cadres_s", seconds, "s")
        report("import_peak_mb", peak_mb(worker.pid), "MB")
        seconds, job = run(client, app, data)
        assert job.preview["totals"][:2] == [0, 0], job.preview["totals"]
        report(f"recheck_{args.count}_s", seconds, "s")
    finally:
        worker.terminate()
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
