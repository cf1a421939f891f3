"""The offline verifier (/verify/, issue 19 item 5) in Debian's Chromium on a 360 px
phone with a persistent profile and a fake camera: a certificate is issued, its PDF page
rendered to an image (pdftoppm) and its QR code read (zbarimg); the camera films that
code (Chromium's fake capture device plays a Y4M file made from the page image). The
page is opened once online, then the site stops and the phone goes offline: the reloaded
page verifies the code from the camera and from a photo (valid, the printed claim), and
refuses a tampered code, an unknown key and a key outside its window, each with its
reason; with WebCrypto's Ed25519 hidden, the vendored noble-ed25519 gives the same
answers. Then the certificate is revoked and the connection returns: the page shows it
revoked, read from the issuer's signed status list."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from PIL import Image

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import Cadre, Certificate, Posyandu, User
from tests.browser import Site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOOLS = shutil.which("pdftoppm") and shutil.which("zbarimg")
pytestmark = [pytest.mark.dates, pytest.mark.skipif(
    (CHROMIUM is None or not TOOLS) and not os.environ.get("REQUIRE_BROWSER"),
    reason="chromium, pdftoppm or zbarimg is not installed; CI sets REQUIRE_BROWSER",
)]
PHONE = {"width": 360, "height": 780}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DPI = 200
MM = DPI / 25.4  # pixels per millimetre of the page image
# WebCrypto without Ed25519, as in a browser that lacks it: the page falls back to noble.
NO_WEBCRYPTO_ED25519 = """(() => {
  const importKey = SubtleCrypto.prototype.importKey;
  SubtleCrypto.prototype.importKey = function (format, data, algorithm, ...rest) {
    const name = typeof algorithm === 'string' ? algorithm : algorithm && algorithm.name;
    if (name === 'Ed25519') { return Promise.reject(new DOMException('no', 'NotSupportedError')); }
    return importKey.call(this, format, data, algorithm, ...rest);
  };
})();"""


def _issue(site: Site) -> tuple[int, bytes, str, str]:
    """A Madya certificate of Anggrek issued by the admin: (id, PDF, name, serial)."""
    from ilp_training.certificates.services import issuing
    from ilp_training.core.curricula import framework_on

    app = site.app
    with app.test_request_context("/", base_url=site.base, method="POST"):
        today = local_today()
        admin = db.session.scalars(sa.select(User).where(User.username == "admin")).one()
        madya = db.session.scalars(sa.select(Cadre).join(Posyandu).where(
            Posyandu.name == "Anggrek", Cadre.level_code == "madya").order_by(Cadre.id)).first()
        cert = issuing.issue_certificate(admin, madya, framework_on(today), "id", today
                                         ).certificate
        db.session.commit()
        return cert.id, cert.pdf, cert.holder_name, cert.serial


def _revoke(site: Site, cert_id: int) -> None:
    from ilp_training.certificates.services import issuing

    with site.app.app_context():
        admin = db.session.scalars(sa.select(User).where(User.username == "admin")).one()
        issuing.revoke_certificate(admin, db.session.get(Certificate, cert_id), "Salah orang")
        db.session.commit()


def _page_image(pdf: bytes, tmp_path) -> tuple[str, object]:
    """The PDF page at DPI as a PNG file, and the QR code zbarimg reads in it."""
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-singlefile",
                    str(tmp_path / "c.pdf"), str(tmp_path / "page")], check=True)
    text = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")],
                          capture_output=True, text=True, check=True).stdout.strip()
    return text, tmp_path / "page.png"


def _camera_file(page_png, tmp_path) -> str:
    """A Y4M video (4:2:0) of the certificate's QR corner held before a 640×480 camera:
    the region of the QR code cut from the page image (A4 landscape, 8 mm margin, the box
    10 mm from the right, 124 mm from the top, 46 mm wide; see certificate.css)."""
    page = Image.open(page_png).convert("RGB")
    left, top = (297 - 8 - 10 - 46 - 6) * MM, (8 + 124 - 14) * MM
    crop = page.crop((int(left), int(top), int(left + 58 * MM), int(top + 68 * MM)))
    crop.thumbnail((460, 460))
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(crop, ((640 - crop.width) // 2, (480 - crop.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (320, 240)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path = tmp_path / "camera.y4m"
    with open(path, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _frame in range(10):
            video.write(b"FRAME\n" + planes)
    return str(path)


def _open(playwright, profile, camera: str):
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, viewport=PHONE,
        args=[*ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              f"--use-file-for-fake-video-capture={camera}"])
    page = context.pages[0] if context.pages else context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.set_default_timeout(30_000)
    return context, page, violations


def _ready(page) -> None:
    page.wait_for_selector("body[data-verify-ready]", state="attached")


def _verdict(page, text: str | None = None, file=None) -> tuple[str, str | None]:
    page.evaluate("document.getElementById('verify-result').removeAttribute('data-verdict')")
    if file is not None:
        page.set_input_files("#scan-file", str(file))
    else:
        page.fill("#scan-text", text or "")
        page.click("#scan-text-form button[type=submit]")
    page.wait_for_selector("#verify-result[data-verdict]", state="attached")
    return (page.get_attribute("#verify-result", "data-verdict"),
            page.get_attribute("#verify-result", "data-reason"))


def _claims(page) -> dict[str, str]:
    return {e.get_attribute("data-claim"): e.inner_text()
            for e in page.query_selector_all("#verify-result dd[data-claim]")}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()
                                    ).rstrip(b"=").decode()


def _parts(text: str) -> tuple[str, dict, dict, str]:
    address, _hash, token = text.partition("#")
    head, payload, signature = token.split(".")
    return (address, json.loads(base64.urlsafe_b64decode(head + "==")),
            json.loads(base64.urlsafe_b64decode(payload + "==")), signature)


def test_a_certificate_verifies_offline_and_shows_its_revocation_online(
        site, tmp_path, playwright_session):
    cert_id, pdf, name, serial = _issue(site)
    text, page_png = _page_image(pdf, tmp_path)
    address, header, claims, signature = _parts(text)
    assert address.startswith(f"{site.base}/v/") and claims["s"] == serial
    camera = _camera_file(page_png, tmp_path)

    context, page, violations = _open(playwright_session, tmp_path / "profile", camera)
    try:
        page.goto(f"{site.base}/verify/")
        _ready(page)
        assert int(page.get_attribute("#verify-app", "data-keys-ready")) >= 1
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # online: valid, and not revoked according to the issuer's status list
        assert _verdict(page, text) == ("valid", None)
        page.wait_for_selector("#verify-status[data-status='ok']", state="attached")

        # no connection at all: the site is down and the phone offline
        site.stop()
        context.set_offline(True)
        page.reload()
        _ready(page)
        # the camera (Chromium's fake device films the QR corner of the page)
        page.evaluate("document.getElementById('verify-result').removeAttribute('data-verdict')")
        page.click("#scan-start")
        page.wait_for_selector("#verify-result[data-verdict]", state="attached")
        assert page.get_attribute("#verify-result", "data-verdict") == "valid"
        shown = _claims(page)
        assert (shown["name"], shown["level"], shown["serial"]) == (name, "Madya", serial)
        assert page.get_attribute("#verify-status", "data-status") == "offline"
        assert page.get_attribute("#verify-app", "data-engine") == "webcrypto"
        # a photo of the page
        assert _verdict(page, file=page_png) == ("valid", None)
        # tampered: the level changed, the signature kept
        forged = f"{address}#{text.partition('#')[2].split('.')[0]}." \
                 f"{_b64({**claims, 'l': 'Utama'})}.{signature}"
        assert _verdict(page, forged) == ("invalid", "bad-signature")
        assert "Utama" not in page.inner_text("#verify-result")
        # the address before '#' changed: another page would open for a plain camera
        assert _verdict(page, text.replace(address, f"{site.base}/v/other")) == (
            "invalid", "address")
        # a key this phone does not know
        unknown = f"{address}#{_b64({**header, 'kid': '9999-20260101-abcd'})}." \
                  f"{text.partition('#')[2].split('.', 1)[1]}"
        assert _verdict(page, unknown) == ("invalid", "unknown-key")
        # the key's window opens after the issue date (the kept key set says so)
        kept = page.evaluate("localStorage.getItem('ilp-verify-keys')")
        page.evaluate("""kid => {
            const kept = JSON.parse(localStorage.getItem('ilp-verify-keys'));
            kept.jwks.keys.forEach(k => { if (k.kid === kid) k.nbf = 4102444800; });
            localStorage.setItem('ilp-verify-keys', JSON.stringify(kept));
        }""", header["kid"])
        assert _verdict(page, text) == ("invalid", "key-window")
        page.evaluate("kept => localStorage.setItem('ilp-verify-keys', kept)", kept)

        # WebCrypto without Ed25519: the vendored noble-ed25519, also offline
        fallback = context.new_page()
        fallback.add_init_script(NO_WEBCRYPTO_ED25519)
        fallback.on("console", lambda message: violations.append(message.text)
                    if "Content Security Policy" in message.text else None)
        fallback.goto(f"{site.base}/verify/")
        _ready(fallback)
        assert _verdict(fallback, text) == ("valid", None)
        assert fallback.get_attribute("#verify-app", "data-engine") == "noble"
        assert _verdict(fallback, forged) == ("invalid", "bad-signature")
        fallback.close()

        # revoked meanwhile; the connection returns while the claim is shown
        assert _verdict(page, text) == ("valid", None)
        assert page.get_attribute("#verify-status", "data-status") == "offline"
        _revoke(site, cert_id)
        site.start()
        context.set_offline(False)
        page.wait_for_selector("#verify-status[data-status='revoked']", state="attached")
        assert page.get_attribute("#verify-result", "data-verdict") == "revoked"
        assert "Salah orang" not in page.inner_text("#verify-result")  # the bit only
        assert violations == []
    finally:
        context.close()
