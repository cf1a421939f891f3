"""The issuers (district health offices) as Open Badges 3.0 ``Profile`` documents."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.credentials.keys import issuer_id, normalise_code
from ilp_training.models import CertificateSettings, Region, RegionLevel

#: The JSON-LD contexts every document of this area names (not fetched to sign or verify
#: a VC-JWT; listed in docs/credentials.md).
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def regency(code: str) -> Region | None:
    """The regency (kabupaten/kota) with the official ``code`` (``74.14`` or ``7414``)."""
    try:
        code = normalise_code(code)
    except ValueError:
        return None
    return db.session.scalar(sa.select(Region).where(
        Region.code == code, Region.level == RegionLevel.REGENCY))


def issuer_name(region: Region) -> str:
    """The district health office's name: the district certificate settings' issuer,
    else ``Dinas Kesehatan Kabupaten/Kota <name>``."""
    name = db.session.scalar(sa.select(CertificateSettings.issuer_name).where(
        CertificateSettings.district_id == region.id,
        CertificateSettings.puskesmas_id.is_(None)))
    return name or f"Dinas Kesehatan {region.kind.capitalize()} {region.name}"


def issuer_profile(region: Region, base_url: str | None = None, *, context: bool = True
                   ) -> dict[str, Any]:
    """The issuer's OB 3.0 ``Profile``: its id (a URL of this site), name, the region as
    its address and the Kemendagri code as an identifier. ``context=False`` leaves out
    ``@context`` (the profile embedded in a credential)."""
    province = region.parent
    profile: dict[str, Any] = {
        "id": issuer_id(region.code, base_url),
        "type": ["Profile"],
        "name": issuer_name(region),
        "address": {"type": ["Address"], "addressCountry": "ID",
                    "addressLocality": f"{region.kind.capitalize()} {region.name}",
                    **({"addressRegion": province.name} if province is not None else {})},
        "otherIdentifier": [{"type": "IdentifierEntry", "identifier": region.code,
                             "identifierType": "identifier"}],
    }
    if context:
        profile = {"@context": [VC_CONTEXT, OB_CONTEXT], **profile}
    return profile
