"""A service worker served from the page it keeps (so that its scope is that page's
folder only): the shared fetch handler (``static/js/sw-pages.js``) followed by the
worker's own script, as one response that the browser's HTTP cache never keeps (an
update is seen at once; the browser compares the bytes to decide whether to install it).
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app

SHARED = "sw-pages.js"


def worker_script(name: str) -> Response:
    """The worker ``static/js/<name>`` after the shared handler."""
    folder = Path(current_app.static_folder or "", "js")
    script = (folder / SHARED).read_bytes() + b"\n" + (folder / name).read_bytes()
    return Response(script, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})
