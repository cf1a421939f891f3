"""Certificates against a live site and a real worker: one certificate per claim however
often it is asked at once, one open bulk job per target, and a bulk job that survives
the death of its worker (``tests/live.py``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import make_app

from ilp_training.core.extensions import db
from ilp_training.models import (
    AuditEntry,
    BulkJob,
    BulkJobPart,
    Cadre,
    Certificate,
    CertificateStatus,
    JobStatus,
    Posyandu,
    SerialCounter,
    User,
)
from tests.live import live_site, race

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://ilp.example.go.id"


def _due_cadre(live) -> int:
    from ilp_training.certificates.services.issuing import due_clause

    with live.context():
        puskesmas_id = db.session.scalar(sa.select(User.puskesmas_id).where(
            User.username == "koordinator"))
        return db.session.scalar(
            sa.select(Cadre.id).join(Posyandu, Posyandu.id == Cadre.posyandu_id)
            .where(Posyandu.puskesmas_id == puskesmas_id, due_clause()).order_by(Cadre.id))


def test_five_issues_of_one_certificate_at_once_make_one(live):
    cadre_id = _due_cadre(live)
    browsers = [live.client("koordinator") for _ in range(5)]
    responses = race(5, lambda i: browsers[i].post(f"/cadres/{cadre_id}/certificate",
                                                   data={"language": "id"}))
    codes = [r.status_code for r in responses]
    assert codes == [302] * 5, [r.text[:300] for r in responses if r.status_code != 302]
    with live.context():
        certs = db.session.scalars(sa.select(Certificate).where(
            Certificate.cadre_id == cadre_id)).all()
        assert [c.status for c in certs] == [CertificateStatus.VALID]
        cert_id = certs[0].id
    assert {r.headers["Location"].rsplit("/", 1)[-1] for r in responses} == {str(cert_id)}
    pages = [browsers[i].get(f"/certificates/{cert_id}").text for i in range(5)]
    assert sum("sudah diterbitkan" in page for page in pages) == 4  # "already issued"


@contextmanager
def _queued_site(live_template: str, queue: dict[str, str], **config: object):
    """A live site whose tasks are queued where a worker process reads them (the
    settings ``queue``), not run inline."""
    with live_site(live_template, make_app, HUEY_IMMEDIATE=False, **queue,
                   **config) as site:
        yield site


def _coordinators_puskesmas(live) -> int:
    with live.context():
        return db.session.scalar(sa.select(User.puskesmas_id).where(
            User.username == "koordinator"))


def test_two_bulk_jobs_for_one_puskesmas_at_once_make_one(live_template, tmp_path):
    with _queued_site(live_template, {"HUEY_SQLITE_PATH": str(tmp_path / "huey.db")},
                      PUBLIC_BASE_URL=BASE) as live:
        _two_bulk_jobs_at_once_make_one(live)


def _two_bulk_jobs_at_once_make_one(live) -> None:
    puskesmas_id = _coordinators_puskesmas(live)
    browsers = [live.client("koordinator") for _ in range(2)]
    responses = race(2, lambda i: browsers[i].post("/certificates/bulk", data={
        "target": f"puskesmas:{puskesmas_id}", "language": "id"}))
    assert [r.status_code for r in responses] == [302, 302]
    with live.context():
        jobs = db.session.scalars(sa.select(BulkJob.id)).all()
    assert len(jobs) == 1
    assert {r.headers["Location"] for r in responses} == {f"/certificates/jobs/{jobs[0]}"}


# --- a worker that dies --------------------------------------------------------------

def _redis_url() -> str | None:
    try:
        import redis
    except ImportError:
        return None
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


@pytest.fixture(params=["sqlite", "redis"])
def queue_env(request, tmp_path):
    """The worker's queue: the SQLite file in a tmp dir, or Redis when one answers
    (``TEST_REDIS_URL``, default database 13 on 127.0.0.1; emptied before and after)."""
    if request.param == "sqlite":
        yield {"HUEY_SQLITE_PATH": str(tmp_path / "huey.db")}
        return
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis server answers on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(url).flushdb()
    yield {"HUEY_REDIS_URL": url}
    redis.Redis.from_url(url).flushdb()


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "2"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: the kill takes its children


def _wait(live, what, seconds: float, worker: subprocess.Popen, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with live.context():
            value = what()
            db.session.remove()
        if value:
            return value
        assert worker.poll() is None, log.read_text()[-3000:]
        time.sleep(0.1)
    raise AssertionError(f"timed out; worker log:\n{log.read_text()[-3000:]}")


def _serial_numbers(prefix: str) -> tuple[int, set[int], set[int]]:
    """The counter's last number, the numbers on certificates, the numbers voided in
    the audit log."""
    district, year = prefix.split("-")
    last = db.session.scalar(sa.select(SerialCounter.last).where(
        SerialCounter.district_code == district, SerialCounter.year == int(year)))
    used = {int(s.rsplit("-", 1)[1]) for s in db.session.scalars(
        sa.select(Certificate.serial).where(Certificate.serial.startswith(prefix + "-")))}
    voided = set()
    for changes in db.session.scalars(sa.select(AuditEntry.changes).where(
            AuditEntry.action == "void_serials")):
        voided |= {int(s.rsplit("-", 1)[1]) for s in changes["serials"][1]
                   if s.startswith(prefix + "-")}
    return last, used, voided


def test_a_bulk_job_survives_the_death_of_its_worker(live_template, queue_env, tmp_path):
    with _queued_site(live_template, queue_env, PUBLIC_BASE_URL=BASE,
                      BULK_PART_SIZE=5) as live:
        _survives_the_death_of_its_worker(live, queue_env, tmp_path)


def _survives_the_death_of_its_worker(live, queue_env: dict[str, str], tmp_path) -> None:
    env = {**os.environ, **queue_env, "DATABASE_URL": live.url, "PUBLIC_BASE_URL": BASE,
           "BULK_PART_SIZE": "5", "BULK_TEST_DELAY_MS": "300", "SECRET_KEY": "test"}
    puskesmas_id = _coordinators_puskesmas(live)
    response = live.client("koordinator").post("/certificates/bulk", data={
        "target": f"puskesmas:{puskesmas_id}", "language": "id"})
    assert response.status_code == 302, response.text[:500]
    job_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    with live.context():
        job = db.session.get(BulkJob, job_id)
        total = job.total
        cadre_ids = [c for ids in db.session.scalars(sa.select(BulkJobPart.cadre_ids).where(
            BulkJobPart.job_id == job_id)) for c in ids]
    assert total == len(cadre_ids) > 10

    def issued() -> int:
        return db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
            Certificate.bulk_job_id == job_id))

    log = tmp_path / "worker.log"
    first = _start_worker(env, log)
    try:
        _wait(live, lambda: issued() >= 5, 120, first, log)  # a part is committed
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    with live.context():
        assert issued() < total, "the job finished before the kill: make it slower"
        assert db.session.get(BulkJob, job_id).finished_at is None
    second = _start_worker(env, log)
    try:
        _wait(live, lambda: db.session.get(BulkJob, job_id).finished_at, 180, second, log)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(30)
    with live.context():
        job = db.session.get(BulkJob, job_id)
        assert (job.status, job.done, job.failed) == (JobStatus.DONE, total, 0)
        per_cadre = dict(db.session.execute(
            sa.select(Certificate.cadre_id, sa.func.count(Certificate.id))
            .where(Certificate.cadre_id.in_(cadre_ids)).group_by(Certificate.cadre_id)).all())
        assert per_cadre == {c: 1 for c in cadre_ids}  # each issued exactly once
        prefix = db.session.scalar(sa.select(Certificate.serial).where(
            Certificate.bulk_job_id == job_id)).rsplit("-", 1)[0]
        last, used, voided = _serial_numbers(prefix)
        assert used | voided == set(range(1, last + 1)), (last, sorted(used), sorted(voided))
