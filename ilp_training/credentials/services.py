"""Open Badges 3.0 credentials of issued certificates, signed as VC-JWTs, and the
issuers' Bitstring Status Lists.

Rules:

- Every certificate (level or training) gets, in the transaction that issues it, an
  ``OpenBadgeCredential`` (W3C VC 2.0 data model) signed by its district's current key
  (:mod:`ilp_training.credentials.keys`) as a VC-JWT: JOSE compact, header ``alg: EdDSA``,
  ``typ: vc+jwt``, ``cty: vc``, ``kid``; the payload is the credential itself plus
  ``iss`` (the issuer id) and ``iat`` (the signing time, seconds). It is stored frozen
  (``certificates.credential_jwt``) like the PDF.
- The subject is the name as the certificate prints it (an OB 3.0 ``IdentityObject`` of
  type ``name``); no NIK, phone, birth date, posyandu or village.
- When the district has no key that can sign now the certificate is still issued and its
  credential is *pending* (NULL); ``flask credentials issue-missing`` signs the pending
  ones later, with the claim frozen at issue (nothing is refused for want of a key).
- Each credential holds one bit of its issuer's status list (``status_index``, unique per
  issuer, from a counter that only increases: :func:`allocate_status_indexes`), given
  with the serial when the certificate is prepared (``issuing.prepare``), so that the
  printed page can carry it; a certificate stored without one gets it here. The list
  (:func:`status_list_credential`) is built from the database on each request, so a
  revocation shows at once; a superseded certificate is not revoked (it stated a truth
  of its day).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ilp_training.certificates.services.documents import verification_url
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_now
from ilp_training.credentials import keys
from ilp_training.credentials.issuers import OB_CONTEXT, VC_CONTEXT, issuer_profile
from ilp_training.models import (
    Certificate,
    CertificateKind,
    CertificateStatus,
    Region,
    StatusListCounter,
)

STATUS_LIST_BITS = 131_072  # the minimum length (16 KB), for herd privacy
MEDIA_TYPE = "application/vc+jwt"

_TRAINING_TYPES = {
    "basic": ("pelatihan keterampilan dasar", "basic skills training"),
    "refresher": ("penyegaran", "refresher"),
    "orientation": ("orientasi", "orientation"),
    "field_practice": ("praktik kerja lapangan (PKL)", "field practice"),
    "on_the_job": ("pelatihan di tempat kerja", "on-the-job training"),
}


def _name(text_id: str, text_en: str) -> str:
    """A name in both languages as one plain string, Indonesian first (OB 3.0's JSON
    Schema wants a string, not VC 2.0 language value objects; see docs/credentials.md)."""
    return text_id if text_id == text_en else f"{text_id} / {text_en}"


def _text(text_id: str, text_en: str) -> str:
    """A description in both languages: the Indonesian paragraph, then the English one
    (as the criteria narrative)."""
    return f"{text_id}\n\n{text_en}"


def _skills_markdown(skills: Sequence[dict[str, Any]], lang: str) -> str:
    return "\n".join(f"- {s['code']} {s['name'][lang]}" for s in skills)


def achievement(claim: dict[str, Any]) -> dict[str, Any]:
    """The OB 3.0 ``Achievement`` a certificate's claim states: the level (the mastered
    skills as the criteria) or the training (its skills), in Indonesian and English."""
    framework = claim["framework"]
    if claim["kind"] == CertificateKind.TRAINING.value:
        event = claim["event"]
        kind_id, kind_en = _TRAINING_TYPES.get(event["type"], (event["type"], event["type"]))
        skills = claim["skills"]
        return {
            "id": f"urn:ilp-training:achievement:training:{event['id']}",
            "type": ["Achievement"], "achievementType": "Course",
            "name": _name(event["title"], event["title"]),
            "description": _text(
                f"Menyelesaikan {kind_id} \"{event['title']}\" ({event['start_date']} s.d. "
                f"{event['end_date']}), diselenggarakan oleh {event['organiser']}.",
                f"Completed the {kind_en} \"{event['title']}\" ({event['start_date']} to "
                f"{event['end_date']}), organised by {event['organiser']}."),
            "criteria": {"narrative": (
                "Keterampilan yang dilatih:\n" + _skills_markdown(skills, "id")
                + "\n\nSkills trained:\n" + _skills_markdown(skills, "en"))},
            "inLanguage": "id",
        }
    level = claim["level"]
    skills = [s for p in claim["packages"] for s in p["skills"]]
    return {
        "id": (f"urn:ilp-training:achievement:level:{framework['id']}:"
               f"{framework['version']}:{level['code']}"),
        "type": ["Achievement"], "achievementType": "Competency",
        "name": _name(f"Kader ILP tingkat {level['name']['id']}",
                      f"ILP cadre, {level['name']['en']} level"),
        "description": _text(
            f"Menguasai {claim['badges']} keterampilan dasar kader ILP dan mencapai tingkat "
            f"kecakapan {level['name']['id']} pada {claim['reached_on']}.",
            f"Mastered {claim['badges']} basic ILP cadre skills and reached the "
            f"{level['name']['en']} proficiency level on {claim['reached_on']}."),
        "criteria": {"narrative": (
            "Keterampilan yang dikuasai (dinilai oleh asesor):\n" + _skills_markdown(skills, "id")
            + "\n\nSkills mastered (observed by an assessor):\n"
            + _skills_markdown(skills, "en"))},
        "inLanguage": "id",
    }


def build_credential(cert: Certificate, issuer: dict[str, Any], status_url: str,
                     zone: tzinfo) -> dict[str, Any]:
    """The unsigned ``OpenBadgeCredential`` of ``cert`` (its frozen claim), issued by
    ``issuer`` (an OB 3.0 Profile without ``@context``), its status bit in ``status_url``;
    ``validFrom`` is the start of the issue day in the site's zone ``zone``."""
    claim = cert.claim
    valid_from = datetime.combine(cert.issued_on, time(), zone)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                        "identityHash": claim["holder_name"]}],
        "achievement": achievement(claim),
    }
    if cert.kind == CertificateKind.TRAINING:
        subject["activityStartDate"] = _start_of(claim["event"]["start_date"], zone)
        subject["activityEndDate"] = _start_of(claim["event"]["end_date"], zone)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": verification_url(cert.verify_code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": _name(f"Sertifikat {claim['serial']}", f"Certificate {claim['serial']}"),
        "issuer": issuer,
        "validFrom": valid_from.isoformat(),
        "credentialSubject": subject,
        "credentialStatus": {
            "id": f"{status_url}#{cert.status_index}", "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": str(cert.status_index),
            "statusListCredential": status_url,
        },
    }


def _start_of(day: str, zone: tzinfo) -> str:
    return datetime.combine(date.fromisoformat(day), time(), zone).isoformat()


def allocate_status_indexes(issuer_code: str, count: int) -> list[int]:
    """``count`` new status-list indexes of the issuer (0, 1, 2, …), by one atomic
    increment of its counter: concurrent issues never get the same index."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(StatusListCounter)
    db.session.execute(insert.values(issuer_code=issuer_code, last=0)
                       .on_conflict_do_nothing())
    last = db.session.execute(
        sa.update(StatusListCounter).where(StatusListCounter.issuer_code == issuer_code)
        .values(last=StatusListCounter.last + count).returning(StatusListCounter.last)
    ).scalar_one()
    return list(range(last - count, last))


def next_status_indexes(issuer_code: str, count: int) -> list[int]:
    """The indexes :func:`allocate_status_indexes` would give now (read only: a draft)."""
    last = db.session.scalar(sa.select(StatusListCounter.last).where(
        StatusListCounter.issuer_code == issuer_code)) or 0
    return list(range(last, last + count))


def sign(payload: dict[str, Any], issuer_code: str, now: datetime) -> str:
    """The VC-JWT of ``payload`` (its ``iss`` and ``iat`` added), signed with the issuer's
    current key; :class:`keys.KeyUnavailable` when it has none."""
    claims = {**payload, "iss": payload["issuer"]["id"], "iat": int(now.timestamp())}
    body = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    _kid, token = keys.sign_compact(issuer_code, body, "vc+jwt", {"cty": "vc"})
    return token


def attach_credentials(certs: Sequence[Certificate]) -> int:
    """Give each newly issued certificate its issuer, its status index if it has none
    (one allocation per issuer) and its signed credential; returns how many stay pending
    (no key that signs now). Flushes."""
    if not certs:
        return 0
    by_issuer: dict[str, list[Certificate]] = {}
    for cert in certs:
        code = _issuer_code(cert)
        cert.credential_issuer = code
        by_issuer.setdefault(code, []).append(cert)
    pending = 0
    now = local_now()
    zone = now.tzinfo
    assert zone is not None
    for code, group in by_issuer.items():
        pending += _sign_group(code, group, now, zone)
    db.session.flush()
    return pending


def _issuer_code(cert: Certificate) -> str:
    """The regency code of the district whose settings signed the certificate (the
    serial starts with it: ``7414-2026-000123``)."""
    compact = cert.serial.split("-", 1)[0]
    return keys.normalise_code(compact)


def _sign_group(code: str, group: Sequence[Certificate], now: datetime, zone: tzinfo
                ) -> int:
    todo = [c for c in group if c.status_index is None]
    if todo:
        for cert, index in zip(todo, allocate_status_indexes(code, len(todo)), strict=True):
            cert.status_index = index
    try:
        keys.signing_key(code)
    except keys.KeyUnavailable:
        return len(group)
    region = db.session.scalar(sa.select(Region).where(Region.code == code))
    assert region is not None
    issuer = issuer_profile(region, context=False)
    status_url = keys.status_list_url(code)
    for cert in group:
        cert.credential_jwt = sign(build_credential(cert, issuer, status_url, zone), code, now)
    return 0


def sign_pending(after_id: int = 0, limit: int = 500) -> tuple[int, int, int | None]:
    """Sign the pending credentials of up to ``limit`` certificates with an id above
    ``after_id`` (revoked ones too, with their bit set: a holder may still present one).
    Returns (signed, still pending, the last id looked at; ``None`` when none was left)."""
    certs = list(db.session.scalars(
        sa.select(Certificate).where(Certificate.credential_jwt.is_(None),
                                     Certificate.id > after_id)
        .order_by(Certificate.id).limit(limit)))
    if not certs:
        return 0, 0, None
    left = attach_credentials(certs)
    return len(certs) - left, left, certs[-1].id


# -- the status list -------------------------------------------------------------------


def revoked_indexes(issuer_code: str) -> list[int]:
    """The status indexes of the issuer's revoked credentials, ascending."""
    return list(db.session.scalars(
        sa.select(Certificate.status_index).where(
            Certificate.credential_issuer == issuer_code,
            Certificate.status == CertificateStatus.REVOKED,
            Certificate.status_index.is_not(None)).order_by(Certificate.status_index)))


def encode_bits(indexes: Sequence[int], size: int) -> str:
    """The Bitstring Status List ``encodedList``: ``size`` bits, bit ``i`` the ``i``-th
    from the left (the most significant bit of byte 0 is index 0), GZIP-compressed,
    base64url without padding, with the multibase prefix ``u``."""
    data = bytearray(size // 8)
    for i in indexes:
        data[i // 8] |= 0x80 >> (i % 8)
    packed = gzip.compress(bytes(data), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def decode_bits(encoded: str) -> bytes:
    """The bytes of an ``encodedList`` (the inverse of :func:`encode_bits`)."""
    if not encoded.startswith("u"):
        raise ValueError("not multibase base64url")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def bit_is_set(bits: bytes, index: int) -> bool:
    return index // 8 < len(bits) and bool(bits[index // 8] & (0x80 >> (index % 8)))


@dataclass(frozen=True)
class StatusList:
    """An issuer's signed status list and an entity tag of its content."""

    token: str
    etag: str


def status_list_credential(region: Region) -> StatusList:
    """The issuer's ``BitstringStatusListCredential`` (purpose revocation), signed as a
    VC-JWT with its current key, built now from the revoked certificates; at least
    :data:`STATUS_LIST_BITS` bits, more in steps of that when the indexes need it."""
    code = region.code
    revoked = revoked_indexes(code)
    last = db.session.scalar(sa.select(StatusListCounter.last).where(
        StatusListCounter.issuer_code == code)) or 0
    size = max(1, -(-last // STATUS_LIST_BITS)) * STATUS_LIST_BITS
    url = keys.status_list_url(code)
    encoded = encode_bits(revoked, size)
    now = local_now()
    payload = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": keys.issuer_id(code),
        "validFrom": now.astimezone(UTC).isoformat(timespec="seconds"),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encoded},
    }
    claims = {**payload, "iss": payload["issuer"], "iat": int(now.timestamp())}
    body = json.dumps(claims, separators=(",", ":")).encode()
    _kid, token = keys.sign_compact(code, body, "vc+jwt", {"cty": "vc"})
    etag = hashlib.sha256(f"{encoded}|{_kid}".encode()).hexdigest()[:32]
    return StatusList(token, etag)
