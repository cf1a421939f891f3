"""Response headers that keep browsers strict: no inline script, no framing, no MIME
sniffing, no referrer to other sites, and HTTPS only once the site is served over it.

Every response gets them (pages, JSON, PDFs, spreadsheets, static files, errors), set in
one ``after_request`` hook. The policy allows nothing inline, so templates carry no
``<script>`` block, ``on…`` handler or ``style`` attribute: behaviour lives in
``static/js/app.js`` (and the page scripts), level pin colours in ``/levels.css``.
"""

from __future__ import annotations

from flask import Flask, Response, current_app

# default-src 'self' also covers fetch (the job progress) and fonts. img-src allows data:
# URLs (no script runs in an image; no page needs one today); nothing else is loosened.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
HSTS = "max-age=31536000"  # a year; no includeSubDomains: other hosts of the domain are not ours

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # for browsers that ignore frame-ancestors
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Set the headers (a view that set one itself keeps its own); HSTS when the site's
    scheme (``PREFERRED_URL_SCHEME``) is https."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["PREFERRED_URL_SCHEME"] == "https":
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
