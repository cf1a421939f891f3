"""Writing to the append-only audit log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from enum import Enum
from typing import Any

from flask_babel import lazy_gettext as _l

from ilp_training.core.extensions import db
from ilp_training.models import AuditEntry, User

ACTION_LABELS = {
    "create": _l("created"),
    "update": _l("changed"),
    "move": _l("moved to another posyandu"),
    "deactivate": _l("deactivated"),
    "reactivate": _l("reactivated"),
    "activate": _l("activated"),
    "reset_password": _l("password reset"),
    "change_password": _l("password changed"),
    "add_participants": _l("participants added"),
    "remove_participant": _l("participant removed"),
    "attendance": _l("attendance recorded"),
    "scores": _l("test scores recorded"),
    "finish": _l("finished"),
    "cancel": _l("cancelled"),
    "delete": _l("removed"),
    "assess": _l("assessed"),
    "correct": _l("assessment corrected"),
    "level_history": _l("level history recomputed"),
    "mark_duplicate": _l("assessment marked as recorded twice in one sitting"),
    "issue": _l("certificate issued"),
    "bulk_issue": _l("certificates issued in bulk"),
    "void_serials": _l("serial numbers left unused"),
    "revoke": _l("certificate revoked"),
    "set_budget": _l("budget line set"),
    "exclude": _l("excluded from incentives"),
    "include": _l("included in incentives again"),
    "approve": _l("approved"),
    "reopen": _l("re-opened"),
    "import": _l("activity imported"),
    "sync": _l("scores synced from a phone"),
}

# How the changes of the current block came in, when not through a page (e.g. "sync"):
# every entry recorded inside :func:`via` says so in ``changes["via"]``.
_VIA: ContextVar[str | None] = ContextVar("audit_via", default=None)


@contextmanager
def via(channel: str) -> Iterator[None]:
    """Mark the audit entries recorded inside the block as having come by ``channel``."""
    token = _VIA.set(channel)
    try:
        yield
    finally:
        _VIA.reset(token)


def _plain(value: Any) -> Any:
    """A JSON-safe form of a column value (dates as ISO text, enums as their value)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The JSON-safe values of ``fields`` on ``obj``, for diffing before and after."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record(
    actor: User | None, action: str, entity: str, entity_id: int | None,
    changes: dict[str, list[Any]] | None = None,
) -> AuditEntry:
    """Append one audit entry; ``changes`` maps a field to ``[old, new]`` (inside
    :func:`via`, also ``"via": [None, channel]``)."""
    channel = _VIA.get()
    if channel is not None:
        changes = {**(changes or {}), "via": [None, channel]}
    entry = AuditEntry(
        user_id=actor.id if actor is not None else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=changes or {},
    )
    db.session.add(entry)
    return entry
