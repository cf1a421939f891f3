"""The one PDF path: Jinja template → HTML → WeasyPrint, with a local-only URL fetcher.

Templates get a plain-data context (no ORM objects), built by a service. Only ``data:``
URLs and files under the app's static folder can be loaded (fonts, stylesheets, images);
network and other ``file:`` paths are refused, so a name or an uploaded text can never
make the renderer fetch anything.
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse


class LocalOnlyFetcher(URLFetcher):
    """Serves ``data:`` URLs and files inside ``root``; refuses everything else."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"data", "file"}, fail_on_errors=True)
        self.root = root.resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file://"):
            path = Path(url[len("file://"):].split("?")[0]).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime}, 200)
        raise ValueError(f"blocked: {url[:80]}")


_parsed = threading.local()


def _stylesheet(static: Path, name: str) -> tuple[CSS, FontConfiguration]:
    """``name`` in the static folder, parsed once per thread with its ``@font-face`` fonts
    loaded (a thread's own: WeasyPrint's font objects are not shared between threads)."""
    cache = _parsed.__dict__.setdefault("stylesheets", {})
    key = (static, name)
    if key not in cache:
        fonts = FontConfiguration()
        cache[key] = (CSS(filename=str(static / name), font_config=fonts,
                          url_fetcher=LocalOnlyFetcher(static)), fonts)
    return cache[key]


def render_document(template: str, context: dict[str, Any],
                    stylesheet: str | None = None) -> Document:
    """Lay out ``template`` with ``context``; the pages' ``anchors`` give the position of
    each element with an ``id`` (in CSS pixels from the page's top left).

    Relative URLs in the template (``css/pdf.css``) resolve inside the static folder.
    A ``stylesheet`` named here (a path in the static folder) is parsed and its fonts
    loaded once, not for every document: for documents made often (certificates), where
    loading the fonts costs about as much as laying out a page.
    """
    static = Path(current_app.static_folder or "").resolve()
    html = HTML(string=render_template(template, **context), base_url=static.as_uri() + "/",
                url_fetcher=LocalOnlyFetcher(static))
    if stylesheet is None:
        return html.render()
    css, fonts = _stylesheet(static, stylesheet)
    return html.render(stylesheets=[css], font_config=fonts)


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render ``template`` with ``context`` to PDF bytes."""
    return render_document(template, context).write_pdf()
