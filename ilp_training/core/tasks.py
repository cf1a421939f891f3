"""Background work (bulk certificates, hourly housekeeping) with huey.

The embedded default needs no extra server: the queue is a SQLite file under
``instance/`` (``HUEY_SQLITE_PATH`` to move it). With ``HUEY_REDIS_URL`` set, Redis holds
the queue instead. ``flask worker`` runs the consumer; ``make run`` starts it beside the
web server. Tests run tasks immediately in the request (``huey.immediate``).

A worker that dies (killed, out of memory, the machine restarted) loses the task it was
running: :func:`recover_jobs` queues again the parts that no live worker holds and no
queued task will run. ``flask worker`` calls it before it starts consuming, and every
worker's scheduler every minute.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey, crontab

from ilp_training.core.config import PROJECT_ROOT


def make_huey() -> Huey:
    """The queue named by the environment: Redis when configured, else a SQLite file."""
    redis_url = os.environ.get("HUEY_REDIS_URL")
    if redis_url:
        return RedisHuey("ilp-training", url=redis_url)
    path = os.environ.get("HUEY_SQLITE_PATH") or str(PROJECT_ROOT / "instance" / "huey.db")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return SqliteHuey("ilp-training", filename=path)


huey = make_huey()
_worker_app: Flask | None = None


@contextmanager
def app_context() -> Iterator[Flask]:
    """The caller's app when there is one (immediate mode), else the worker's own."""
    global _worker_app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _worker_app is None:
        from ilp_training import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield _worker_app


@huey.on_startup()
def warm_up() -> None:
    """In each worker process, before its first task: create the app and lay out one
    certificate page, so that loading fonts and templates is not paid by a user's job."""
    from ilp_training.certificates.services.documents import warm_up as warm_up_renderer

    with app_context():
        warm_up_renderer()


@huey.task(retries=0)
def issue_bulk_part(job_id: int, index: int) -> None:
    """Issue one part of a bulk certificate job (idempotent: a part done is skipped)."""
    from ilp_training.certificates.services.bulk import fail_job, run_part

    with app_context() as app:
        try:
            run_part(job_id, index)
        except Exception as exc:
            app.logger.exception("bulk job %s part %s failed", job_id, index)
            fail_job(job_id, f"{type(exc).__name__}: {exc}")
            raise


def queue_bulk_job(job_id: int, parts: int) -> None:
    """Queue every part of a committed job."""
    for index in range(parts):
        issue_bulk_part(job_id, index)


def recover_jobs() -> tuple[list[tuple[int, int]], list[int]]:
    """Queue again the parts of open jobs that a dead worker left (see
    :func:`~.services.bulk_certificates.parts_to_requeue`) and join the print file of
    jobs whose last part finished without it; returns both (call in an app context)."""
    from ilp_training.certificates.services.bulk import finish_job, parts_to_requeue

    pending = {(task.args[0], task.args[1]) for task in huey.pending()
               if isinstance(task, issue_bulk_part.task_class)}
    parts, unjoined = parts_to_requeue(pending)
    for job_id, index in parts:
        issue_bulk_part(job_id, index)
    for job_id in unjoined:
        finish_job(job_id)
    return parts, unjoined


@huey.periodic_task(crontab(), retries=0)
def recover_bulk_jobs() -> None:
    """Every minute: take up the bulk jobs of workers that died."""
    with app_context() as app:
        parts, _unjoined = recover_jobs()
        if parts:
            app.logger.warning("bulk parts queued again after a worker stopped: %s", parts)


@huey.periodic_task(crontab(minute="17"), retries=0)
def prune_expired() -> None:
    """Every hour: delete expired rate events and sign-ins (``services/housekeeping``)."""
    from ilp_training.core.extensions import db
    from ilp_training.core.housekeeping import prune_expired as prune

    with app_context() as app:
        removed = prune(app.config)
        db.session.commit()
        app.logger.info("pruned %s", removed)
