"""Writing to the append-only audit log, and reading an entry back as a sentence."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from enum import Enum
from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _
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
    "transfer": _l("results transferred from paper records"),
    "sync": _l("scores synced from a phone"),
    "load_places": _l("official places loaded"),
    "key_created": _l("signing key created"),
    "key_rotated": _l("signing key rotated"),
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


def action_label(action: str) -> str:
    """An audited action as the reader's language says it (the code if it has no label)."""
    return str(ACTION_LABELS.get(action, action))


def init_app(app: Flask) -> None:
    """Templates show an entry's action with ``entry.action|action_label``, a cadre's
    history as ``audit_sentence(entry)`` and a recorded field as ``field_label(name)``."""
    app.add_template_filter(action_label, "action_label")
    app.add_template_global(describe, "audit_sentence")
    app.add_template_global(field_label, "field_label")
# The name of every field an entry's changes may hold, as a reader knows it. A field not
# named here is left out of the sentence rather than shown raw (tests/core/test_audit_text.py
# checks that every field the services record is named).
FIELD_LABELS = {
    "full_name": _l("name"),
    "nik": _l("NIK"),
    "sex": _l("sex"),
    "birth_date": _l("birth date"),
    "phone": _l("phone"),
    "posyandu_id": _l("posyandu"),
    "start_date": _l("cadre since"),
    "status": _l("status"),
    "inactive_reason": _l("reason for being inactive"),
    "inactive_since": _l("inactive since"),
    "bpjs_tk_enrolled": _l("BPJS Ketenagakerjaan enrolment"),
    "bpjs_tk_number": _l("BPJS Ketenagakerjaan number"),
    "skill": _l("skill"),
    "competent": _l("outcome"),
    "supersedes": _l("assessment corrected"),
    "reason": _l("reason"),
    "level_history": _l("level history"),
    "assessment": _l("assessment"),
    "duplicate_of": _l("assessment kept"),
    "username": _l("login name"),
    "role": _l("role"),
    "display_name": _l("display name"),
    "active": _l("active"),
    "serial": _l("serial number"),
    "serials": _l("serial numbers"),
    "cadre_id": _l("cadre"),
    "cadres": _l("cadres"),
    "superseded": _l("certificates replaced"),
    "scope": _l("scope"),
    "certificates": _l("certificates"),
    "day": _l("day"),
    "present_cadres": _l("cadres present"),
    "completed": _l("completed"),
    "participants": _l("participants"),
    "budget_amount": _l("budget line"),
    "period": _l("period"),
    "version": _l("version"),
    "grand_total": _l("total"),
    "held_on": _l("date"),
    "month": _l("month"),
    "opening_days_added": _l("opening days added"),
    "home_visits": _l("home visits"),
    "emblem": _l("emblem"),
    "assessed_on": _l("assessment date"),
    "source": _l("source"),
    "added": _l("added"),
    "renamed": _l("renamed"),
    "moved": _l("moved to another parent region"),
    "province": _l("province"),
    "names": _l("names"),
    "kid": _l("key id"),
}


def field_label(name: str) -> str:
    """The translated name of a recorded field; the raw name only for one not yet named
    in :data:`FIELD_LABELS` (the admin's full log)."""
    return str(FIELD_LABELS.get(name, name))


def _new(entry: AuditEntry, name: str) -> Any:
    pair = (entry.changes or {}).get(name) or [None, None]
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else None


def _skill_text(code: Any) -> str:
    """``A1 Memahami …``: the skill's code and name in the reader's language."""
    from ilp_training.core.curricula import framework_on
    from ilp_training.core.i18n import local_today

    try:
        name = framework_on(local_today()).skill(str(code)).name.get(str(get_locale()))
    except (KeyError, ValueError):
        return str(code or "")
    return f"{code} {name}"


def _outcome(value: Any) -> str:
    return _("competent") if value else _("not yet competent")


def describe(entry: AuditEntry) -> str:
    """The entry as one translated sentence (the cadre profile's history): what was done,
    and for a change the fields changed, by their translated names; never a raw field."""
    action, changes = entry.action, entry.changes or {}
    if action in ("assess", "correct"):
        values = {"skill": _skill_text(_new(entry, "skill")),
                  "outcome": _outcome(_new(entry, "competent"))}
        if action == "assess":
            return _("assessed %(skill)s: %(outcome)s", **values)
        return _("corrected the assessment of %(skill)s: now %(outcome)s (reason: %(reason)s)",
                 reason=_new(entry, "reason") or "—", **values)
    if action == "deactivate" and _new(entry, "inactive_reason"):
        return _("deactivated (reason: %(reason)s)", reason=_new(entry, "inactive_reason"))
    label = str(ACTION_LABELS.get(action, action))
    if action in ("update", "create") and entry.entity == "cadre":
        fields = [field_label(k) for k in changes if k in FIELD_LABELS]
        if action == "create":
            return _("registered")
        if fields:
            return _("%(action)s: %(fields)s", action=label, fields=", ".join(fields))
    return label


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
