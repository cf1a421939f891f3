"""Shared helpers for the benchmarks: a migrated database with the demo data, timing."""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from ilp_training import create_app  # noqa: E402
from ilp_training.core.extensions import db  # noqa: E402
from ilp_training.demo.seed import load_demo  # noqa: E402


def empty_database(url: str) -> None:
    """Start a PostgreSQL database from nothing (its public schema dropped and made
    again); a SQLite file is left as it is (the benchmarks use fresh ones)."""
    if url.startswith("sqlite"):
        return
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def quiet_access_log() -> None:
    """Keep the app's one access line per request out of a benchmark's output: that is
    the servers' log, not the benchmark's figures."""
    logging.getLogger("ilp_training.access").setLevel(logging.WARNING)


def demo_app(url: str | None, **overrides: object) -> Flask:
    """An app on ``url`` (a fresh SQLite file by default), migrated, with the demo data.

    A PostgreSQL URL is emptied first (its public schema is dropped).
    """
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='ilp-bench-')}/bench.db"
    empty_database(url)
    quiet_access_log()
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **overrides,
    })
    with app.app_context():
        upgrade()
        load_demo(date.today(), "pbkdf2:sha256:1000")
        db.session.commit()
    return app


def signed_in(app: Flask, username: str, password: str) -> FlaskClient:
    """A test client signed in through the login form."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"sign-in as {username} failed"
    return client


def p95_ms(action: Callable[[], object], runs: int = 200, warmup: int = 10) -> float:
    """The 95th percentile wall time of ``action`` in milliseconds."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.quantiles(samples, n=20)[18]


def report(name: str, value: float, unit: str) -> None:
    """Print one figure as ``name: value unit``."""
    print(f"{name}: {value:.1f} {unit}", flush=True)
