"""The core's background job: the hourly housekeeping. A job module: each job commits
its own work and reads the app's config, passing plain values to the services."""

from __future__ import annotations

from flask import current_app
from huey import crontab

from ilp_training.core import housekeeping
from ilp_training.core.extensions import db
from ilp_training.core.queue import Queue


def prune_expired() -> None:
    """Every hour: delete expired rate events and sign-ins (``core/housekeeping.py``)."""
    removed = housekeeping.prune_expired(current_app.config)
    db.session.commit()
    current_app.logger.info("pruned %s", removed)


def register(queue: Queue) -> None:
    queue.periodic_task(prune_expired, crontab(minute="17"), retries=0)
