"""Rate limiting by key (a login name, a client address), stored in the database so
that it holds across worker processes."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import RateEvent, utcnow


def count_recent(key: str, window_seconds: int) -> int:
    """How many events ``key`` has within the last ``window_seconds``."""
    since = utcnow() - timedelta(seconds=window_seconds)
    stmt = sa.select(sa.func.count()).where(RateEvent.key == key, RateEvent.at >= since)
    return db.session.scalar(stmt) or 0


def is_limited(key: str, limit: int, window_seconds: int) -> bool:
    """True when ``key`` has reached ``limit`` events within the window."""
    return count_recent(key, window_seconds) >= limit


def hit(key: str) -> None:
    """Count one event for ``key``."""
    db.session.add(RateEvent(key=key))


def clear(key: str) -> None:
    """Forget the events of ``key`` (after a successful login)."""
    db.session.execute(sa.delete(RateEvent).where(RateEvent.key == key))


def prune(older_than_seconds: int) -> int:
    """Delete events older than the given age; returns how many were deleted."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    result = db.session.execute(sa.delete(RateEvent).where(RateEvent.at < cutoff))
    return result.rowcount or 0
