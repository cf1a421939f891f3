"""Issuing, superseding, revoking and verifying certificates.

Rules:

- A cadre's level certificate is *due* when the cadre is active, has a level, and has no
  valid level certificate for that level under the current name. Issuing it supersedes
  the cadre's previous valid level certificate (a higher level or a name correction).
- A training certificate is *due* when the training event is finished, the cadre (still
  active) completed it, and has no valid certificate of that event under the current
  name. Issuing it supersedes the cadre's previous certificate of the same event.
- At issue the claim (what the certificate states), the PDF bytes and their SHA-256 are
  stored; later downloads serve those bytes, and the public page shows the stored claim.
- One valid certificate per claim: per cadre for the level, per cadre and event for a
  training (partial unique indexes ``uq_certificates_valid_*``). Issuing locks the
  cadre and looks again: a second request for a claim already issued gets that
  certificate back ("already issued"), never a new one.
- Serial numbers are ``<district code>-<year>-<6-digit sequence>`` (e.g.
  ``7414-2026-000123``), allocated from a counter that only increases: never reused,
  even for a revoked certificate. A serial taken but not printed on a stored
  certificate (a bulk part's cadre no longer due, a page that failed) is recorded in
  the audit log (``void_serials``), so a gap in the sequence is always explained.
- The verification code is 128 random bits (URL-safe base64, 22 characters).
- Each certificate stored gets its signed Open Badges credential in the same transaction
  (``credentials/services.attach_credentials``; pending when the district has no key).
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from assessments import Framework
from ilp_training.certificates.services.documents import (
    emblem_data_uri,
    missing_glyphs,
    page_context,
    render_certificates,
    verification_url,
)
from ilp_training.certificates.services.signed_qr import sign_qr
from ilp_training.core import audit
from ilp_training.core.curricula import framework_for
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.credentials.keys import KeyUnavailable
from ilp_training.credentials.services import (
    allocate_status_indexes,
    attach_credentials,
    next_status_indexes,
)
from ilp_training.models import (
    Assessment,
    Cadre,
    CadreSkill,
    CadreStatus,
    Certificate,
    CertificateKind,
    CertificateSettings,
    CertificateStatus,
    Posyandu,
    Puskesmas,
    Region,
    SerialCounter,
    TrainingEvent,
    TrainingParticipant,
    TrainingStatus,
    User,
    utcnow,
)
from ilp_training.models.training import Organiser, Outcome


def due_clause(event: TrainingEvent | None = None) -> sa.ColumnElement[bool]:
    """WHERE on :class:`Cadre`: a level certificate is due, or with ``event`` the
    certificate of that training (see the module rules)."""
    if event is not None:
        return _training_due_clause(event)
    current = sa.select(Certificate.id).where(
        Certificate.cadre_id == Cadre.id,
        Certificate.kind == CertificateKind.LEVEL,
        Certificate.status == CertificateStatus.VALID,
        Certificate.level_code == Cadre.level_code,
        Certificate.holder_name == Cadre.full_name,
    )
    return sa.and_(Cadre.status == CadreStatus.ACTIVE, Cadre.level_code.is_not(None),
                   ~current.exists())


def _training_due_clause(event: TrainingEvent) -> sa.ColumnElement[bool]:
    if event.status != TrainingStatus.FINISHED:
        return sa.false()
    completed = sa.select(TrainingParticipant.id).where(
        TrainingParticipant.event_id == event.id, TrainingParticipant.cadre_id == Cadre.id,
        TrainingParticipant.outcome == Outcome.COMPLETED)
    current = sa.select(Certificate.id).where(
        Certificate.cadre_id == Cadre.id,
        Certificate.kind == CertificateKind.TRAINING,
        Certificate.training_event_id == event.id,
        Certificate.status == CertificateStatus.VALID,
        Certificate.holder_name == Cadre.full_name,
    )
    return sa.and_(Cadre.status == CadreStatus.ACTIVE, completed.exists(), ~current.exists())


def settings_for(puskesmas: Puskesmas) -> CertificateSettings | None:
    """The puskesmas's own issuer settings, else its district's."""
    rows = db.session.scalars(sa.select(CertificateSettings).where(sa.or_(
        CertificateSettings.puskesmas_id == puskesmas.id,
        sa.and_(CertificateSettings.district_id == puskesmas.district_id,
                CertificateSettings.puskesmas_id.is_(None)),
    ))).all()
    own = [s for s in rows if s.puskesmas_id == puskesmas.id]
    return next(iter(own or rows), None)


@dataclass(frozen=True)
class LevelFacts:
    """What a level certificate states beyond the cadre's own row."""

    mastered: frozenset[str]  # skill codes
    assessed_by: list[str]  # the assessors' puskesmas (or district office); for results
    # transferred from paper records, the assessor the record names


def level_facts(cadre_ids: Sequence[int]) -> dict[int, LevelFacts]:
    """The mastered skills and the assessors' offices of each cadre (two queries)."""
    mastered: dict[int, set[str]] = {cid: set() for cid in cadre_ids}
    for cadre_id, code in db.session.execute(
            sa.select(CadreSkill.cadre_id, CadreSkill.skill_code)
            .where(CadreSkill.cadre_id.in_(cadre_ids))):
        mastered[cadre_id].add(code)
    offices: dict[int, set[str]] = {cid: set() for cid in cadre_ids}
    for cadre_id, puskesmas, district, paper in db.session.execute(
            sa.select(CadreSkill.cadre_id, Puskesmas.name, Region.name, Assessment.assessed_by)
            .join(Assessment, CadreSkill.assessment_id == Assessment.id)
            .join(User, Assessment.assessor_id == User.id)
            .outerjoin(Puskesmas, User.puskesmas_id == Puskesmas.id)
            .outerjoin(Region, User.district_id == Region.id)
            .where(CadreSkill.cadre_id.in_(cadre_ids)).distinct()):
        if paper is not None:  # transferred from paper: who the record names
            offices[cadre_id].add(paper)
        else:
            offices[cadre_id].add(f"Puskesmas {puskesmas}" if puskesmas is not None
                                  else f"Dinas Kesehatan {district or ''}".strip())
    return {cid: LevelFacts(frozenset(mastered[cid]), sorted(offices[cid]))
            for cid in cadre_ids}


def build_claim(cadre: Cadre, framework: Framework, settings: CertificateSettings,
                serial: str, issued_on: date, facts: LevelFacts) -> dict[str, Any]:
    """The statement a level certificate makes, as JSON-safe data in both languages
    (``facts`` from :func:`level_facts`)."""
    if cadre.level_code is None or cadre.level_since is None:
        raise ServiceError(_l("This cadre has no level to certify yet."))
    mastered = facts.mastered
    level = framework.level(cadre.level_code)
    packages = [
        {"code": p.code, "name": {"id": p.name.id, "en": p.name.en},
         "skills": [{"code": s.code, "name": {"id": s.name.id, "en": s.name.en}}
                    for s in p.skills if s.code in mastered]}
        for p in framework.packages if any(s.code in mastered for s in p.skills)
    ]
    return {
        "kind": CertificateKind.LEVEL.value, "holder_name": cadre.full_name,
        "level": {"code": level.code, "name": {"id": level.name.id, "en": level.name.en}},
        "badges": len(mastered), "reached_on": cadre.level_since.isoformat(),
        "packages": packages, "assessed_by": facts.assessed_by,
        "posyandu": cadre.posyandu.name, "village": cadre.posyandu.village.name,
        "issuer": _issuer(settings), "serial": serial, "issued_on": issued_on.isoformat(),
        "framework": {"id": framework.id, "version": framework.version},
    }


def build_training_claim(cadre: Cadre, event: TrainingEvent, framework: Framework,
                         settings: CertificateSettings, serial: str, issued_on: date
                         ) -> dict[str, Any]:
    """The statement a training certificate makes: the cadre completed ``event``."""
    codes = {s.skill_code for s in event.skills}
    skills = [{"code": s.code, "name": {"id": s.name.id, "en": s.name.en}}
              for p in framework.packages for s in p.skills if s.code in codes]
    if event.organiser == Organiser.PARTNER and event.partner_name:
        organiser = event.partner_name
    elif event.puskesmas is not None:
        organiser = f"Puskesmas {event.puskesmas.name}"
    else:
        organiser = f"Dinas Kesehatan {event.district.name}"
    return {
        "kind": CertificateKind.TRAINING.value, "holder_name": cadre.full_name,
        "event": {"id": event.id, "title": event.title, "type": event.type.value,
                  "start_date": event.start_date.isoformat(),
                  "end_date": event.end_date.isoformat(), "venue": event.venue,
                  "organiser": organiser},
        "skills": skills, "posyandu": cadre.posyandu.name,
        "village": cadre.posyandu.village.name,
        "issuer": _issuer(settings), "serial": serial, "issued_on": issued_on.isoformat(),
        "framework": {"id": framework.id, "version": framework.version},
    }


def _issuer(settings: CertificateSettings) -> dict[str, Any]:
    return {"name": settings.issuer_name, "place": settings.place,
            "signatory_name": settings.signatory_name,
            "signatory_title": settings.signatory_title,
            "signatory_nip": settings.signatory_nip}


def lock_cadres(cadre_ids: Sequence[int]) -> None:
    """Hold the cadres' rows until the transaction ends, so that two transactions issuing
    for one cadre run one after the other and the second sees the first's certificate.

    PostgreSQL: ``SELECT ... FOR UPDATE`` in id order (no deadlock between two batches).
    SQLite: nothing to do, every transaction holds the write lock from its ``BEGIN
    IMMEDIATE`` (``database.py``).
    """
    if cadre_ids and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Cadre.id).where(Cadre.id.in_(sorted(set(cadre_ids))))
                           .order_by(Cadre.id).with_for_update())


def current_certificate(cadre: Cadre, event: TrainingEvent | None = None
                        ) -> Certificate | None:
    """The valid certificate that already states the cadre's claim: their level under
    the current name, or with ``event`` that training under the current name."""
    stmt = sa.select(Certificate).where(
        Certificate.cadre_id == cadre.id, Certificate.status == CertificateStatus.VALID,
        Certificate.holder_name == cadre.full_name)
    if event is None:
        stmt = stmt.where(Certificate.kind == CertificateKind.LEVEL,
                          Certificate.level_code == cadre.level_code)
    else:
        stmt = stmt.where(Certificate.kind == CertificateKind.TRAINING,
                          Certificate.training_event_id == event.id)
    return db.session.scalar(stmt)


def void_serials(actor: User | None, job_id: int, serials: Sequence[str], reason: str
                 ) -> None:
    """Record in the audit log that ``serials`` were taken but are on no certificate
    (those that are on one are left out), so that the gap they leave is explained."""
    used = set(db.session.scalars(sa.select(Certificate.serial).where(
        Certificate.serial.in_(list(serials)))))
    unused = sorted(set(serials) - used)
    if unused:
        audit.record(actor, "void_serials", "bulk_job", job_id,
                     {"serials": [None, unused], "reason": [None, reason]})


def allocate_serials(district: Region, year: int, count: int) -> list[str]:
    """``count`` new serial numbers for ``district`` and ``year`` (atomic increment)."""
    code = district.code.replace(".", "")
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SerialCounter)
    db.session.execute(insert.values(district_code=code, year=year, last=0)
                       .on_conflict_do_nothing())
    last = db.session.execute(
        sa.update(SerialCounter)
        .where(SerialCounter.district_code == code, SerialCounter.year == year)
        .values(last=SerialCounter.last + count).returning(SerialCounter.last)
    ).scalar_one()
    return [f"{code}-{year}-{n:06d}" for n in range(last - count + 1, last + 1)]


@dataclass(frozen=True)
class Prepared:
    """A certificate ready to render: its claim, code and settings, and its bit in the
    issuer's status list (given with the serial, so that the page may print it)."""

    cadre_id: int
    cadre: Cadre
    claim: dict[str, Any]
    code: str
    settings: CertificateSettings
    event_id: int | None = None
    status_index: int | None = None


def prepare(cadres: Sequence[Cadre], framework: Framework, today: date,
            event: TrainingEvent | None = None, reserved: dict[int, str] | None = None,
            serials_of: Callable[[Region, int, int], list[str]] = allocate_serials,
            status_of: Callable[[str, int], list[int]] = allocate_status_indexes,
            ) -> tuple[list[Prepared], list[tuple[Cadre, str]]]:
    """Claims for the cadres whose certificate (their level, or with ``event`` that
    training) can be issued, and the refusals by cadre. A training certificate is signed
    for the puskesmas that ran the event, or the district for a district-wide one.
    A cadre with a serial in ``reserved`` (a bulk part run again) keeps it; the others
    get new ones (refused cadres take none), numbered by ``serials_of``
    (:func:`allocate_serials`; :func:`next_serials` for a draft). Each accepted cadre also
    gets its credential's status-list index from ``status_of`` (a bulk part run again
    takes new ones: an unused index is an unset bit, harmless)."""
    reserved = reserved or {}
    accepted: list[tuple[Cadre, CertificateSettings]] = []
    refused: list[tuple[Cadre, str]] = []
    settings_of: dict[int | None, CertificateSettings | None] = {}
    for cadre in cadres:
        key = cadre.posyandu.puskesmas_id if event is None else None
        if key not in settings_of:
            settings_of[key] = (settings_for(cadre.posyandu.puskesmas) if event is None
                                else _event_settings(event))
        settings = settings_of[key]
        problem = _problem(cadre, settings, event)
        if problem:
            refused.append((cadre, problem))
        else:
            assert settings is not None
            accepted.append((cadre, settings))
    serials: dict[int, list[str]] = {}  # one allocation per district, in cadre order
    for cadre, settings in accepted:
        if cadre.id not in reserved:
            serials.setdefault(settings.district_id, []).append("")
    for district_id, slots in serials.items():
        slots[:] = serials_of(db.session.get_one(Region, district_id), today.year, len(slots))
        slots.reverse()
    indexes: dict[int, list[int]] = {}  # one allocation per issuing district
    for _cadre, settings in accepted:
        indexes.setdefault(settings.district_id, []).append(0)
    for district_id, places in indexes.items():
        places[:] = status_of(db.session.get_one(Region, district_id).code, len(places))
        places.reverse()
    training_framework = (framework_for(event.framework_id, event.framework_version)
                          if event is not None else None)
    facts = level_facts([c.id for c, _s in accepted]) if training_framework is None else {}
    ready = []
    for cadre, settings in accepted:
        serial = reserved.get(cadre.id) or serials[settings.district_id].pop()
        if training_framework is None:
            claim = build_claim(cadre, framework, settings, serial, today, facts[cadre.id])
        else:
            assert event is not None
            claim = build_training_claim(cadre, event, training_framework, settings, serial,
                                         today)
        ready.append(Prepared(cadre.id, cadre, claim, secrets.token_urlsafe(16), settings,
                              event.id if event is not None else None,
                              indexes[settings.district_id].pop()))
    return ready, refused


def _event_settings(event: TrainingEvent) -> CertificateSettings | None:
    if event.puskesmas is not None:
        return settings_for(event.puskesmas)
    return db.session.scalar(sa.select(CertificateSettings).where(
        CertificateSettings.district_id == event.district_id,
        CertificateSettings.puskesmas_id.is_(None)))


def _problem(cadre: Cadre, settings: CertificateSettings | None,
             event: TrainingEvent | None) -> str | None:
    if settings is None:
        return str(_l("The district has not set up its certificate signatory yet."))
    if cadre.status != CadreStatus.ACTIVE:
        return str(_l("The cadre is not active."))
    if event is None and cadre.level_code is None:
        return str(_l("The cadre has no level to certify."))
    missing = missing_glyphs(cadre.full_name)
    if missing:
        return str(_l("The name has letters the certificate font cannot print: %(chars)s",
                      chars=missing))
    return None


def page_for(item: Prepared, language: str) -> dict[str, Any]:
    """The page of a prepared certificate, its QR code signed (``signed_qr``) with the
    district's key; the address alone while the district has no key that can sign (its
    credential is pending, its PDF frozen so)."""
    emblem = emblem_data_uri(item.settings.emblem, item.settings.emblem_mime)
    url = verification_url(item.code)
    try:
        qr_text = url if item.status_index is None else sign_qr(item.claim,
                                                               item.status_index, url)
    except KeyUnavailable:
        qr_text = url
    return page_context(item.claim, language, url, emblem, qr_text)


def store(actor: User, issued: Sequence[tuple[Prepared, bytes]], language: str, today: date,
          bulk_job_id: int | None = None
          ) -> tuple[list[Certificate], list[tuple[Prepared, str]]]:
    """Store issued certificates with their frozen bytes, each superseding the cadre's
    previous valid one (of the level, or of the same training); a few queries and
    flushes for the whole batch.

    The cadres are locked (:func:`lock_cadres`) and looked at again: a certificate whose
    claim is no longer the cadre's due one (issued meanwhile by another request or job,
    or the level or name changed since it was rendered) is not stored but returned with
    the reason, so nothing is issued twice. Returns the stored certificates (in the
    order given) and those left out.
    """
    if not issued:
        return [], []
    kind = CertificateKind.LEVEL if issued[0][0].event_id is None else CertificateKind.TRAINING
    event_id = issued[0][0].event_id
    if any(item.event_id != event_id for item, _pdf in issued):
        raise ValueError("a batch is of one kind: one training, or levels")
    ids = [item.cadre_id for item, _pdf in issued]
    lock_cadres(ids)
    event = db.session.get(TrainingEvent, event_id) if event_id is not None else None
    due = {cid: (level, name) for cid, level, name in db.session.execute(
        sa.select(Cadre.id, Cadre.level_code, Cadre.full_name)
        .where(Cadre.id.in_(ids), due_clause(event)))}
    keep: list[tuple[Prepared, bytes]] = []
    dropped: list[tuple[Prepared, str]] = []
    for item, pdf in issued:
        current = due.get(item.cadre_id)
        if current is None:
            dropped.append((item, str(_l("Already issued, or no longer due."))))
        elif current[1] != item.claim["holder_name"] or (
                event_id is None and current[0] != item.claim["level"]["code"]):
            dropped.append((item, str(_l("The cadre's level or name changed meanwhile."))))
        else:
            keep.append((item, pdf))
    if not keep:
        return [], dropped
    previous: dict[int, list[Certificate]] = {}
    for old in db.session.scalars(sa.select(Certificate).where(
            Certificate.cadre_id.in_([item.cadre_id for item, _pdf in keep]),
            Certificate.kind == kind,
            Certificate.training_event_id.is_(None) if event_id is None
            else Certificate.training_event_id == event_id,
            Certificate.status == CertificateStatus.VALID).order_by(Certificate.id)):
        previous.setdefault(old.cadre_id, []).append(old)
        old.status = CertificateStatus.SUPERSEDED  # first: one valid per claim (index)
    db.session.flush()
    certs = [Certificate(
        kind=kind, cadre_id=item.cadre_id, holder_name=item.claim["holder_name"],
        level_code=item.claim["level"]["code"] if event_id is None else None,
        training_event_id=event_id,
        serial=item.claim["serial"], verify_code=item.code,
        language=language, claim=item.claim, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(),
        issued_on=today, issued_by=actor, bulk_job_id=bulk_job_id,
        status_index=item.status_index,
    ) for item, pdf in keep]
    db.session.add_all(certs)
    db.session.flush()
    for cert in certs:
        older = previous.get(cert.cadre_id, [])
        for old in older:
            old.superseded_by_id = cert.id
        audit.record(actor, "issue", "certificate", cert.id, {
            "serial": [None, cert.serial], "cadre_id": [None, cert.cadre_id],
            "superseded": [None, [c.serial for c in older]]})
    attach_credentials(certs)  # signed in this transaction, or pending without a key
    db.session.flush()
    return certs, dropped


@dataclass(frozen=True)
class Issued:
    """The answer to "issue this certificate": the valid certificate of the claim, and
    whether this call made it (``False``: it had been issued already)."""

    certificate: Certificate
    new: bool


def issue_certificate(actor: User, cadre: Cadre, framework: Framework, language: str,
                      today: date, event: TrainingEvent | None = None,
                      draft: Draft | None = None) -> Issued:
    """Issue one certificate now (rendered in the request: one page): the cadre's level,
    or with ``event`` the completion of that training. Asked again (a second click, a
    second request at the same moment), it returns the certificate already issued: the
    cadre is locked first, so the second asker waits and then finds it. A ``draft``
    rendered before the lock (:func:`draft_certificate`) is stored if it shows exactly
    this certificate, else the page is rendered again here."""
    if language not in ("id", "en"):
        raise ServiceError(_l("Choose a language."), "language")
    lock_cadres([cadre.id])
    db.session.refresh(cadre)
    existing = current_certificate(cadre, event)
    if existing is not None:
        return Issued(existing, new=False)
    if event is not None and not is_due(cadre, event):
        raise ServiceError(_l("No certificate of this training is due for this cadre."))
    ready, refused = prepare([cadre], framework, today, event)
    if refused:
        raise ServiceError(refused[0][1])
    item, pdf = _rendered(ready[0], language, draft)
    certs, dropped = store(actor, [(item, pdf)], language, today)
    if dropped:  # not under the lock just taken; kept as a guard
        raise ServiceError(dropped[0][1])
    return Issued(certs[0], new=True)


def revoke_certificate(actor: User, cert: Certificate, reason: str) -> None:
    """Revoke a certificate with a reason (kept for the staff); the public page shows the
    revocation at once, without the reason."""
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError(_l("Give the reason for revoking."), "reason")
    if cert.status == CertificateStatus.REVOKED:
        raise ServiceError(_l("This certificate is already revoked."))
    before = cert.status.value
    cert.status, cert.revoked_at, cert.revoked_by = CertificateStatus.REVOKED, utcnow(), actor
    cert.revoke_reason = reason
    audit.record(actor, "revoke", "certificate", cert.id,
                 {"status": [before, "revoked"], "reason": [None, reason]})
    db.session.flush()


def find_by_code(code: str) -> Certificate | None:
    if not code or len(code) > 40:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.verify_code == code))


def find_by_pdf(data: bytes) -> Certificate | None:
    """The issued certificate whose stored bytes are exactly ``data`` (SHA-256 match)."""
    digest = hashlib.sha256(data).hexdigest()
    return db.session.scalar(sa.select(Certificate).where(Certificate.sha256 == digest))


def public_claim(cert: Certificate) -> dict[str, Any]:
    """What anyone may see: the stored claim and the status (for a revoked certificate,
    since when). No NIK, phone, birth date; nor the reason for revoking, free text an
    admin typed for the staff (it may name a person or an illness)."""
    newer = cert.superseded_by
    claim = cert.claim
    if cert.kind == CertificateKind.TRAINING:
        what = {"event": {k: v for k, v in claim["event"].items() if k != "id"},
                "skills": claim["skills"]}
    else:
        what = {"level": claim["level"], "badges": claim["badges"],
                "reached_on": claim["reached_on"], "packages": claim["packages"],
                "assessed_by": claim["assessed_by"]}
    return {
        "serial": cert.serial, "status": cert.status.value, "kind": cert.kind.value,
        "holder_name": claim["holder_name"], **what,
        "issuer": {"name": cert.claim["issuer"]["name"],
                   "signatory_name": cert.claim["issuer"]["signatory_name"],
                   "signatory_title": cert.claim["issuer"]["signatory_title"]},
        "issued_on": cert.issued_on.isoformat(),
        "superseded_by": newer.verify_code if newer is not None else None,
        "revoked_on": cert.revoked_at.date().isoformat() if cert.revoked_at else None,
    }


def cadres_due(scope: sa.ColumnElement[bool], event: TrainingEvent | None = None
               ) -> list[Cadre]:
    """Active cadres with a due certificate (level, or of ``event``) among the posyandu
    that ``scope`` (a WHERE on :class:`Posyandu`) selects, by posyandu then name."""
    return list(db.session.scalars(
        sa.select(Cadre).join(Posyandu, Posyandu.id == Cadre.posyandu_id)
        .where(scope, due_clause(event)).order_by(Posyandu.name, Cadre.full_name)))


def due_by_posyandu(scope: sa.ColumnElement[bool]) -> Sequence[tuple[int, str, int]]:
    """(posyandu id, name, level certificates due) for each posyandu that ``scope``
    selects and that has any, by name: one query."""
    return db.session.execute(
        sa.select(Posyandu.id, Posyandu.name, sa.func.count(Cadre.id))
        .join(Cadre, Cadre.posyandu_id == Posyandu.id)
        .where(scope, due_clause())
        .group_by(Posyandu.id, Posyandu.name).order_by(Posyandu.name)).all()


def due_by_training(scope: sa.ColumnElement[bool], events: Sequence[TrainingEvent]
                    ) -> list[tuple[TrainingEvent, int]]:
    """The ``events`` with certificates due for cadres of the posyandu that ``scope``
    selects, each with the number due (a count query per event)."""
    counted = []
    for event in events:
        due = db.session.scalar(
            sa.select(sa.func.count(Cadre.id)).join(Posyandu, Posyandu.id == Cadre.posyandu_id)
            .where(scope, due_clause(event)))
        if due:
            counted.append((event, due))
    return counted


def trainings_due(cadre: Cadre) -> list[TrainingEvent]:
    """The finished trainings the cadre completed whose certificate is due."""
    events = db.session.scalars(
        sa.select(TrainingEvent).join(TrainingParticipant,
                                      TrainingParticipant.event_id == TrainingEvent.id)
        .where(TrainingParticipant.cadre_id == cadre.id,
               TrainingParticipant.outcome == Outcome.COMPLETED,
               TrainingEvent.status == TrainingStatus.FINISHED)
        .order_by(TrainingEvent.end_date.desc())).all()
    return [e for e in events if is_due(cadre, e)]


def certificates_of(cadre: Cadre) -> list[Certificate]:
    """Every certificate of a cadre, newest first (by serial, as the certificate list)."""
    return list(db.session.scalars(sa.select(Certificate).where(Certificate.cadre_id == cadre.id)
                                   .order_by(Certificate.serial.desc())))


def is_due(cadre: Cadre, event: TrainingEvent | None = None) -> bool:
    """Whether the cadre's level certificate (or that of ``event``) is due."""
    stmt = sa.select(Cadre.id).where(Cadre.id == cadre.id, due_clause(event))
    return db.session.scalar(stmt) is not None


# Drafting before the write lock (ilp_training/database.py): the single issue renders
# its page in a reading transaction, then stores it in a short writing one.


@dataclass(frozen=True)
class Draft:
    """A certificate page rendered ahead, with the serial the next issue would get."""

    code: str
    page: dict[str, Any]
    pdf: bytes


def next_serials(district: Region, year: int, count: int) -> list[str]:
    """The serials :func:`allocate_serials` would give now (read only, nothing taken)."""
    code = district.code.replace(".", "")
    last = db.session.scalar(sa.select(SerialCounter.last).where(
        SerialCounter.district_code == code, SerialCounter.year == year)) or 0
    return [f"{code}-{year}-{n:06d}" for n in range(last + 1, last + count + 1)]


def draft_certificate(cadre: Cadre, framework: Framework, language: str, today: date,
                      event: TrainingEvent | None = None) -> Draft | None:
    """Render, without writing, the certificate :func:`issue_certificate` would issue
    now; ``None`` when it would refuse (it then says why)."""
    if language not in ("id", "en") or not is_due(cadre, event):
        return None
    ready, refused = prepare([cadre], framework, today, event, serials_of=next_serials,
                             status_of=next_status_indexes)
    if refused:
        return None
    page = page_for(ready[0], language)
    return Draft(ready[0].code, page, render_certificates([page]))


def _rendered(item: Prepared, language: str, draft: Draft | None) -> tuple[Prepared, bytes]:
    """The certificate's PDF: the draft's when its page is this one (same claim, serial
    and emblem; the draft's verification code is kept), else rendered now."""
    if draft is not None:
        drafted = dataclasses.replace(item, code=draft.code)
        if page_for(drafted, language) == draft.page:
            return drafted, draft.pdf
    return item, render_certificates([page_for(item, language)])
