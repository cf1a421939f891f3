"""Deleting rows that no rule reads any more, so that tables kept for a while do not grow
forever: rate-limit events past every throttling window, sign-ins past their maximum age, the
heartbeats of workers gone for a week.

The worker runs :func:`prune_expired` every hour (``core/jobs.prune_expired``); ``flask prune``
runs it by hand or from cron where no worker runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ilp_training.core import heartbeat, throttle

Pruner = Callable[[Mapping[str, Any]], int]  # deletes a table's expired rows, says how many

# Rate events are kept a day at least: longer than any throttling window in use (sign-in
# LOGIN_WINDOW_SECONDS, public verification a minute), so pruning never lifts a limit.
RATE_EVENT_MIN_AGE_SECONDS = 86400


def rate_event_retention(config: Mapping[str, Any]) -> int:
    """Seconds a rate event is kept: a day, or the sign-in window if that is longer."""
    return max(RATE_EVENT_MIN_AGE_SECONDS, int(config["LOGIN_WINDOW_SECONDS"]))


def _prune_rate_events(config: Mapping[str, Any]) -> int:
    return throttle.prune(rate_event_retention(config))


# The core's own table; an area adds its tables with add_pruner (auth: the sign-ins), so
# that the core imports no area.
_PRUNERS: dict[str, Pruner] = {"rate_events": _prune_rate_events,
                                "worker_heartbeats": heartbeat.prune_heartbeats}


def add_pruner(table: str, pruner: Pruner) -> None:
    """Have :func:`prune_expired` delete the expired rows of ``table`` with ``pruner``
    (called while the app is built; the same table again replaces its pruner)."""
    _PRUNERS[table] = pruner


def prune_expired(config: Mapping[str, Any]) -> dict[str, int]:
    """Delete the expired rows of every table registered (rate events; the sign-ins
    auth adds) (the caller commits); returns how many rows of each table went."""
    return {table: pruner(config) for table, pruner in _PRUNERS.items()}
