"""Certificates: single issue, a bulk job of 1,000 with the real worker, downloads and the
public verification page, through the app.

Usage: python bench/certificates.py [--db URL] [--count 1000] [--workers 2]
Prints: single_issue_ms (median of warm issues), bulk_1000_s (wall time from the request
to the finished job, with ``flask worker`` running in its own processes),
download_p95_ms, verify_p95_ms, sign_credential_ms (median: one certificate's Open Badges
credential built and signed as a VC-JWT, as every issue does). Targets in
docs/certificates.md (single ≤ 150 ms, bulk ≤ 30 s) and docs/credentials.md (signing
≤ 5 ms). Every issue here signs its credential (the demo district has a key).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="ilp-bench-cert-"))
os.environ.setdefault("HUEY_SQLITE_PATH", str(WORK / "huey.db"))
os.environ.setdefault("CREDENTIAL_KEYS_DIR", str(WORK / "keys"))  # the worker's too

import sqlalchemy as sa  # noqa: E402
from _common import ROOT, demo_app, p95_ms, report  # noqa: E402

from ilp_training.core.extensions import db  # noqa: E402
from ilp_training.models import (  # noqa: E402
    Assessment,
    BulkJob,
    Cadre,
    CadreSkill,
    CadreStatus,
    Certificate,
    Posyandu,
    Puskesmas,
    Sex,
    User,
)

MADYA = [f"A{i}" for i in range(1, 5)] + [f"B{i}" for i in range(1, 8)] + \
    [f"C{i}" for i in range(1, 7)] + ["D1", "D2", "D3"]


def add_due_cadres(count: int) -> int:
    """``count`` Madya cadres in a new puskesmas of 20 posyandu; returns its id."""
    base = db.session.scalars(sa.select(Puskesmas).order_by(Puskesmas.id)).first()
    bench = Puskesmas(name="Bench", district_id=base.district_id,
                      subdistrict_id=base.subdistrict_id, villages=base.villages[:1])
    db.session.add(bench)
    db.session.flush()
    village = base.villages[0].id
    posyandu = [Posyandu(name=f"Bench {i:02d}", village_id=village, puskesmas_id=bench.id)
                for i in range(20)]
    db.session.add_all(posyandu)
    db.session.flush()
    some = {a.skill_code: a.id for a in db.session.scalars(sa.select(Assessment))}
    names = ("Wa Ode Sitti", "La Ode Ahmad", "Nurhayati", "Ṣafiyyah Çelik", "Wa Ani")
    rows = [{"full_name": f"{names[i % 5]} {i:04d}", "sex": Sex.FEMALE,
             "posyandu_id": posyandu[i % 20].id, "status": CadreStatus.ACTIVE,
             "level_code": "madya", "level_since": date(2026, 10, 1), "badge_count": 20}
            for i in range(count)]
    db.session.execute(sa.insert(Cadre), rows)
    ids = db.session.scalars(sa.select(Cadre.id).where(
        Cadre.posyandu_id.in_([p.id for p in posyandu]))).all()
    db.session.execute(sa.insert(CadreSkill), [
        {"cadre_id": cid, "skill_code": code, "assessment_id": some[code],
         "mastered_on": date(2026, 10, 1)} for cid in ids for code in MADYA])
    db.session.commit()
    return bench.id


def single_issue_ms(client, app, bench_puskesmas: int, runs: int = 15) -> float:
    """Median of warm single issues, to demo cadres outside Anggrek: never to the bulk
    job's cadres, which would then hold a certificate and leave the job short."""
    with app.app_context():
        anggrek = db.session.scalar(sa.select(Posyandu.id).where(Posyandu.name == "Anggrek"))
        bench = sa.select(Posyandu.id).where(Posyandu.puskesmas_id == bench_puskesmas)
        ids = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.level_code.is_not(None), Cadre.posyandu_id != anggrek,
            Cadre.posyandu_id.not_in(bench)).order_by(Cadre.id).limit(runs + 2)).all()
    assert len(ids) == runs + 2, f"the demo has {len(ids)} cadres to issue to"
    samples = []
    for cadre_id in ids:
        start = time.perf_counter()
        response = client.post(f"/cadres/{cadre_id}/certificate", data={"language": "id"})
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, response.status_code
    return statistics.median(samples[2:])  # the first two warm the caches


def sign_credential_ms(app, runs: int = 200) -> float:
    """Median time to build and sign one certificate's credential (the per-certificate
    work ``credentials.services.attach_credentials`` adds to an issue)."""
    from ilp_training.core.i18n import local_now
    from ilp_training.credentials import keys
    from ilp_training.credentials.issuers import issuer_profile, regency
    from ilp_training.credentials.services import build_credential, sign

    with app.app_context():
        cert = db.session.scalars(sa.select(Certificate).where(
            Certificate.status_index.is_not(None)).order_by(Certificate.id)).first()
        assert cert is not None, "no signed certificate: the demo district has no key"
        code = cert.credential_issuer
        issuer = issuer_profile(regency(code), context=False)
        url, now = keys.status_list_url(code), local_now()
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            sign(build_credential(cert, issuer, url, now.tzinfo), code, now)
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def puskesmas_cadres(app, puskesmas_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Cadre.id)).join(Posyandu).where(
            Posyandu.puskesmas_id == puskesmas_id))


def bulk_seconds(client, app, url: str, puskesmas_id: int, workers: int) -> float:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench",
           "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"], "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    expected = puskesmas_cadres(app, puskesmas_id)
    try:
        time.sleep(5)  # the consumer starts its processes, which warm up (jobs.warm_up)
        start = time.perf_counter()
        response = client.post("/certificates/bulk", data={
            "target": f"puskesmas:{puskesmas_id}", "language": "id"})
        job_id = int(response.location.rsplit("/", 1)[-1])
        while True:
            with app.app_context():
                job = db.session.get(BulkJob, job_id)
                if job.finished_at is not None:
                    elapsed = time.perf_counter() - start
                    print(f"# bulk job: {job.status.value}, {job.done} issued, "
                          f"{job.failed} failed, print file {len(job.result_pdf or b''):,} bytes"
                          f" {job.error or ''}",
                          file=sys.stderr)
                    assert job.done == expected, \
                        "the bulk job left cadres without a certificate"
                    return elapsed
            if time.perf_counter() - start > 600:
                raise TimeoutError("bulk job did not finish in 10 minutes")
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{WORK / 'bench.db'}"
    app = demo_app(url, PUBLIC_BASE_URL="https://ilp.example.go.id")
    with app.app_context():
        from ilp_training.credentials.cli import ensure_demo_key

        ensure_demo_key("74.14")
        puskesmas_id = add_due_cadres(args.count)
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        admin_id = admin.id
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "admin-demo"})
    report("single_issue_ms", single_issue_ms(client, app, puskesmas_id), "ms")
    report("bulk_1000_s", bulk_seconds(client, app, url, puskesmas_id, args.workers), "s")
    with app.app_context():
        cert = db.session.scalars(sa.select(Certificate).order_by(Certificate.id)).first()
        cert_id, code = cert.id, cert.verify_code
    report("download_p95_ms", p95_ms(lambda: client.get(f"/certificates/{cert_id}.pdf")), "ms")
    app.config["VERIFY_RATE_LIMIT"] = 10**9
    public = app.test_client()
    report("verify_p95_ms", p95_ms(lambda: public.get(f"/v/{code}")), "ms")
    report("sign_credential_ms", sign_credential_ms(app), "ms")
    with app.app_context():
        unsigned = db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
            Certificate.credential_jwt.is_(None)))
    print(f"# certificates without a credential: {unsigned}", file=sys.stderr)
    del admin_id


if __name__ == "__main__":
    main()
