"""Training events: what was taught, when and where, to whom; attendance per day,
pre/post-test scores and the outcome fixed when the event is finished."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ilp_training.core.extensions import Model
from ilp_training.models.base import UTCDateTime, enum_column, utcnow
from ilp_training.models.cadres import Cadre
from ilp_training.models.regions import Posyandu, Puskesmas, Region
from ilp_training.models.users import User


class TrainingType(enum.StrEnum):
    BASIC = "basic"  # pelatihan keterampilan dasar
    REFRESHER = "refresher"  # penyegaran
    ORIENTATION = "orientation"  # orientasi
    FIELD_PRACTICE = "field_practice"  # PKL
    ON_THE_JOB = "on_the_job"


class Organiser(enum.StrEnum):
    """Who runs the event. Scope follows ``puskesmas_id``/``district_id``, not this."""

    DISTRICT = "district"  # Dinas Kesehatan
    PUSKESMAS = "puskesmas"
    PARTNER = "partner"  # an NGO, a university, TP-PKK …: named in ``partner_name``


class TrainingStatus(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class Outcome(enum.StrEnum):
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"


class OutcomeReason(enum.StrEnum):
    """Why a participant did not complete (the first that applies, in this order)."""

    MISSED_DAYS = "missed_days"
    NO_POST_TEST = "no_post_test"
    BELOW_PASS_MARK = "below_pass_mark"


class TrainingEvent(Model):
    """One training: a puskesmas event (``puskesmas_id`` set) or a district-wide one
    (``puskesmas_id`` NULL). Every event belongs to a district (``district_id``)."""

    __tablename__ = "training_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[TrainingType] = mapped_column(enum_column(TrainingType, "training_type"))
    title: Mapped[str] = mapped_column(sa.String(160))
    organiser: Mapped[Organiser] = mapped_column(enum_column(Organiser, "organiser"))
    partner_name: Mapped[str | None] = mapped_column(sa.String(120))
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    puskesmas_id: Mapped[int | None] = mapped_column(sa.ForeignKey("puskesmas.id"), index=True)
    venue: Mapped[str] = mapped_column(sa.String(160))
    start_date: Mapped[date] = mapped_column(index=True)
    end_date: Mapped[date]
    capacity: Mapped[int]
    pass_mark: Mapped[int]  # post-test score (0–100) needed to complete
    status: Mapped[TrainingStatus] = mapped_column(
        enum_column(TrainingStatus, "training_status"), default=TrainingStatus.PLANNED
    )
    framework_id: Mapped[str] = mapped_column(sa.String(40))
    framework_version: Mapped[str] = mapped_column(sa.String(20))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    district: Mapped[Region] = relationship()
    puskesmas: Mapped[Puskesmas | None] = relationship()
    skills: Mapped[list[TrainingSkill]] = relationship(
        back_populates="event", order_by="TrainingSkill.skill_code",
        cascade="all, delete-orphan",
    )
    facilitators: Mapped[list[TrainingFacilitator]] = relationship(
        back_populates="event", order_by="TrainingFacilitator.id", cascade="all, delete-orphan"
    )
    participants: Mapped[list[TrainingParticipant]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("pass_mark BETWEEN 0 AND 100", name="pass_mark_range"),
        sa.CheckConstraint(
            "organiser <> 'puskesmas' OR puskesmas_id IS NOT NULL", name="puskesmas_has_place"
        ),
        sa.CheckConstraint(
            "organiser <> 'partner' OR partner_name IS NOT NULL", name="partner_named"
        ),
    )

    @property
    def days(self) -> list[date]:
        """Every day from the first to the last, inclusive."""
        return [date.fromordinal(n) for n in
                range(self.start_date.toordinal(), self.end_date.toordinal() + 1)]

    @property
    def skill_codes(self) -> list[str]:
        return [s.skill_code for s in self.skills]

    @property
    def is_open(self) -> bool:
        """Planned or running: participants, attendance and scores can still change."""
        return self.status in (TrainingStatus.PLANNED, TrainingStatus.RUNNING)


class TrainingSkill(Model):
    """A skill (curriculum code) the event covers."""

    __tablename__ = "training_skills"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("training_events.id"), primary_key=True)
    skill_code: Mapped[str] = mapped_column(sa.String(10), primary_key=True, index=True)

    event: Mapped[TrainingEvent] = relationship(back_populates="skills")


class TrainingFacilitator(Model):
    """A facilitator: a user of the site, or an outsider given by name."""

    __tablename__ = "training_facilitators"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("training_events.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    name: Mapped[str | None] = mapped_column(sa.String(120))

    event: Mapped[TrainingEvent] = relationship(back_populates="facilitators")
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("event_id", "user_id"),
        sa.CheckConstraint("(user_id IS NULL) <> (name IS NULL)", name="user_or_name"),
    )

    @property
    def label(self) -> str:
        return self.user.display_name if self.user is not None else (self.name or "")


class TrainingParticipant(Model):
    """A cadre taking part in an event; ``posyandu_id`` is where they served on enrolment,
    so a posyandu's training history survives moves. ``outcome`` is set on finishing."""

    __tablename__ = "training_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("training_events.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadres.id"), index=True)
    posyandu_id: Mapped[int] = mapped_column(sa.ForeignKey("posyandu.id"), index=True)
    pre_score: Mapped[int | None]
    post_score: Mapped[int | None]
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, "outcome"))
    outcome_reason: Mapped[OutcomeReason | None] = mapped_column(
        enum_column(OutcomeReason, "outcome_reason")
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[TrainingEvent] = relationship(back_populates="participants")
    cadre: Mapped[Cadre] = relationship()
    posyandu: Mapped[Posyandu] = relationship()
    attendance: Mapped[list[TrainingAttendance]] = relationship(
        back_populates="participant", order_by="TrainingAttendance.day",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.UniqueConstraint("event_id", "cadre_id"),
        sa.CheckConstraint("pre_score BETWEEN 0 AND 100", name="pre_score_range"),
        sa.CheckConstraint("post_score BETWEEN 0 AND 100", name="post_score_range"),
        sa.CheckConstraint(
            "(outcome IS NULL AND outcome_reason IS NULL)"
            " OR (outcome = 'completed' AND outcome_reason IS NULL)"
            " OR (outcome = 'not_completed' AND outcome_reason IS NOT NULL)",
            name="outcome_reason_fits",
        ),
    )


class TrainingAttendance(Model):
    """A participant present on one day of the event (absence is no row)."""

    __tablename__ = "training_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("training_participants.id"))
    day: Mapped[date]

    participant: Mapped[TrainingParticipant] = relationship(back_populates="attendance")

    __table_args__ = (sa.UniqueConstraint("participant_id", "day"),)
