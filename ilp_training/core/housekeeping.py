"""Deleting rows that no rule reads any more, so that tables kept for a while do not grow
forever: rate-limit events past every throttling window, sign-ins past their maximum age.

The worker runs :func:`prune_expired` every hour (``core/jobs.prune_expired``); ``flask prune``
runs it by hand or from cron where no worker runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ilp_training.auth import sessions
from ilp_training.core import throttle

# Rate events are kept a day at least: longer than any throttling window in use (sign-in
# LOGIN_WINDOW_SECONDS, public verification a minute), so pruning never lifts a limit.
RATE_EVENT_MIN_AGE_SECONDS = 86400


def rate_event_retention(config: Mapping[str, Any]) -> int:
    """Seconds a rate event is kept: a day, or the sign-in window if that is longer."""
    return max(RATE_EVENT_MIN_AGE_SECONDS, int(config["LOGIN_WINDOW_SECONDS"]))


def prune_expired(config: Mapping[str, Any]) -> dict[str, int]:
    """Delete the expired rate events and sign-ins (the caller commits); returns how many
    rows of each table went."""
    return {
        "rate_events": throttle.prune(rate_event_retention(config)),
        "user_sessions": sessions.prune_sessions(
            timedelta(days=int(config["SESSION_MAX_AGE_DAYS"]))),
    }
