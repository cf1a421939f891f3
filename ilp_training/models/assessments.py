"""Competency assessments: sessions, append-only skill assessments with their indicator
scores, and the stored state they lead to (mastered skills, level history)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ilp_training.core.extensions import Model, db
from ilp_training.models.base import UTCDateTime, enum_column, utcnow
from ilp_training.models.cadres import Cadre
from ilp_training.models.regions import Posyandu
from ilp_training.models.users import User


class Setting(enum.StrEnum):
    """Where the cadre was observed."""

    POSYANDU_DAY = "posyandu_day"
    HOME_VISIT = "home_visit"
    SIMULATION = "simulation"
    PAPER = "paper"  # transferred from paper records: where is not known


class Method(enum.StrEnum):
    """How the assessor judged the indicators."""

    OBSERVATION = "observation"
    PRACTICE = "practice"
    QUESTIONS = "questions"
    PAPER = "paper"  # transferred from paper records (no indicator scores)


session_cadres = sa.Table(
    "assessment_session_cadres",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("assessment_sessions.id"), primary_key=True),
    sa.Column("cadre_id", sa.ForeignKey("cadres.id"), primary_key=True),
)


class AssessmentSession(Model):
    """One sitting: an assessor at a posyandu on a date, with the cadres present."""

    __tablename__ = "assessment_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    posyandu_id: Mapped[int] = mapped_column(sa.ForeignKey("posyandu.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    assessed_on: Mapped[date]
    setting: Mapped[Setting] = mapped_column(enum_column(Setting, "setting"))
    method: Mapped[Method] = mapped_column(enum_column(Method, "method"))
    framework_id: Mapped[str] = mapped_column(sa.String(40))
    framework_version: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The id a phone made for a sitting scored offline (scoring/offline.py): a sync sent
    # again finds this sitting instead of opening another.
    offline_id: Mapped[str | None] = mapped_column(sa.String(36), unique=True, index=True)

    posyandu: Mapped[Posyandu] = relationship()
    assessor: Mapped[User] = relationship()
    cadres: Mapped[list[Cadre]] = relationship(secondary=session_cadres, order_by="Cadre.full_name")
    assessments: Mapped[list[Assessment]] = relationship(back_populates="session")


ORIGINAL = sa.text("supersedes_id IS NULL AND duplicate_of_id IS NULL")


class Assessment(Model):
    """One skill of one cadre judged once. Never updated: a correction is a new row that
    ``supersedes`` the old one and gives a reason."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assessment_sessions.id"), index=True
    )
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadres.id"), index=True)
    skill_code: Mapped[str] = mapped_column(sa.String(10))
    framework_id: Mapped[str] = mapped_column(sa.String(40))
    framework_version: Mapped[str] = mapped_column(sa.String(20))
    assessed_on: Mapped[date]
    setting: Mapped[Setting] = mapped_column(enum_column(Setting, "setting"))
    method: Mapped[Method] = mapped_column(enum_column(Method, "method"))
    assessor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    competent: Mapped[bool]
    points: Mapped[str] = mapped_column(sa.String(20))  # exact, e.g. "17/2"
    max_points: Mapped[int]
    percent: Mapped[int]  # rounded down, for display
    note: Mapped[str | None] = mapped_column(sa.String(500))
    # Who assessed, as a paper record names them (an assessor or a puskesmas); only for
    # results transferred from paper (``method`` paper), whose ``assessor`` is the user
    # who imported them.
    assessed_by: Mapped[str | None] = mapped_column(sa.String(160))
    supersedes_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assessments.id"), unique=True
    )
    correction_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # Set only by the migration that brought in the sitting rule: a skill recorded twice
    # in one sitting before the rule existed; the row does not count (never deleted).
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"))
    submission_key: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[AssessmentSession | None] = relationship(back_populates="assessments")
    cadre: Mapped[Cadre] = relationship()
    assessor: Mapped[User] = relationship()
    scores: Mapped[list[IndicatorScore]] = relationship(
        back_populates="assessment", order_by="IndicatorScore.indicator_code"
    )
    supersedes: Mapped[Assessment | None] = relationship(
        remote_side=[id], foreign_keys=[supersedes_id])

    __table_args__ = (
        sa.UniqueConstraint("submission_key", "cadre_id", "skill_code"),
        # The sitting rule: one original assessment per sitting, cadre and skill.
        # Corrections (supersedes_id set) are outside it: they replace a row of the
        # same sitting, and supersedes_id is unique, so each row is corrected once.
        sa.Index("uq_assessments_sitting_skill", "session_id", "cadre_id", "skill_code",
                 unique=True, sqlite_where=ORIGINAL, postgresql_where=ORIGINAL),
        sa.Index("ix_assessments_cadre_skill", "cadre_id", "skill_code"),
        sa.CheckConstraint(
            "supersedes_id IS NULL OR correction_reason IS NOT NULL",
            name="correction_has_reason",
        ),
    )


class IndicatorScore(Model):
    """The score one indicator got in one assessment."""

    __tablename__ = "indicator_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id"))
    indicator_code: Mapped[str] = mapped_column(sa.String(20))
    score: Mapped[int]

    assessment: Mapped[Assessment] = relationship(back_populates="scores")

    __table_args__ = (sa.UniqueConstraint("assessment_id", "indicator_code"),)


class CadreSkill(Model):
    """A skill a cadre has mastered (a badge), and the assessment that decided it."""

    __tablename__ = "cadre_skills"

    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadres.id"), primary_key=True)
    skill_code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id"))
    mastered_on: Mapped[date]

    assessment: Mapped[Assessment] = relationship()


class LevelChange(Model):
    """A change of a cadre's level (``level_code`` None = belum berjenjang)."""

    __tablename__ = "level_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadres.id"), index=True)
    level_code: Mapped[str | None] = mapped_column(sa.String(20))
    previous_code: Mapped[str | None] = mapped_column(sa.String(20))
    changed_on: Mapped[date]
    framework_id: Mapped[str] = mapped_column(sa.String(40))
    framework_version: Mapped[str] = mapped_column(sa.String(20))
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
