"""Demo issuer settings for Kabupaten Buton Tengah (names are examples, not officials)."""

from __future__ import annotations

from pathlib import Path

from ilp_training.core.extensions import db
from ilp_training.models import CertificateSettings, Region

EMBLEM = Path(__file__).with_name("emblem.svg")


def load_demo_certificate_settings(district: Region) -> None:
    db.session.add(CertificateSettings(
        district=district,
        issuer_name="Dinas Kesehatan Kabupaten Buton Tengah",
        signatory_name="dr. Wa Ode Contoh, M.Kes.",
        signatory_title="Kepala Dinas Kesehatan Kabupaten Buton Tengah",
        signatory_nip="197501012005012001",
        place="Labungkari",
        emblem=EMBLEM.read_bytes(),
        emblem_mime="image/svg+xml",
    ))
