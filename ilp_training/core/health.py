"""``GET /healthz``: may a load balancer send this app server requests?

Cheap and anonymous: no sign-in, no session (no cookie is set), no rate limit (it is not
counted anywhere), no CSRF (it changes nothing), no personal data. It answers 200 with
``{"status": "ok", "database": "ok", "queue": "ok", "worker": …}`` when the database
answers ``SELECT 1`` and the queue is reachable (``core/queue.Queue.reachable``), else
503 with ``"status": "error"`` and ``"error"`` for the part that failed (the reason only
in the log, under the request id: an error text can hold a host name or a user).
``worker`` is information, never a failure: ``ok``, ``stale`` or ``none``
(``core/heartbeat.overall``); a proxy must not take every app server out because the
worker stopped.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from ilp_training.core import heartbeat
from ilp_training.core.extensions import csrf, db
from ilp_training.core.queue import queue
from ilp_training.core.request_log import request_id
from ilp_training.models import utcnow


def healthz() -> ResponseReturnValue:
    body = {"status": "ok", "database": "ok", "queue": "ok", "worker": "none"}
    try:
        db.session.execute(sa.text("SELECT 1"))
        body["worker"] = heartbeat.overall(utcnow(), heartbeat.stale_after(current_app.config))
    except Exception:
        current_app.logger.exception("health: database (request %s)", request_id())
        db.session.rollback()
        body["database"] = "error"
        body.pop("worker")  # unknown
    try:
        if not queue().reachable():
            raise RuntimeError("the queue's folder is not writable")
    except Exception:
        current_app.logger.exception("health: queue (request %s)", request_id())
        body["queue"] = "error"
    failed = "error" in (body["database"], body["queue"])
    if failed:
        body["status"] = "error"
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.cache_control.no_store = True
    return response


def init_app(app: Flask) -> None:
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    csrf.exempt(healthz)
