"""The signed QR code on the certificate PDF (issue 19, item 4): read back from the
rendered page with zbarimg, its JWS verified with jwcrypto (not joserfc, which signs)
against the key the site publishes, its claims those printed, its size measured; issued
singly and by the bulk job. The offline page that verifies it is
``test_verify_offline_browser.py``."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
from datetime import UTC, datetime

import pikepdf
import pytest
import sqlalchemy as sa
from jwcrypto import jwk, jws

from ilp_training.core.extensions import db
from ilp_training.credentials.keys import KeyStore
from ilp_training.models import Certificate
from tests.certificates import test_certificates as base
from tests.certificates.test_certificates import (
    BASE,
    TOOLS,
    _finished_training,
    _issue,
    _issue_training,
)

# the certificate tests' fixtures: their district (scene), people and worker
app, scene, as_coordinator, worker = base.app, base.scene, base.as_coordinator, base.worker
_public_base = base._public_base

pytestmark = [pytest.mark.dates, pytest.mark.skipif(
    not TOOLS and not os.environ.get("REQUIRE_SYSTEM_TOOLS"),
    reason="pdftoppm and zbarimg are not installed (poppler-utils, zbar-tools)")]

DPI = 300
MM_PER_INCH = 25.4
MIN_MODULE_MM = 0.45  # see docs/credentials.md, "Signed QR"


@pytest.fixture(autouse=True)
def _district_key(app, scene, monkeypatch, tmp_path):
    """The scene's district has a key that signs (since 2000: the clock may move back)."""
    KeyStore(tmp_path / "keys").create(scene.district_code, datetime(2000, 1, 1, tzinfo=UTC))
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS_DIR", str(tmp_path / "keys"))


def read_qr(pdf: bytes, tmp_path, dpi: int = DPI) -> tuple[str, float]:
    """The QR code's text on the PDF's first page read back by zbarimg from the page
    rendered at ``dpi``, and the printed size of one module in mm (the drawing's scale,
    read from the page's content: ``documents.qr_ops`` draws in modules)."""
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", "1", "-l", "1",
                    str(tmp_path / "c.pdf"), str(tmp_path / "c")], check=True)
    text = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "c.png")],
                          capture_output=True, text=True, check=True).stdout.strip()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        content = document.pages[0].obj.Contents.read_bytes().decode("latin-1")
    scales = re.findall(r"q 0 g ([\d.]+) 0 0 -[\d.]+ [\d.]+ [\d.]+ cm", content)
    assert len(scales) == 1, scales  # one QR code on the page
    return text, float(scales[0]) / 72 * MM_PER_INCH


def verified_claims(client, text: str) -> tuple[str, dict, dict]:
    """(address before '#', the JWS header, the claims) after jwcrypto verified the
    signature with the key of the header's kid from the site's published keys."""
    address, _hash, token = text.partition("#")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    published = client.get("/credentials/keys.json").get_json()
    key = next(k for k in published["keys"] if k["kid"] == header["kid"])
    verifier = jws.JWS()
    verifier.deserialize(token)
    verifier.allowed_algs = ["Ed25519", "EdDSA"]
    verifier.verify(jwk.JWK(**{k: key[k] for k in ("kty", "crv", "x")}))
    return address, header, json.loads(verifier.payload)


def modules(text: str) -> int:
    import segno

    return segno.make(text, error="m", mask=2).symbol_size(border=0)[0]


def test_the_qr_code_carries_the_signed_claim_of_a_level_certificate(
        as_coordinator, app, client, tmp_path, scene):
    cadre_id, name = scene.madya
    with app.app_context():
        cert = _issue(as_coordinator, cadre_id)
        code, serial, pdf = cert.verify_code, cert.serial, cert.pdf
        issued_on, index = cert.issued_on.isoformat(), cert.status_index
    text, module_mm = read_qr(pdf, tmp_path)
    address, header, claims = verified_claims(client, text)
    assert address == f"{BASE}/v/{code}"  # a plain camera app opens the public page
    assert header["alg"] == "EdDSA" and set(header) == {"alg", "kid"}
    assert claims == {"n": name, "l": "Madya", "d": issued_on, "i": scene.district_code,
                      "s": serial, "x": index, "v": address}
    payload = base64.urlsafe_b64decode(text.partition("#")[2].split(".")[1] + "==")
    assert json.loads(payload) == claims
    assert b" " not in payload.replace(name.encode(), b"")  # compact JSON
    # printed big enough for a phone camera (measured on the page, not from the CSS)
    assert module_mm >= MIN_MODULE_MM, (module_mm, modules(text))
    # the plain camera's address still works, fragment and all (the browser drops it)
    assert client.get(address[len(BASE):] + ".json").get_json()["serial"] == serial


def test_a_tampered_qr_code_fails_the_independent_check(as_coordinator, app, client,
                                                        tmp_path, scene):
    from jwcrypto.jws import InvalidJWSSignature

    with app.app_context():
        pdf = _issue(as_coordinator, scene.madya[0]).pdf
    text, _mm = read_qr(pdf, tmp_path)
    address, _hash, token = text.partition("#")
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "l": "Utama"}).encode()
                                      ).rstrip(b"=").decode()
    with pytest.raises(InvalidJWSSignature):
        verified_claims(client, f"{address}#{head}.{forged}.{signature}")
    verified_claims(client, f"{address}#{head}.{payload}.{signature}")  # the untouched one


def test_training_certificates_issued_in_bulk_carry_their_signed_claim(
        as_coordinator, app, client, worker, tmp_path, scene):
    event_id, completed, _rest = _finished_training(app)
    response = as_coordinator.post("/certificates/bulk", data={
        "target": f"training:{event_id}", "language": "id"})
    assert response.status_code == 302
    worker()
    with app.app_context():
        certs = db.session.scalars(sa.select(Certificate).where(
            Certificate.training_event_id == event_id).order_by(Certificate.id)).all()
        issued = [(c.holder_name, c.serial, c.verify_code, c.status_index, c.pdf,
                   c.claim["event"]["title"]) for c in certs]
    assert len(issued) == len(completed)
    indexes = set()
    for name, serial, code, index, pdf, title in issued:
        text, module_mm = read_qr(pdf, tmp_path)
        address, _header, claims = verified_claims(client, text)
        assert address == f"{BASE}/v/{code}"
        assert (claims["n"], claims["s"], claims["x"], claims["t"]) == (name, serial, index,
                                                                         title[:60])
        assert "l" not in claims
        assert module_mm >= MIN_MODULE_MM
        indexes.add(index)
    assert len(indexes) == len(issued)  # each its own bit in the status list


def test_a_single_training_certificate_carries_its_signed_claim(as_coordinator, app,
                                                                client, tmp_path, scene):
    event_id, completed, _rest = _finished_training(app)
    with app.app_context():
        cert = _issue_training(as_coordinator, completed[0], event_id)
        pdf, serial = cert.pdf, cert.serial
    _address, _header, claims = verified_claims(client, read_qr(pdf, tmp_path)[0])
    assert claims["s"] == serial and "t" in claims


def test_the_short_claims_cut_a_long_title_and_keep_the_printed_name():
    from ilp_training.certificates.services.signed_qr import TITLE_MAX, qr_claims

    claim = {"kind": "training", "holder_name": "Wa Ode  Siti", "serial": "7414-2026-000007",
             "issued_on": "2026-12-01", "event": {"title": "Pelatihan  " + "x" * 100}}
    short = qr_claims(claim, 7, "https://h/v/c")
    assert short["t"] == ("Pelatihan " + "x" * 100)[:TITLE_MAX - 1] + "…"
    assert len(short["t"]) == TITLE_MAX
    assert (short["n"], short["i"], short["x"], short["d"]) == ("Wa Ode  Siti", "7414", 7,
                                                                "2026-12-01")
    assert "l" not in short
