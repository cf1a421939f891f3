"""The scoring endpoints of the JSON API (``/api/v1``): the offline bundle of a posyandu
and the sync of a sitting scored offline (rules in :mod:`services_offline`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ilp_training.api import (
    BAD_CSRF,
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHORIZED,
    api_blueprint,
    refuse,
    signed_in,
)
from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.input_policy import refused_character
from ilp_training.core.service import ServiceError
from ilp_training.models import Method, Posyandu, Setting
from ilp_training.scope import get_scoped_or_404
from ilp_training.scoring import services_offline as offline
from ilp_training.scoring.permissions import may_score

bp = api_blueprint("api_scoring", __name__,
                   "Scoring without signal: the offline bundle and the sync.")

# How far ahead a trainer may prepare a posyandu day (a trip is planned days ahead).
PREPARE_DAYS_AHEAD = 31
MAX_ENTRIES = 2000  # a posyandu day is 14 cadres × 25 skills = 350


class TextSchema(ma.Schema):
    id = ma.fields.String(required=True, metadata={"description": "Indonesian"})
    en = ma.fields.String(required=True, metadata={"description": "English"})


class IndicatorSchema(ma.Schema):
    code = ma.fields.String(required=True)
    text = ma.fields.Nested(TextSchema, required=True)
    points = ma.fields.Integer(required=True)
    critical = ma.fields.Boolean(required=True)


class PassRuleSchema(ma.Schema):
    min_percent = ma.fields.Integer(required=True)
    all_critical = ma.fields.Boolean(required=True)


class SkillSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.Nested(TextSchema, required=True)
    pass_rule = ma.fields.Nested(PassRuleSchema, required=True)
    indicators = ma.fields.List(ma.fields.Nested(IndicatorSchema), required=True)


class PackageSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.Nested(TextSchema, required=True)
    skills = ma.fields.List(ma.fields.Nested(SkillSchema), required=True)


class ScaleOptionSchema(ma.Schema):
    value = ma.fields.Integer(required=True)
    label = ma.fields.Nested(TextSchema, required=True)


class LevelSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.Nested(TextSchema, required=True)


class FrameworkSchema(ma.Schema):
    id = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    effective_date = ma.fields.Date(required=True)
    title = ma.fields.Nested(TextSchema, required=True)
    scale = ma.fields.List(ma.fields.Nested(ScaleOptionSchema), required=True)
    packages = ma.fields.List(ma.fields.Nested(PackageSchema), required=True)
    levels = ma.fields.List(ma.fields.Nested(LevelSchema), required=True)


class BundleCadreSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    serving_since = ma.fields.Date(allow_none=True, metadata={
        "description": "tells namesakes apart (no NIK, phone or birth date is sent)"})
    level = ma.fields.String(allow_none=True)
    mastered = ma.fields.List(ma.fields.String(), required=True)


class BundlePosyanduSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    village = ma.fields.String(required=True)


class BundleSchema(ma.Schema):
    posyandu = ma.fields.Nested(BundlePosyanduSchema, required=True)
    date = ma.fields.Date(required=True)
    cadres = ma.fields.List(ma.fields.Nested(BundleCadreSchema), required=True)
    framework = ma.fields.Nested(FrameworkSchema, required=True)


class BundleQuery(ma.Schema):
    date = ma.fields.Date(metadata={"description": "the day of the sitting (default: today)"})


def _no_control(text: str | None) -> None:
    if text and refused_character(text) is not None:
        raise ma.ValidationError(_("Control characters and text-direction marks are not "
                                   "allowed."))


class SittingIn(ma.Schema):
    id = ma.fields.UUID(required=True, metadata={"description": "made on the phone"})
    posyandu_id = ma.fields.Integer(required=True, strict=True,
                                    validate=ma.validate.Range(1, 2**31 - 1))
    assessed_on = ma.fields.Date(required=True)
    setting = ma.fields.Enum(Setting, by_value=True, required=True)
    method = ma.fields.Enum(Method, by_value=True, required=True)
    framework_id = ma.fields.String(required=True, validate=ma.validate.Length(1, 40))
    framework_version = ma.fields.String(required=True, validate=ma.validate.Length(1, 20))
    cadre_ids = ma.fields.List(ma.fields.Integer(strict=True,
                                                 validate=ma.validate.Range(1, 2**31 - 1)),
                               load_default=list, validate=ma.validate.Length(max=500))


class EntryIn(ma.Schema):
    id = ma.fields.UUID(required=True, metadata={"description": "made on the phone"})
    cadre_id = ma.fields.Integer(required=True, strict=True,
                                 validate=ma.validate.Range(1, 2**31 - 1))
    skill_code = ma.fields.String(required=True, validate=ma.validate.Length(1, 10))
    scores = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(1, 20)),
                            values=ma.fields.Integer(strict=True,
                                                     validate=ma.validate.Range(0, 100)),
                            required=True, validate=ma.validate.Length(1, 100))
    note = ma.fields.String(allow_none=True, load_default=None,
                            validate=[ma.validate.Length(max=500), _no_control])


class SyncIn(ma.Schema):
    sitting = ma.fields.Nested(SittingIn, required=True)
    entries = ma.fields.List(ma.fields.Nested(EntryIn), required=True,
                             validate=ma.validate.Length(1, MAX_ENTRIES))

    @ma.validates_schema
    def _unique_entries(self, data: dict[str, Any], **kwargs: Any) -> None:
        ids = [e["id"] for e in data.get("entries", [])]
        pairs = [(e["cadre_id"], e["skill_code"]) for e in data.get("entries", [])]
        if len(set(ids)) != len(ids) or len(set(pairs)) != len(pairs):
            raise ma.ValidationError(_("Each entry, and each skill of a cadre, is sent once."),
                                     "entries")


class EntryOut(ma.Schema):
    id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(
        [offline.STORED, offline.ALREADY, offline.REFUSED]))
    reason = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(
        list(offline.REASONS)), metadata={"description": "why it was refused (a code)"})
    message = ma.fields.String(allow_none=True, metadata={
        "description": "why it was refused, in the user's language"})
    assessment_id = ma.fields.Integer(allow_none=True)
    competent = ma.fields.Boolean(allow_none=True, metadata={
        "description": "the server's grade, which is the record"})


class SyncOut(ma.Schema):
    sitting_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "the sitting on the server (none when every entry was refused)"})
    entries = ma.fields.List(ma.fields.Nested(EntryOut), required=True)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a sync builds its rows.

    A posyandu day is some 3,000 new ORM objects (assessments, indicator scores, audit
    entries) held by the session until the commit; each allocation burst set off
    collections that walk the whole heap, which was half the CPU time of a 350-entry
    sync (bench/sync.py: 433 → 228 ms). Reference counting still frees everything;
    the collector runs again as soon as the block ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@bp.get("/posyandu/<int:posyandu_id>/offline-bundle")
@signed_in(may_score)
@bp.arguments(BundleQuery, location="query", as_kwargs=True)
@bp.response(200, BundleSchema)
@bp.alt_response(401, **UNAUTHORIZED)
@bp.alt_response(403, **FORBIDDEN)
@bp.alt_response(404, **NOT_FOUND)
def offline_bundle(posyandu_id: int, date: Any = None) -> ResponseReturnValue:
    """What a phone keeps to score at a posyandu of the user's area on a day: the active
    cadres (name, serving since, level, mastered skills) and the curriculum version in
    force that day, in both languages."""
    posyandu = get_scoped_or_404(Posyandu, current_user, posyandu_id)
    today = local_today()
    day = date or today
    if day > today + timedelta(days=PREPARE_DAYS_AHEAD):
        refuse(422, _("Prepare at most %(days)d days ahead.", days=PREPARE_DAYS_AHEAD))
    try:
        framework = framework_on(day)
    except LookupError:
        refuse(422, _("No curriculum is in force on that date."))
    return offline.offline_bundle(posyandu, day, framework)


@bp.post("/offline-sittings")
@signed_in(may_score)
@bp.arguments(SyncIn)
@bp.response(200, SyncOut)
@bp.alt_response(400, **BAD_CSRF)
@bp.alt_response(401, **UNAUTHORIZED)
@bp.alt_response(403, **FORBIDDEN)
def sync_sitting(payload: dict[str, Any]) -> ResponseReturnValue:
    """Store a sitting scored offline. Idempotent: the phone's ids for the sitting and
    its entries make a repeated or resumed sync store nothing twice. Each entry comes
    back stored, already_stored, or refused with a reason: out_of_scope, future_date,
    version_mismatch, sitting_mismatch, cadre_moved, cadre_inactive, cadre_unknown,
    invalid_scores, other_scores."""
    raw = payload["sitting"]
    sitting = offline.OfflineSitting(
        str(raw["id"]), raw["posyandu_id"], raw["assessed_on"], raw["setting"],
        raw["method"], raw["framework_id"], raw["framework_version"],
        tuple(raw["cadre_ids"]))
    entries = [offline.OfflineEntry(str(e["id"]), e["cadre_id"], e["skill_code"],
                                    e["scores"], e["note"]) for e in payload["entries"]]
    for attempt in range(2):
        try:
            with _collector_paused():
                result = offline.sync_sitting(current_user, sitting, entries, local_today())
                db.session.commit()
            break
        except (sa.exc.IntegrityError, ServiceError):
            # A sync of the same sitting released at the same moment stored it first;
            # once more, this one sees it and answers "already stored".
            db.session.rollback()
            if attempt:
                refuse(409)
    return {"sitting_id": result.sitting_id, "entries": [{
        "id": e.id, "status": e.status, "reason": e.reason,
        "message": str(offline.REASONS[e.reason]) if e.reason else None,
        "assessment_id": e.assessment_id, "competent": e.competent}
        for e in result.entries]}
