"""Recording competency assessments and keeping each cadre's badges and level current.

Assessments are append-only. The rule in effect for a cadre's mastered skills:

- For each skill, the *effective* assessment is the latest one (by assessment date, then
  by entry order) that no correction has superseded.
- The skill is mastered (a badge) when its effective assessment is *kompeten*. So a
  mastered skill stays mastered until a later re-assessment or a correction says
  *belum kompeten*; an older assessment entered late does not undo a newer one.
- The level follows from the mastered skills by the engine (:mod:`assessments`), under
  the framework version the assessments were graded with. It is stored on the cadre with
  the date it was reached. The level history (:class:`LevelChange` rows) is always the
  replay of the assessments that count, in date order (:func:`replay_levels`), so a
  correction that undoes a promotion removes it from the history.
- The sitting rule: within one sitting (:class:`AssessmentSession`) a cadre's skill is
  recorded once (:func:`record_assessments`); a later assessment of it belongs to
  another sitting, a change to a correction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from assessments import Framework, GradingError, determine_level, grade_skill
from ilp_training.core import audit
from ilp_training.core.curricula import framework_for
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.models import (
    Assessment,
    AssessmentSession,
    Cadre,
    CadreSkill,
    CadreStatus,
    IndicatorScore,
    LevelChange,
    Method,
    Posyandu,
    Setting,
    User,
)


@dataclass(frozen=True)
class SkillEntry:
    """The scores one cadre got for one skill: indicator code → score on the scale."""

    cadre_id: int
    skill_code: str
    scores: Mapping[str, int]
    note: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What a submission stored; ``repeated`` when it stored nothing because everything
    was saved before (the same key, or the same scores in the same sitting); ``already``
    the sitting's assessments that entries of a submission repeated."""

    assessments: tuple[Assessment, ...]
    repeated: bool
    already: tuple[Assessment, ...] = ()


class AlreadyAssessed(ServiceError):
    """Skills this sitting already holds for a cadre, sent again with other scores.
    ``stored`` are the assessments in force, the ones to correct instead."""

    def __init__(self, stored: tuple[Assessment, ...]) -> None:
        super().__init__(_l("These skills were already assessed in this sitting with other "
                            "scores; nothing was saved. To change them, correct the stored "
                            "assessment:"))
        self.stored = stored


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


def _lock_cadres(cadre_ids: Iterable[int]) -> None:
    """Take the cadres' rows before reading what is stored for them, so that two saves
    for one cadre run one after the other: the second sees the first's rows (and answers
    "already saved" or "already corrected") and recomputes badges and level from both.
    PostgreSQL: ``SELECT … FOR UPDATE`` in id order (no crosswise waits), reloading the
    rows; SQLite's write lock, taken when the transaction begins, does this already."""
    db.session.scalars(
        sa.select(Cadre).where(Cadre.id.in_(sorted(set(cadre_ids)))).order_by(Cadre.id)
        .with_for_update().execution_options(populate_existing=True)).all()


def _scores_of(assessment: Assessment) -> dict[str, int]:
    return {s.indicator_code: s.score for s in assessment.scores}


def _held_by_sitting(
    session: AssessmentSession, cadre_ids: set[int],
) -> dict[tuple[int, str], list[Assessment]]:
    """Per (cadre, skill), the sitting's original assessment followed by its chain of
    corrections (the last is the one in force)."""
    rows = list(db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.session_id == session.id, Assessment.cadre_id.in_(cadre_ids),
               Assessment.duplicate_of_id.is_(None))
        .options(selectinload(Assessment.scores)).order_by(Assessment.id)))
    corrected_by = {a.supersedes_id: a for a in rows if a.supersedes_id is not None}
    held = {}
    for row in rows:
        if row.supersedes_id is None:
            chain = [row]
            while chain[-1].id in corrected_by:
                chain.append(corrected_by[chain[-1].id])
            held[(row.cadre_id, row.skill_code)] = chain
    return held


def record_assessments(
    actor: User, session: AssessmentSession, entries: Iterable[SkillEntry],
    submission_key: str, framework: Framework,
) -> Recorded:
    """Grade and store every entry of one submission, then update the cadres' badges and
    levels, in the caller's transaction.

    All entries are checked before anything is stored: one bad entry stores nothing.
    A ``submission_key`` seen before returns the stored assessments (a double submit or a
    re-sent form creates nothing new).

    The sitting rule: within one sitting a cadre's skill is recorded once, whatever the
    key (the back button reloads the form with a new key and the browser restores the
    scores). An entry whose scores equal those of the sitting's assessment of that skill
    (or of one of its corrections) is *already saved* and stores nothing; an entry with
    other scores refuses the whole submission (:class:`AlreadyAssessed`): the stored
    assessment is to be corrected instead. A partial unique index on
    ``(session_id, cadre_id, skill_code)`` over original rows holds the rule in the
    database (a race's loser fails there and, on the retry, gets this answer).
    """
    present = {c.id: c for c in session.cadres}
    entries = list(entries)
    if any(entry.cadre_id not in present for entry in entries):
        raise ServiceError(_l("A cadre who is not in this session was scored."))
    if not entries:
        raise ServiceError(_l("Score at least one cadre before saving."))
    _lock_cadres(e.cadre_id for e in entries)
    previous = _already_recorded(submission_key)
    if previous:
        return Recorded(previous, repeated=True)
    held = _held_by_sitting(session, {e.cadre_id for e in entries})
    new, already, conflicts = [], [], []
    for entry in entries:
        chain = held.get((entry.cadre_id, entry.skill_code))
        if chain is None:
            new.append((entry, _grade(framework, entry)))
        elif any(_scores_of(a) == dict(entry.scores) for a in chain):
            already.append(chain[-1])
        else:
            conflicts.append(chain[-1])
    if conflicts:
        raise AlreadyAssessed(tuple(conflicts))
    if not new:
        return Recorded(tuple(already), repeated=True)
    created = [_store(actor, session, present[entry.cadre_id], entry, result, submission_key)
               for entry, result in new]
    db.session.flush()
    for cadre_id in dict.fromkeys(entry.cadre_id for entry, _result in new):
        refresh_cadre(present[cadre_id], framework, actor)
    return Recorded(tuple(created), repeated=False, already=tuple(already))


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
    required reason. The original stays, marked superseded; badges, level and the level
    history follow. Each assessment is corrected once (``supersedes_id`` is unique): a
    second correction, also one sent at the same moment, is refused ("already
    corrected"); the cadre's row is locked first, so the loser of a race sees the winner.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError(_l("Give the reason for the correction."), "reason")
    _lock_cadres([original.cadre_id])
    previous = _already_recorded(submission_key)
    if previous:
        return Recorded(previous, repeated=True)
    if original.duplicate_of_id is not None:
        raise ServiceError(_l("This assessment was recorded twice in its sitting and does "
                              "not count; correct the one that counts."))
    if is_superseded(original):
        raise ServiceError(_l("This assessment was already corrected; correct the newer one."))
    if original.session is None:  # transferred from paper records: no sitting, no scores
        raise ServiceError(_l("A result transferred from paper records is not corrected: "
                              "assess the skill again, and the new assessment takes over."))
    entry = SkillEntry(original.cadre_id, original.skill_code, scores, note)
    result = _grade(framework, entry)
    session = original.session
    assert session is not None
    created = _store(actor, session, original.cadre, entry, result, submission_key,
                     supersedes=original, reason=reason)
    db.session.flush()
    refresh_cadre(original.cadre, framework, actor)
    return Recorded((created,), repeated=False)


def active_cadres(posyandu: Posyandu) -> list[Cadre]:
    """The active cadres serving at ``posyandu``, by name: those a sitting may assess."""
    return list(db.session.scalars(
        sa.select(Cadre).where(Cadre.posyandu_id == posyandu.id,
                               Cadre.status == CadreStatus.ACTIVE).order_by(Cadre.full_name)))


def assessed_per_skill(sitting: AssessmentSession) -> dict[str, int]:
    """How many cadres the sitting assessed in each skill: its original assessments,
    not the corrections nor the rows marked as recorded twice."""
    return dict(db.session.execute(
        sa.select(Assessment.skill_code, sa.func.count(Assessment.id))
        .where(Assessment.session_id == sitting.id, Assessment.supersedes_id.is_(None),
               Assessment.duplicate_of_id.is_(None))
        .group_by(Assessment.skill_code)
    ).all())


def correction_of(assessment: Assessment) -> Assessment | None:
    """The correction that replaces ``assessment``, if any (each is corrected once)."""
    return db.session.scalar(
        sa.select(Assessment).where(Assessment.supersedes_id == assessment.id))


def is_superseded(assessment: Assessment) -> bool:
    """Whether a correction replaces this assessment."""
    stmt = sa.select(Assessment.id).where(Assessment.supersedes_id == assessment.id)
    return db.session.scalar(stmt) is not None


def _counting(cadre_id: int) -> list[Assessment]:
    """The cadre's assessments that count: not superseded by a correction, not marked as
    recorded twice in a sitting; by assessment date, then entry order."""
    superseded = sa.select(Assessment.supersedes_id).where(Assessment.supersedes_id.is_not(None))
    return list(db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.cadre_id == cadre_id, Assessment.id.not_in(superseded),
               Assessment.duplicate_of_id.is_(None))
        .order_by(Assessment.assessed_on, Assessment.id)
    ))


def effective_assessments(cadre_id: int) -> dict[str, Assessment]:
    """Per skill code, the assessment in effect (see the module rule)."""
    return {a.skill_code: a for a in _counting(cadre_id)}


@dataclass(frozen=True)
class _Step:
    """A level change found by :func:`replay_levels`."""

    day: date
    level: str | None
    previous: str | None
    framework: Framework
    assessment: Assessment


def replay_levels(
    rows: Sequence[Assessment], framework_of: Callable[[Assessment], Framework],
) -> tuple[list[_Step], dict[str, Assessment], Framework | None]:
    """The level history that ``rows`` (the assessments that count, by date) lead to.

    Day by day, each skill's latest assessment up to that day decides whether it is
    mastered; the engine gives the level under the framework of that day's last
    assessment; a level different from the day before is a change on that day, caused by
    that day's last assessment. Returns the changes, the skills' assessments after the
    last day, and the last day's framework (``None`` without assessments)."""
    latest: dict[str, Assessment] = {}
    steps: list[_Step] = []
    level: str | None = None
    framework: Framework | None = None
    for _day, group in groupby(rows, key=lambda a: a.assessed_on):
        day_rows = list(group)
        latest.update({a.skill_code: a for a in day_rows})
        framework = framework_of(day_rows[-1])
        result = determine_level(framework, [c for c, a in latest.items()
                                             if a.competent and framework.has_skill(c)])
        if result.level != level:
            steps.append(_Step(day_rows[-1].assessed_on, result.level, level, framework,
                               day_rows[-1]))
            level = result.level
    return steps, latest, framework


def refresh_cadre(cadre: Cadre, framework: Framework, actor: User | None = None) -> None:
    """Recompute a cadre's badges, level and level history from the assessments that
    count, and store them (in the caller's transaction).

    The level history (``level_changes``) is always the replay of those assessments in
    date order (:func:`replay_levels`): a correction that undoes a promotion removes it,
    an older assessment entered late puts the change on the day it happened. Rows that
    stay are kept (same ids); a history rewritten other than by adding is an audit entry
    (``level_history``). ``framework`` is the one the caller graded with; an assessment
    graded under another version is replayed under its own."""
    def framework_of(a: Assessment) -> Framework:
        if (a.framework_id, a.framework_version) == (framework.id, framework.version):
            return framework
        return framework_for(a.framework_id, a.framework_version)

    rows = _counting(cadre.id)
    steps, effective, final = replay_levels(rows, framework_of)
    final = final or framework
    _store_badges(cadre, {code: a for code, a in effective.items()
                          if a.competent and final.has_skill(code)})
    _store_history(actor, cadre, steps)
    level = steps[-1].level if steps else None
    cadre.level_code = level
    cadre.level_since = steps[-1].day if level else None
    result = determine_level(
        final, [c for c, a in effective.items() if a.competent and final.has_skill(c)])
    cadre.badge_count = result.badges
    cadre.package_codes = package_codes(result.mastered_packages)
    cadre.framework_version = final.version
    cadre.last_assessed_on = max((a.assessed_on for a in rows), default=None)
    db.session.flush()


def package_codes(codes: Iterable[str]) -> str:
    """The stored form of a set of package codes: ``",A,B,"`` (sorted, delimited on both
    sides so that SQL finds one with ``LIKE '%,A,%'``), ``""`` for none."""
    ordered = sorted(set(codes))
    return f",{','.join(ordered)}," if ordered else ""


def _store_badges(cadre: Cadre, mastered: dict[str, Assessment]) -> None:
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


def _label(day: date, previous: str | None, level: str | None) -> str:
    return f"{day.isoformat()} {previous or '-'} > {level or '-'}"


def _store_history(actor: User | None, cadre: Cadre, steps: list[_Step]) -> None:
    """Make the cadre's ``level_changes`` rows equal to ``steps``."""
    rows = list(db.session.scalars(sa.select(LevelChange).where(
        LevelChange.cadre_id == cadre.id).order_by(LevelChange.changed_on, LevelChange.id)))
    wanted = {(s.day, s.previous, s.level): s for s in steps}
    kept = set()
    removed = []
    for row in rows:
        key = (row.changed_on, row.previous_code, row.level_code)
        step = wanted.get(key)
        if step is None or key in kept:
            removed.append(row)
            continue
        kept.add(key)
        row.framework_id, row.framework_version = step.framework.id, step.framework.version
        row.assessment_id = step.assessment.id
    for row in removed:
        db.session.delete(row)
    for key, step in wanted.items():
        if key not in kept:
            db.session.add(LevelChange(
                cadre_id=cadre.id, level_code=step.level, previous_code=step.previous,
                changed_on=step.day, framework_id=step.framework.id,
                framework_version=step.framework.version, assessment_id=step.assessment.id))
    if removed:
        before = [_label(r.changed_on, r.previous_code, r.level_code) for r in rows]
        after = [_label(s.day, s.previous, s.level) for s in steps]
        audit.record(actor, "level_history", "cadre", cadre.id,
                     {"level_history": [before, after]})
