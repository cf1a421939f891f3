"""Recording competency assessments and keeping each cadre's badges and level current.

Assessments are append-only. The rule in effect for a cadre's mastered skills:

- For each skill, the *effective* assessment is the latest one (by assessment date, then
  by entry order) that no correction has superseded.
- The skill is mastered (a badge) when its effective assessment is *kompeten*. So a
  mastered skill stays mastered until a later re-assessment or a correction says
  *belum kompeten*; an older assessment entered late does not undo a newer one.
- The level follows from the mastered skills by the engine (:mod:`assessments`), under
  the framework version in force on the assessment date. It is stored on the cadre with
  the date it was reached; every change is a :class:`LevelChange` row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from assessments import Framework, GradingError, determine_level, grade_skill

from ..extensions import db
from ..models import (
    Assessment,
    AssessmentSession,
    Cadre,
    CadreSkill,
    IndicatorScore,
    LevelChange,
    Method,
    Posyandu,
    Setting,
    User,
)
from . import ServiceError, audit


@dataclass(frozen=True)
class SkillEntry:
    """The scores one cadre got for one skill: indicator code → score on the scale."""

    cadre_id: int
    skill_code: str
    scores: Mapping[str, int]
    note: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What a submission stored; ``repeated`` when the same submission came twice."""

    assessments: tuple[Assessment, ...]
    repeated: bool


def open_session(
    actor: User, posyandu: Posyandu, assessed_on: date, setting: Setting, method: Method,
    cadres: Sequence[Cadre], framework: Framework, today: date,
) -> AssessmentSession:
    """Start an assessment sitting at ``posyandu`` with the active cadres present.

    The date cannot be in the future; at least one cadre, all active and of this posyandu.
    """
    if assessed_on > today:
        raise ServiceError(_l("The date cannot be in the future."), "assessed_on")
    if not cadres:
        raise ServiceError(_l("Choose at least one cadre who is present."), "cadres")
    if any(c.posyandu_id != posyandu.id or not c.is_active for c in cadres):
        raise ServiceError(_l("Only active cadres of this posyandu can be assessed here."),
                           "cadres")
    session = AssessmentSession(
        posyandu=posyandu, assessor=actor, assessed_on=assessed_on, setting=setting,
        method=method, framework_id=framework.id, framework_version=framework.version,
        cadres=list(cadres),
    )
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "create", "assessment_session", session.id, {
        "posyandu_id": [None, posyandu.id], "assessed_on": [None, assessed_on.isoformat()],
        "cadres": [None, len(cadres)],
    })
    return session


def _already_recorded(submission_key: str) -> tuple[Assessment, ...]:
    stmt = sa.select(Assessment).where(Assessment.submission_key == submission_key)
    return tuple(db.session.scalars(stmt.order_by(Assessment.id)))


def record_assessments(
    actor: User, session: AssessmentSession, entries: Iterable[SkillEntry],
    submission_key: str, framework: Framework,
) -> Recorded:
    """Grade and store every entry of one submission, then update the cadres' badges and
    levels, in the caller's transaction.

    All entries are checked before anything is stored: one bad entry stores nothing.
    A ``submission_key`` seen before returns the stored assessments (a double submit or a
    re-sent form creates nothing new).
    """
    previous = _already_recorded(submission_key)
    if previous:
        return Recorded(previous, repeated=True)
    present = {c.id: c for c in session.cadres}
    graded = []
    for entry in entries:
        if entry.cadre_id not in present:
            raise ServiceError(_l("A cadre who is not in this session was scored."))
        graded.append((entry, _grade(framework, entry)))
    if not graded:
        raise ServiceError(_l("Score at least one cadre before saving."))
    created = []
    for entry, result in graded:
        created.append(_store(actor, session, present[entry.cadre_id], entry, result,
                              submission_key))
    db.session.flush()
    for cadre_id in dict.fromkeys(entry.cadre_id for entry, _result in graded):
        refresh_cadre(present[cadre_id], framework, session.assessed_on)
    return Recorded(tuple(created), repeated=False)


def _grade(framework: Framework, entry: SkillEntry):  # -> SkillResult
    try:
        return grade_skill(framework, entry.skill_code, entry.scores)
    except GradingError as exc:
        raise ServiceError(_l("The scores do not fit the rubric: %(detail)s", detail=str(exc))) \
            from exc


def _store(
    actor: User, session: AssessmentSession, cadre: Cadre, entry: SkillEntry, result,
    submission_key: str, supersedes: Assessment | None = None, reason: str | None = None,
) -> Assessment:
    assessment = Assessment(
        session=session, cadre=cadre, skill_code=entry.skill_code,
        framework_id=result.framework_id, framework_version=result.framework_version,
        assessed_on=session.assessed_on, setting=session.setting, method=session.method,
        assessor=actor, competent=result.competent, points=str(result.points),
        max_points=result.max_points, percent=result.percent_floor,
        note=(entry.note or "").strip()[:500] or None, supersedes=supersedes,
        correction_reason=reason, submission_key=submission_key,
        scores=[IndicatorScore(indicator_code=code, score=score)
                for code, score in sorted(entry.scores.items())],
    )
    db.session.add(assessment)
    changes = {"skill": [None, entry.skill_code], "competent": [None, result.competent]}
    if supersedes is not None:
        changes["supersedes"] = [None, supersedes.id]
        changes["reason"] = [None, reason]
    audit.record(actor, "correct" if supersedes else "assess", "cadre", cadre.id, changes)
    return assessment


def correct_assessment(
    actor: User, original: Assessment, scores: Mapping[str, int], note: str | None,
    reason: str, submission_key: str, framework: Framework,
) -> Recorded:
    """Store a correction of ``original``: a new assessment that supersedes it, with a
    required reason. The original stays, marked superseded; badges and level follow."""
    previous = _already_recorded(submission_key)
    if previous:
        return Recorded(previous, repeated=True)
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError(_l("Give the reason for the correction."), "reason")
    if is_superseded(original):
        raise ServiceError(_l("This assessment was already corrected; correct the newer one."))
    entry = SkillEntry(original.cadre_id, original.skill_code, scores, note)
    result = _grade(framework, entry)
    session = original.session
    assert session is not None
    created = _store(actor, session, original.cadre, entry, result, submission_key,
                     supersedes=original, reason=reason)
    refresh_cadre(original.cadre, framework, original.assessed_on)
    return Recorded((created,), repeated=False)


def is_superseded(assessment: Assessment) -> bool:
    """Whether a correction replaces this assessment."""
    stmt = sa.select(Assessment.id).where(Assessment.supersedes_id == assessment.id)
    return db.session.scalar(stmt) is not None


def effective_assessments(cadre_id: int) -> dict[str, Assessment]:
    """Per skill code, the assessment in effect (see the module rule)."""
    superseded = sa.select(Assessment.supersedes_id).where(Assessment.supersedes_id.is_not(None))
    rows = db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.cadre_id == cadre_id, Assessment.id.not_in(superseded))
        .order_by(Assessment.assessed_on, Assessment.id)
    )
    return {a.skill_code: a for a in rows}


def refresh_cadre(cadre: Cadre, framework: Framework, on: date) -> None:
    """Recompute a cadre's badges and level from the effective assessments and store them;
    a level change on ``on`` is recorded in the level history."""
    effective = effective_assessments(cadre.id)
    mastered = {code: a for code, a in effective.items()
                if a.competent and framework.has_skill(code)}
    stored = {s.skill_code: s for s in db.session.scalars(
        sa.select(CadreSkill).where(CadreSkill.cadre_id == cadre.id))}
    for code, skill in stored.items():
        if code not in mastered:
            db.session.delete(skill)
        elif skill.assessment_id != mastered[code].id:
            skill.assessment_id = mastered[code].id
    for code, assessment in mastered.items():
        if code not in stored:
            db.session.add(CadreSkill(cadre_id=cadre.id, skill_code=code,
                                      assessment_id=assessment.id,
                                      mastered_on=assessment.assessed_on))
    result = determine_level(framework, mastered)
    if result.level != cadre.level_code:
        db.session.add(LevelChange(
            cadre_id=cadre.id, level_code=result.level, previous_code=cadre.level_code,
            changed_on=on, framework_id=framework.id, framework_version=framework.version,
        ))
        cadre.level_code, cadre.level_since = result.level, on if result.level else None
    cadre.badge_count = result.badges
    cadre.framework_version = framework.version
    dates = [a.assessed_on for a in effective.values()]
    cadre.last_assessed_on = max(dates) if dates else None
    db.session.flush()
