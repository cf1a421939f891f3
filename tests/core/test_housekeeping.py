"""Tables kept for a while do not grow forever: expired rate events and sign-ins are
deleted every hour by the worker, or by ``flask prune`` (``services/housekeeping.py``).
On the empty database, with a user built by the factories (fixture ``people``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import RateEvent, UserSession, utcnow
from tests.helpers import sign_in


@pytest.fixture
def app(empty_app):
    """These tests build their records on the empty database."""
    return empty_app


def _age_everything(app, rate_seconds: int, session_days: int) -> None:
    """Make the stored rows older than they are."""
    with app.app_context():
        db.session.execute(sa.update(RateEvent).values(
            at=utcnow() - timedelta(seconds=rate_seconds)))
        db.session.execute(sa.update(UserSession).values(
            created_at=utcnow() - timedelta(days=session_days)))
        db.session.commit()


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(RateEvent)),
                db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)))


def test_public_lookups_stop_piling_up(client, app, people):
    for _ in range(3):
        client.get("/v/tidak-ada-kode")  # each one counted for the rate limit
    sign_in(client, people.trainer)
    rate_events, sessions = _counts(app)
    assert rate_events >= 3 and sessions == 1

    kept = app.test_cli_runner().invoke(args=["prune"])  # all recent: nothing goes
    assert kept.exit_code == 0, kept.output
    assert _counts(app) == (rate_events, sessions)

    _age_everything(app, rate_seconds=86400 + 60,
                    session_days=app.config["SESSION_MAX_AGE_DAYS"] + 1)
    client.get("/v/tidak-ada-kode")  # a new one stays
    result = app.test_cli_runner().invoke(args=["prune"])
    assert result.exit_code == 0, result.output
    assert f"rate_events {rate_events}" in result.output and "user_sessions 1" in result.output
    assert _counts(app) == (1, 0)


def test_events_inside_the_sign_in_window_are_kept(client, app, people):
    for _ in range(2):
        client.post("/login", data={"username": people.trainer, "password": "wrong-password"})
    window = app.config["LOGIN_WINDOW_SECONDS"]
    _age_everything(app, rate_seconds=window - 60, session_days=0)
    app.test_cli_runner().invoke(args=["prune"])
    assert _counts(app)[0] >= 2


def test_the_worker_prunes_every_hour(client, app):
    from huey.api import PeriodicTask

    from ilp_training.core.jobs import prune_expired
    from ilp_training.core.queue import queue

    task = queue(app)[prune_expired]
    assert issubclass(task.task_class, PeriodicTask)
    assert task.task_class.validate_datetime is not None
    client.get("/v/tidak-ada-kode")
    _age_everything(app, rate_seconds=2 * 86400, session_days=0)
    with app.app_context():
        task.call_local()
    assert _counts(app)[0] == 0
