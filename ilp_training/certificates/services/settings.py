"""Issuer settings for certificates: emblem and signatory, per district or puskesmas."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import sqlalchemy as sa
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from ilp_training.core import audit
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.models import (
    CertificateSettings,
    Puskesmas,
    Region,
    User,
)

MAX_EMBLEM_BYTES = 512 * 1024
MAX_EMBLEM_PIXELS = 2000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NIP_RE = re.compile(r"^\d{18}$")


@dataclass(frozen=True)
class IssuerData:
    issuer_name: str
    signatory_name: str
    signatory_title: str
    signatory_nip: str | None
    place: str


def check_emblem(data: bytes) -> str:
    """The MIME type of a valid emblem, or :class:`ServiceError`.

    Valid: a PNG (at most 2000 × 2000 pixels) or an SVG with no script, no foreign
    object and no reference outside itself; at most 512 KiB either way.
    """
    if len(data) > MAX_EMBLEM_BYTES:
        raise ServiceError(_l("The emblem file is larger than 512 KiB."), "emblem")
    if data.startswith(PNG_MAGIC):
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                width, height = image.size
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise ServiceError(_l("The PNG file is damaged."), "emblem") from exc
        if max(width, height) > MAX_EMBLEM_PIXELS:
            raise ServiceError(_l("The emblem is larger than 2000 × 2000 pixels."), "emblem")
        return "image/png"
    _check_svg(data)
    return "image/svg+xml"


def _check_svg(data: bytes) -> None:
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise ServiceError(_l("Upload the emblem as a PNG or SVG file."), "emblem") from exc
    if not root.tag.endswith("svg"):
        raise ServiceError(_l("Upload the emblem as a PNG or SVG file."), "emblem")
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag in {"script", "foreignobject"}:
            raise ServiceError(_l("The SVG file contains a script or foreign content."), "emblem")
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            external = local == "href" and not value.startswith(("#", "data:image/"))
            if local.startswith("on") or external:
                raise ServiceError(_l("The SVG file refers to something outside itself."),
                                   "emblem")


def find_settings(district: Region, puskesmas: Puskesmas | None) -> CertificateSettings | None:
    """The settings row of exactly this district (``puskesmas`` None) or puskesmas."""
    own = (CertificateSettings.puskesmas_id == puskesmas.id if puskesmas is not None
           else CertificateSettings.puskesmas_id.is_(None))
    return db.session.scalar(sa.select(CertificateSettings).where(
        CertificateSettings.district_id == district.id, own))


def save_settings(actor: User, district: Region, puskesmas: Puskesmas | None,
                  data: IssuerData, emblem: bytes | None, remove_emblem: bool = False
                  ) -> CertificateSettings:
    """Create or update the issuer settings of a district (or one of its puskesmas)."""
    clean = {k: " ".join((v or "").split()) for k, v in data.__dict__.items()}
    for field in ("issuer_name", "signatory_name", "signatory_title", "place"):
        if not clean[field]:
            raise ServiceError(_l("This field is required."), field)
    if clean["signatory_nip"] and not NIP_RE.match(clean["signatory_nip"]):
        raise ServiceError(_l("A NIP has 18 digits."), "signatory_nip")
    mime = check_emblem(emblem) if emblem else None
    row = find_settings(district, puskesmas)
    if row is None:
        row = CertificateSettings(district=district, puskesmas=puskesmas)
        db.session.add(row)
    before = {k: getattr(row, k) for k in clean}
    for key, value in clean.items():
        setattr(row, key, value)
    row.signatory_nip = clean["signatory_nip"] or None
    if mime:
        row.emblem, row.emblem_mime = emblem, mime
    elif remove_emblem:
        row.emblem, row.emblem_mime = None, None
    db.session.flush()
    changes = {k: [before[k], getattr(row, k)] for k in clean if before[k] != getattr(row, k)}
    if mime or remove_emblem:
        changes["emblem"] = [None, mime or "removed"]
    audit.record(actor, "update", "certificate_settings", row.id, changes)
    return row
