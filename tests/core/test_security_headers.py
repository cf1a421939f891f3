"""Every response carries the security headers (``ilp_training/security.py``), and no page
needs what the policy forbids (inline script, handlers, style attributes)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import login, other_app

from ilp_training.core.security import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _assert_headers(response, what: str) -> None:
    response.close()  # static files are streamed from an open file
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (what, name, response.headers)
    assert response.headers.get("Content-Type", "").lower().count("charset") <= 1, what


def test_the_policy_forbids_inline_script_and_framing():
    policy = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_every_kind_of_response_carries_the_headers(client):
    anonymous = {
        "sign-in page": client.get("/login"),
        "redirect to sign-in": client.get("/admin/users"),
        "static CSS": client.get("/static/css/app.css"),
        "static JS": client.get("/static/js/app.js"),
        "level colours": client.get("/levels.css"),
        "public JSON": client.get("/v/tidak-ada-kode.json"),
        "not found": client.get("/no-such-page"),
    }
    for what, response in anonymous.items():
        _assert_headers(response, what)
    login(client, "kades.lalibo")
    summary = client.get("/incentives/").location
    signed_in = {
        "page": client.get(summary),
        "confirmation form": client.get(summary + "/approve"),
        "PDF": client.get(summary + "/summary.pdf"),
        "workbook": client.get(summary + "/summary.xlsx"),
        "CSV": client.get("/roster/export.csv"),
        "forbidden": client.get("/admin/users"),
    }
    assert signed_in["PDF"].mimetype == "application/pdf"
    assert signed_in["forbidden"].status_code == 403
    for what, response in signed_in.items():
        _assert_headers(response, what)
    assert "Strict-Transport-Security" not in signed_in["page"].headers  # plain http here


def test_https_sites_add_hsts(database_url):
    with other_app(database_url, PREFERRED_URL_SCHEME="https") as app:
        response = app.test_client().get("/login")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        _assert_headers(response, "https")


def test_the_level_stylesheet_colours_every_level_badge(client):
    css = client.get("/levels.css")
    assert css.mimetype == "text/css" and ".pin-777777{--pin:#777777;" in css.text
    login(client, "koordinator")
    page = client.get("/roster").text
    pins = set(re.findall(r'class="badge level (pin-[0-9a-f]{6})"', page))
    assert pins and all(f".{pin}{{" in css.text for pin in pins)


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_page_needs_what_the_policy_forbids():
    """Templates (and Python code that builds markup) carry no inline script, handler or
    style; the PDF templates are laid out by WeasyPrint, not a browser, and may."""
    sources = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "ilp_training").rglob("*.py")]
    found = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        if "templates/pdf/" in path.as_posix() or (path.suffix == ".py" and "Markup(" not in text):
            continue
        found += [(path.relative_to(ROOT).as_posix(), what)
                  for pattern, what in INLINE if pattern.search(text)]
    assert found == []
