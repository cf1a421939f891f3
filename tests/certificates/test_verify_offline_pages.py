"""The offline verifier's page and service worker as the site serves them (the journey
in the browser is test_verify_offline_browser.py)."""

from __future__ import annotations

from ilp_training.core.security import CONTENT_SECURITY_POLICY


def test_the_page_is_public_and_carries_what_the_script_needs(client):
    page = client.get("/verify/")
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY  # not loosened
    for needed in ('data-keys="/credentials/keys.json"', 'data-sw="/verify/sw.js"',
                   "vendor/jsqr/jsQR.js", "js/verify.js", "vendor/noble-ed25519/index.js",
                   'aria-live="polite"', 'type="file"', 'for="scan-file"'):
        assert needed in page.text, needed
    assert "<script>" not in page.text and " style=" not in page.text


def test_the_page_speaks_both_languages(client):
    assert "Periksa sertifikat secara luring" in client.get("/verify/").text
    client.post("/language", data={"lang": "en", "next": "/verify/"})
    english = client.get("/verify/").text
    assert "Check a certificate offline" in english
    assert "the signature does not match the content" in english  # the script's texts


def test_the_service_worker_is_served_from_its_scope_uncached(client):
    worker = client.get("/verify/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert b'var PAGE = "/verify/"' in worker.data
    # the shared handler comes first, then this worker, which hands it the fetches
    assert worker.data.index(b"function keptPageFetch(") < worker.data.index(
        b'keptPageFetch(CACHE, PAGE, ["/credentials/", "/api/"])')


def test_the_vendored_libraries_are_served_with_their_licences(client):
    for path in ("jsqr/jsQR.js", "jsqr/LICENSE", "noble-ed25519/index.js",
                 "noble-ed25519/LICENSE"):
        response = client.get(f"/static/vendor/{path}")
        response.close()  # a static file is streamed
        assert response.status_code == 200, path

