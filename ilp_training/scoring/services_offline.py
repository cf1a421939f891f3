"""Scoring without signal: what a phone keeps of a posyandu (the bundle), and how the
sittings it scored come back (the sync).

The bundle is what scoring needs and nothing else: the posyandu's active cadres (name,
the date they began serving to tell namesakes apart, level, mastered skills; never NIK,
phone or birth date) and the framework version in force on the day, with its rubric in
both languages.

The sync takes one sitting as the phone made it, with ids made on the phone for the
sitting and for each entry (one skill of one cadre), and answers per entry: *stored*,
*already stored*, or *refused* with a reason. It is idempotent and resumable:

- The sitting is found by its phone id (``assessment_sessions.offline_id``, unique), so
  a sync sent again adds to the sitting it created the first time.
- An entry whose skill the sitting already holds for that cadre with the same scores is
  *already stored* (the sitting rule of :func:`services.record_assessments`); with other
  scores it is refused (a change is a correction, made online).
- The rest goes through :func:`services.record_assessments`, the same path as an online
  save: graded again by the engine (the server's grade is the record), badges, level and
  level history recomputed, audited (each entry marked ``via: sync``).

The checks are those of an online save, made per entry at the time of the sync: the
posyandu must still be in the trainer's scope, the day not in the future, the framework
version the one in force on that day, and each cadre still active at this posyandu.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from assessments import Framework, GradingError, grade_skill
from ilp_training.core import audit
from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.models import (
    Assessment,
    AssessmentSession,
    Cadre,
    CadreSkill,
    CadreStatus,
    IndicatorScore,
    Method,
    Posyandu,
    Setting,
    User,
)
from ilp_training.scope import scoped
from ilp_training.scoring import services

STORED, ALREADY, REFUSED = "stored", "already_stored", "refused"

# Why an entry was refused: a code for the phone, a sentence for the trainer.
REASONS = {
    "out_of_scope": _l("This posyandu is no longer in your area."),
    "future_date": _l("The date of the sitting is in the future."),
    "version_mismatch": _l("The curriculum version does not match the date of the sitting."),
    "sitting_mismatch": _l("This sitting was synced before with another posyandu, date or "
                           "assessor."),
    "cadre_moved": _l("The cadre has moved to another posyandu."),
    "cadre_inactive": _l("The cadre was deactivated."),
    "cadre_unknown": _l("The cadre is not known."),
    "invalid_scores": _l("The scores do not fit the rubric."),
    "other_scores": _l("This skill was already stored in this sitting with other scores; "
                       "correct the stored assessment online."),
}


@dataclass(frozen=True)
class OfflineSitting:
    """A sitting as the phone made it: its own id, the place, day, setting and method,
    the framework version it scored with, and the cadres present."""

    offline_id: str
    posyandu_id: int
    assessed_on: date
    setting: Setting
    method: Method
    framework_id: str
    framework_version: str
    cadre_ids: tuple[int, ...]


@dataclass(frozen=True)
class OfflineEntry:
    """One skill of one cadre as scored on the phone, with the phone's id for it."""

    id: str
    cadre_id: int
    skill_code: str
    scores: Mapping[str, int]
    note: str | None = None


@dataclass(frozen=True)
class EntryResult:
    """What the server did with one entry: ``status`` is stored, already_stored or
    refused (then ``reason`` is a code of :data:`REASONS`)."""

    id: str
    status: str
    reason: str | None = None
    assessment_id: int | None = None
    competent: bool | None = None


@dataclass(frozen=True)
class SyncResult:
    sitting_id: int | None
    entries: tuple[EntryResult, ...]


def framework_data(framework: Framework) -> dict[str, Any]:
    """The framework as plain data for the phone: scale, packages, skills with their
    indicators (text in both languages, points, critical) and pass rules, levels."""
    def text(value: Any) -> dict[str, str]:
        return {"id": value.id, "en": value.en}

    return {
        "id": framework.id, "version": framework.version,
        "effective_date": framework.effective_date, "title": text(framework.title),
        "scale": [{"value": o.value, "label": text(o.label)} for o in framework.scale.options],
        "packages": [{
            "code": package.code, "name": text(package.name),
            "skills": [{
                "code": skill.code, "name": text(skill.name),
                "pass_rule": {"min_percent": skill.pass_rule.min_percent,
                              "all_critical": skill.pass_rule.all_critical},
                "indicators": [{"code": i.code, "text": text(i.text), "points": i.points,
                                "critical": i.critical} for i in skill.indicators],
            } for skill in package.skills],
        } for package in framework.packages],
        "levels": [{"code": level.code, "name": text(level.name)} for level in framework.levels],
    }


def offline_bundle(posyandu: Posyandu, day: date, framework: Framework) -> dict[str, Any]:
    """What a phone keeps to score at ``posyandu`` on ``day`` (two queries)."""
    cadres = db.session.scalars(
        sa.select(Cadre).where(Cadre.posyandu_id == posyandu.id,
                               Cadre.status == CadreStatus.ACTIVE)
        .order_by(Cadre.full_name, Cadre.id)).all()
    mastered: dict[int, list[str]] = {}
    for cadre_id, code in db.session.execute(
            sa.select(CadreSkill.cadre_id, CadreSkill.skill_code)
            .where(CadreSkill.cadre_id.in_([c.id for c in cadres]))
            .order_by(CadreSkill.cadre_id, CadreSkill.skill_code)):
        mastered.setdefault(cadre_id, []).append(code)
    return {
        "posyandu": {"id": posyandu.id, "name": posyandu.name,
                     "village": posyandu.village.name},
        "date": day,
        "cadres": [{"id": c.id, "name": c.full_name, "serving_since": c.start_date,
                    "level": c.level_code, "mastered": mastered.get(c.id, [])}
                   for c in cadres],
        "framework": framework_data(framework),
    }


def _refuse_all(entries: Sequence[OfflineEntry], reason: str) -> SyncResult:
    return SyncResult(None, tuple(EntryResult(e.id, REFUSED, reason) for e in entries))


def _sitting_problem(actor: User, sitting: OfflineSitting, today: date) -> str | None:
    """The reason every entry of the sitting is refused, if any."""
    posyandu = db.session.scalars(
        scoped(Posyandu, actor).where(Posyandu.id == sitting.posyandu_id)).first()
    if posyandu is None:
        return "out_of_scope"
    if sitting.assessed_on > today:
        return "future_date"
    try:
        in_force = framework_on(sitting.assessed_on)
    except LookupError:
        return "version_mismatch"
    if in_force.key != (sitting.framework_id, sitting.framework_version):
        return "version_mismatch"
    return None


def _cadre_problem(cadre: Cadre | None, posyandu_id: int) -> str | None:
    if cadre is None:
        return "cadre_unknown"
    if cadre.posyandu_id != posyandu_id:
        return "cadre_moved"
    if not cadre.is_active:
        return "cadre_inactive"
    return None


def _batch_key(offline_id: str, entries: Sequence[OfflineEntry]) -> str:
    """The submission key of one sync of a sitting: the same entries sent again give the
    same key (so record_assessments answers with the stored rows)."""
    digest = hashlib.sha256(" ".join(sorted(e.id for e in entries)).encode()).hexdigest()
    return f"sync-{offline_id[:8]}-{digest[:40]}"


def sync_sitting(
    actor: User, sitting: OfflineSitting, entries: Sequence[OfflineEntry], today: date,
) -> SyncResult:
    """Store what the phone scored in one sitting; see the module rule. In the caller's
    transaction; the caller commits. Refusals are answers, never exceptions."""
    problem = _sitting_problem(actor, sitting, today)
    if problem:
        return _refuse_all(entries, problem)
    framework = framework_on(sitting.assessed_on)
    session = db.session.scalar(sa.select(AssessmentSession).where(
        AssessmentSession.offline_id == sitting.offline_id))
    if session is not None and (session.posyandu_id, session.assessed_on,
                                session.assessor_id) != (sitting.posyandu_id,
                                                         sitting.assessed_on, actor.id):
        return _refuse_all(entries, "sitting_mismatch")
    wanted = {e.cadre_id for e in entries} | set(sitting.cadre_ids)
    cadres = {c.id: c for c in db.session.scalars(
        sa.select(Cadre).where(Cadre.id.in_(sorted(wanted))))}
    results: dict[str, EntryResult] = {}
    held = _held_scores(session.id) if session else {}
    fresh: list[OfflineEntry] = []
    for entry in entries:
        chain = held.get((entry.cadre_id, entry.skill_code))
        if chain is not None:  # stored before: whatever the cadre's state is now
            same = any(scores == dict(entry.scores) for _id, _ok, scores in chain)
            last_id, last_competent, _scores = chain[-1]
            results[entry.id] = (EntryResult(entry.id, ALREADY, None, last_id, last_competent)
                                 if same else EntryResult(entry.id, REFUSED, "other_scores"))
            continue
        reason = _cadre_problem(cadres.get(entry.cadre_id), sitting.posyandu_id)
        if reason is None and not _grades(framework, entry):
            reason = "invalid_scores"
        if reason:
            results[entry.id] = EntryResult(entry.id, REFUSED, reason)
        else:
            fresh.append(entry)
    if fresh:
        session = _store_fresh(actor, sitting, session, fresh, cadres, framework, results)
    return SyncResult(session.id if session else None,
                      tuple(results[e.id] for e in entries))


Held = tuple[int, bool, dict[str, int]]  # assessment id, competent, scores


def _held_scores(session_id: int) -> dict[tuple[int, str], list[Held]]:
    """Per (cadre, skill), the sitting's original assessment and its corrections (the
    last is in force), with their scores: one query of plain rows, since a resync reads
    a whole posyandu day (the sitting rule of ``services.record_assessments``)."""
    rows = db.session.execute(
        sa.select(Assessment.id, Assessment.cadre_id, Assessment.skill_code,
                  Assessment.competent, Assessment.supersedes_id,
                  IndicatorScore.indicator_code, IndicatorScore.score)
        .join(IndicatorScore, IndicatorScore.assessment_id == Assessment.id)
        .where(Assessment.session_id == session_id, Assessment.duplicate_of_id.is_(None))
        .order_by(Assessment.id)).all()
    found: dict[int, tuple[int, str, bool, int | None, dict[str, int]]] = {}
    for row in rows:
        item = found.setdefault(row.id, (row.cadre_id, row.skill_code, row.competent,
                                         row.supersedes_id, {}))
        item[4][row.indicator_code] = row.score
    corrected_by = {item[3]: ident for ident, item in found.items() if item[3] is not None}
    held: dict[tuple[int, str], list[Held]] = {}
    for ident, (cadre_id, code, _ok, supersedes, _scores) in found.items():
        if supersedes is None:
            chain: list[Held] = []
            current: int | None = ident
            while current is not None:
                chain.append((current, found[current][2], found[current][4]))
                current = corrected_by.get(current)
            held[(cadre_id, code)] = chain
    return held


def _grades(framework: Framework, entry: OfflineEntry) -> bool:
    try:
        grade_skill(framework, entry.skill_code, entry.scores)
    except GradingError:
        return False
    return True


def _store_fresh(
    actor: User, sitting: OfflineSitting, session: AssessmentSession | None,
    fresh: list[OfflineEntry], cadres: Mapping[int, Cadre], framework: Framework,
    results: dict[str, EntryResult],
) -> AssessmentSession:
    """Open the sitting (first sync) or add the cadres it lacks, then record the fresh
    entries through the online path, marked as synced in the audit log."""
    present = [cadres[i] for i in dict.fromkeys((*sitting.cadre_ids,
                                                 *(e.cadre_id for e in fresh)))
               if _cadre_problem(cadres.get(i), sitting.posyandu_id) is None]
    with audit.via("sync"):
        if session is None:
            posyandu = db.session.get_one(Posyandu, sitting.posyandu_id)
            session = services.open_session(
                actor, posyandu, sitting.assessed_on, sitting.setting, sitting.method,
                present, framework, sitting.assessed_on)
            session.offline_id = sitting.offline_id
        else:
            known = {c.id for c in session.cadres}
            session.cadres.extend(c for c in present if c.id not in known)
        recorded = services.record_assessments(
            actor, session,
            [services.SkillEntry(e.cadre_id, e.skill_code, e.scores, e.note) for e in fresh],
            _batch_key(sitting.offline_id, fresh), framework)
        audit.record(actor, "sync", "assessment_session", session.id, {
            "offline_id": [None, sitting.offline_id],
            "stored": [None, 0 if recorded.repeated else len(recorded.assessments)]})
    stored = {(a.cadre_id, a.skill_code): a
              for a in (*recorded.assessments, *recorded.already)}
    for entry in fresh:
        row = stored[(entry.cadre_id, entry.skill_code)]
        status = ALREADY if recorded.repeated or row in recorded.already else STORED
        results[entry.id] = EntryResult(entry.id, status, None, row.id, row.competent)
    return session
