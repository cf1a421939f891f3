"""Rate limiting by key (a login name and client, a client address), stored in the
database so that it holds across worker processes.

**Counting under concurrency.** A limit that is checked, then counted, lets requests
released together all pass the check. So a limited action is recorded first and counted
with itself included (:func:`attempt`, then :func:`retry_after`), inside a transaction
that serializes per key: on PostgreSQL a transaction-scoped advisory lock per key
(:func:`lock`); on SQLite the insert itself takes the database's one write lock, so the
count after it sees every attempt committed before. Only then is the action (a password
check) allowed or refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ilp_training.core.database import changed_rows
from ilp_training.core.extensions import db
from ilp_training.models import RateEvent, utcnow


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


def record(key: str, at: datetime | None = None) -> int:
    """Count one event for ``key`` (a plain INSERT, no ORM flush); returns its id."""
    return db.session.execute(sa.insert(RateEvent).returning(RateEvent.id),
                              {"key": key, "at": at or utcnow()}).scalar_one()


@dataclass(frozen=True)
class Counted:
    """An attempt recorded by :func:`attempt`: the id of its event under each key, and
    each key's events in the window (this attempt's included)."""

    events: dict[str, int]
    counts: dict[str, int]


def attempt(keys: Iterable[str], window_seconds: int,
            also_count: Iterable[str] = ()) -> Counted:
    """Record one attempt under each of ``keys`` and count them, atomically per key
    (module rule); ``also_count`` are keys only read (not locked). Few, plain statements:
    on SQLite the write lock is held meanwhile."""
    keys = list(dict.fromkeys(keys))
    lock(keys)
    now = utcnow()
    events = {key: record(key, now) for key in keys}
    watched = [*keys, *also_count]
    found = {key: count for key, count in db.session.execute(
        sa.select(RateEvent.key, sa.func.count())
        .where(RateEvent.key.in_(watched),
               RateEvent.at >= now - timedelta(seconds=window_seconds))
        .group_by(RateEvent.key))}
    return Counted(events, {key: found.get(key, 0) for key in watched})


def retry_after(counted: Counted, limits: dict[str, int], window_seconds: int) -> int:
    """0 when every key of ``limits`` (key → most events in the window) is within its
    limit; otherwise the whole seconds until enough events have left the window that one
    more attempt would be within every limit (the value of ``Retry-After``)."""
    now = utcnow()
    wait = 0
    for key, limit in limits.items():
        count = counted.counts[key]
        if count <= limit:
            continue
        # The next attempt is within the limit once count - limit + 1 events have left.
        leaves = db.session.scalar(
            sa.select(RateEvent.at)
            .where(RateEvent.key == key,
                   RateEvent.at >= now - timedelta(seconds=window_seconds))
            .order_by(RateEvent.at).offset(count - limit).limit(1))
        seconds = ((leaves or now) + timedelta(seconds=window_seconds) - now).total_seconds()
        wait = max(wait, 1, math.ceil(seconds))
    return wait


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
    return changed_rows(sa.delete(RateEvent).where(RateEvent.at < cutoff))
