"""Rate limiting by key (a login name and client, a client address), stored in the
database so that it holds across worker processes.

**Counting under concurrency.** A limit that is checked, then counted, lets requests
released together all pass the check. So a limited action is recorded first and counted
with itself included (:func:`attempt`), inside a transaction that serializes per key:
on PostgreSQL a transaction-scoped advisory lock per key (:func:`lock`); on SQLite the
insert itself takes the database's one write lock, so the count after it sees every
attempt committed before. Only then is the action (a password check) allowed or refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
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


def hit(key: str) -> RateEvent:
    """Count one event for ``key`` (flushed, so it has its id)."""
    event = RateEvent(key=key, at=utcnow())
    db.session.add(event)
    db.session.flush()
    return event


def lock(keys: Iterable[str]) -> None:
    """Serialize the transactions that count ``keys`` until the transaction ends.

    PostgreSQL: an advisory transaction lock per key, taken in sorted order so that two
    transactions never wait for each other in a circle. SQLite needs none (its write lock
    is taken by the first insert, :func:`attempt`).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                           {"k": key})


def wait_seconds(key: str, limit: int, window_seconds: int) -> int:
    """0 while ``key`` has at most ``limit`` events in the window (the one just recorded
    included); otherwise the whole seconds until enough have left the window that one
    more event would be within the limit (the value of ``Retry-After``)."""
    now = utcnow()
    recent = sa.select(RateEvent.at).where(
        RateEvent.key == key, RateEvent.at >= now - timedelta(seconds=window_seconds))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(recent.subquery())) or 0
    if count <= limit:
        return 0
    # The next event is within the limit once count - limit + 1 of these have left.
    leaves = db.session.scalar(recent.order_by(RateEvent.at).offset(count - limit).limit(1))
    assert leaves is not None
    seconds = (leaves + timedelta(seconds=window_seconds) - now).total_seconds()
    return max(1, math.ceil(seconds))


def attempt(limits: dict[str, int], window_seconds: int) -> tuple[int, dict[str, int]]:
    """Record one attempt under each key of ``limits`` (key → most attempts allowed in
    the window), atomically per key (module rule), and return how many seconds to wait
    (0: allowed; the refused attempt stays counted, so a client that keeps trying stays
    refused) with the ids of the events recorded, by key."""
    lock(limits)
    events = {key: hit(key).id for key in limits}
    wait = max(wait_seconds(key, limit, window_seconds) for key, limit in limits.items())
    return wait, events


def forget(event_ids: Iterable[int]) -> None:
    """Take back events counted by :func:`attempt` (an attempt that turned out fine)."""
    ids = list(event_ids)
    if ids:
        db.session.execute(sa.delete(RateEvent).where(RateEvent.id.in_(ids)))


def clear(key: str) -> None:
    """Forget the events of ``key`` (after a successful login)."""
    db.session.execute(sa.delete(RateEvent).where(RateEvent.key == key))


def prune(older_than_seconds: int) -> int:
    """Delete events older than the given age; returns how many were deleted."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    result = db.session.execute(sa.delete(RateEvent).where(RateEvent.at < cutoff))
    return result.rowcount or 0
