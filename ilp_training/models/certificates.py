"""Certificates: frozen PDFs with a public verification code, their issuer settings, the
serial counters, and bulk issuing jobs."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ilp_training.core.extensions import Model
from ilp_training.models.base import UTCDateTime, enum_column, utcnow
from ilp_training.models.cadres import Cadre
from ilp_training.models.regions import Puskesmas, Region
from ilp_training.models.training import TrainingEvent
from ilp_training.models.users import User


class CertificateKind(enum.StrEnum):
    LEVEL = "level"  # Sertifikat Kecakapan Kader
    TRAINING = "training"  # completion of a training event (extension point)


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"


class Certificate(Model):
    """An issued certificate. ``pdf`` and ``sha256`` are frozen at issue; ``claim`` is the
    plain-data statement printed on it and shown by the public verification page."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CertificateKind] = mapped_column(enum_column(CertificateKind, "cert_kind"))
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadres.id"), index=True)
    holder_name: Mapped[str] = mapped_column(sa.String(120))
    level_code: Mapped[str | None] = mapped_column(sa.String(20))
    training_event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("training_events.id"), index=True)
    serial: Mapped[str] = mapped_column(sa.String(30), unique=True)
    verify_code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    language: Mapped[str] = mapped_column(sa.String(5))
    claim: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    issued_on: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[CertificateStatus] = mapped_column(
        enum_column(CertificateStatus, "cert_status"), default=CertificateStatus.VALID
    )
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(300))
    bulk_job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bulk_jobs.id"), index=True)
    # The signed Open Badges 3.0 credential (VC-JWT), frozen at issue like the PDF; NULL
    # while pending (no signing key then: ``flask credentials issue-missing`` signs it).
    # ``credential_issuer`` is the issuing district's regency code (74.14), and
    # ``status_index`` the credential's bit in that issuer's status list.
    credential_jwt: Mapped[str | None] = mapped_column(sa.Text, deferred=True)
    credential_issuer: Mapped[str | None] = mapped_column(sa.String(13))
    status_index: Mapped[int | None]

    cadre: Mapped[Cadre] = relationship()
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    superseded_by: Mapped[Certificate | None] = relationship(remote_side=[id])
    training_event: Mapped[TrainingEvent | None] = relationship()

    __table_args__ = (
        sa.Index("ix_certificates_cadre_status", "cadre_id", "status"),
        # One valid certificate per claim: per cadre for the level, per cadre and event
        # for a training. Issuing supersedes the old one before the new one is inserted.
        sa.Index("uq_certificates_valid_level", "cadre_id", unique=True,
                 sqlite_where=sa.text("kind = 'level' AND status = 'valid'"),
                 postgresql_where=sa.text("kind = 'level' AND status = 'valid'")),
        sa.Index("uq_certificates_valid_training", "cadre_id", "training_event_id",
                 unique=True,
                 sqlite_where=sa.text("kind = 'training' AND status = 'valid'"),
                 postgresql_where=sa.text("kind = 'training' AND status = 'valid'")),
        sa.CheckConstraint(
            "status != 'revoked' OR (revoked_at IS NOT NULL AND revoke_reason IS NOT NULL)",
            name="revocation_has_reason",
        ),
        # One bit of an issuer's status list per credential.
        sa.Index("uq_certificates_status_index", "credential_issuer", "status_index",
                 unique=True),
    )


class CertificateSettings(Model):
    """Emblem and signatory printed on certificates: one row per district, optionally one
    per puskesmas that overrides it."""

    __tablename__ = "certificate_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    puskesmas_id: Mapped[int | None] = mapped_column(sa.ForeignKey("puskesmas.id"), unique=True)
    issuer_name: Mapped[str] = mapped_column(sa.String(160))
    signatory_name: Mapped[str] = mapped_column(sa.String(120))
    signatory_title: Mapped[str] = mapped_column(sa.String(160))
    signatory_nip: Mapped[str | None] = mapped_column(sa.String(18))
    place: Mapped[str] = mapped_column(sa.String(80))
    emblem: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    emblem_mime: Mapped[str | None] = mapped_column(sa.String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    district: Mapped[Region] = relationship()
    puskesmas: Mapped[Puskesmas | None] = relationship()

    __table_args__ = (
        sa.Index(
            "uq_certificate_settings_district", "district_id", unique=True,
            sqlite_where=sa.text("puskesmas_id IS NULL"),
            postgresql_where=sa.text("puskesmas_id IS NULL"),
        ),
    )


class SerialCounter(Model):
    """The last serial number used per district and year; only ever increases."""

    __tablename__ = "serial_counters"

    district_code: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class StatusListCounter(Model):
    """The last status-list index given per issuer (regency code); only ever increases,
    so an index is never reused, even for a revoked credential."""

    __tablename__ = "status_list_counters"

    issuer_code: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BulkJob(Model):
    """Issuing all due certificates of a posyandu or a puskesmas outside the request.

    Work is split in parts rendered by the worker; ``done``/``failed`` count certificates,
    ``parts_done`` the finished parts; the part that finishes last merges the print file.
    ``issued_on`` is the day the certificates state (a part re-run later keeps it).
    """

    __tablename__ = "bulk_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_kind: Mapped[str] = mapped_column(sa.String(20))
    scope_id: Mapped[int]
    scope_label: Mapped[str] = mapped_column(sa.String(160))
    language: Mapped[str] = mapped_column(sa.String(5))
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, "job_status"), default=JobStatus.QUEUED
    )
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    parts_total: Mapped[int] = mapped_column(default=0)
    parts_done: Mapped[int] = mapped_column(default=0)
    result_pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    issued_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requested_by: Mapped[User] = relationship()
    failures: Mapped[list[BulkJobFailure]] = relationship(order_by="BulkJobFailure.id")


class BulkJobPart(Model):
    """One part of a bulk job, the unit a worker commits and a restarted worker resumes.

    ``serials`` (cadre id → serial) are reserved when the part starts and reused when it
    runs again, so a worker's death uses up no serial. ``pdf`` is the print PDF of its
    certificates (set when the part is done; ``b""`` once joined into the job's print
    file) and ``certificate_ids`` the certificate on each of its pages, in order. A worker
    running the part holds it by ``leased_by`` (host:pid) until ``leased_until``.
    """

    __tablename__ = "bulk_job_parts"

    job_id: Mapped[int] = mapped_column(sa.ForeignKey("bulk_jobs.id"), primary_key=True)
    index: Mapped[int] = mapped_column(primary_key=True)
    cadre_ids: Mapped[list[int]] = mapped_column(sa.JSON)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    serials: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    certificate_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)
    leased_by: Mapped[str | None] = mapped_column(sa.String(120))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")


class BulkJobFailure(Model):
    """A certificate of a bulk job that could not be issued, by name, with the reason."""

    __tablename__ = "bulk_job_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("bulk_jobs.id"), index=True)
    cadre_id: Mapped[int]
    holder_name: Mapped[str] = mapped_column(sa.String(120))
    reason: Mapped[str] = mapped_column(sa.String(300))
