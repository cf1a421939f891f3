"""Certificate documents: the QR code, the glyph check, and rendering claims to PDF pages.

One render path (:func:`ilp_training.pdf.render_document`, the layout behind
``render_pdf``): a batch of claims becomes one A4-landscape document, one page per
certificate, and each page gets its QR code drawn in after layout. A single issue is a
batch of one; a bulk job renders parts of many, keeps each page as a PDF of its own for
storage (:func:`render_certificate_files`), and joins the parts for printing
(:func:`merge`), sharing one embedded font.
"""

from __future__ import annotations

import base64
import io
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import segno
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from fontTools.ttLib import TTFont
from pypdf import PdfReader, PdfWriter

from ..pdf import render_document

FONT = Path(__file__).resolve().parent.parent / "static" / "fonts" / "CertSans.ttf"
LANGUAGES = ("id", "en")


@cache
def _font_codepoints() -> frozenset[int]:
    with TTFont(FONT) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str) -> str:
    """The characters of ``text`` the certificate font cannot print (spaces ignored).

    Rule: a certificate is never printed with a glyph silently dropped; a name with any
    such character is refused, with the characters named.
    """
    known = _font_codepoints()
    return "".join(sorted({c for c in text if not c.isspace() and ord(c) not in known}))


QR_SIZE_MM = 30  # the side of the QR code's box in the template
_PT_PER_PX = 0.75  # CSS pixels (1/96 in) to PDF points (1/72 in)


def qr_ops(url: str, x: float, y: float, size: float) -> bytes:
    """PDF drawing operators for the QR code of ``url`` (segno, error correction M) as
    filled rectangles, one per run of dark modules: vector, ``size`` points wide, its
    top left corner at (``x``, ``y``) in PDF coordinates.

    The QR code is drawn into the rendered page rather than laid out as an SVG image:
    WeasyPrint's SVG path drawing cost about a quarter of a certificate's render time.
    The mask is fixed: any mask decodes, and choosing the "best" one costs segno more
    time than rendering the rest of the page.
    """
    matrix = segno.make(url, error="m", mask=2).matrix
    module = size / len(matrix)
    rects = []
    for row, cells in enumerate(matrix):
        bottom = y - (row + 1) * module
        start = None
        for col, dark in enumerate((*cells, 0)):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                rects.append(f"{x + start * module:.3f} {bottom:.3f} "
                             f"{(col - start) * module:.3f} {module:.3f} re")
                start = None
    return ("q 0 g\n" + "\n".join(rects) + "\nf\nQ\n").encode("ascii")


def _texts(kind: str) -> dict[str, str]:
    """Every fixed text of the certificate in the active locale."""
    if kind == "training":
        return {
            "title": _("Training Certificate"),
            "awarded": _("is awarded to"),
            "completed": _("for completing the training"),
            "skills": _("Skills trained"),
            "held": _("held by"),
            "serial": _("Serial number"),
            "verify": _("Check this certificate"),
            "nip": _("NIP"),
        }
    return {
        "title": _("Cadre Proficiency Certificate"),
        "awarded": _("is awarded to"),
        "level": _("proficiency level"),
        "mastered": _("having mastered these basic skills, assessed by"),
        "reached": _("Level reached on"),
        "serial": _("Serial number"),
        "verify": _("Check this certificate"),
        "nip": _("NIP"),
    }


def _localised(value: dict[str, str], lang: str) -> str:
    return value.get(lang) or value.get("id") or ""


def page_context(claim: dict[str, Any], lang: str, verify_url: str,
                 emblem: str | None) -> dict[str, Any]:
    """Plain data for one certificate page: ``lang`` first, the other language below."""
    other = "en" if lang == "id" else "id"
    if claim.get("kind") == "training":
        return _training_page(claim, lang, other, verify_url, emblem)
    texts = {}
    for code in (lang, other):
        with force_locale(code):
            texts[code] = _texts("level")
            texts[code + "_date"] = format_date(date.fromisoformat(claim["reached_on"]), "long")
            texts[code + "_issued"] = format_date(date.fromisoformat(claim["issued_on"]), "long")
    return {
        "t": texts[lang], "s": texts[other], "lang": lang,
        "holder_name": claim["holder_name"],
        "level": _localised(claim["level"]["name"], lang),
        "level_other": _localised(claim["level"]["name"], other),
        "badges": claim["badges"],
        "packages": [{"code": p["code"], "name": _localised(p["name"], lang),
                      "skills": [s["code"] for s in p["skills"]]} for p in claim["packages"]],
        "assessed_by": ", ".join(claim["assessed_by"]),
        "reached_on": texts[lang + "_date"], "issued_on": texts[lang + "_issued"],
        "issuer": claim["issuer"], "serial": claim["serial"],
        "verify_url": verify_url, "emblem": emblem,
    }


def _training_page(claim: dict[str, Any], lang: str, other: str, verify_url: str,
                   emblem: str | None) -> dict[str, Any]:
    event = claim["event"]
    start, end = date.fromisoformat(event["start_date"]), date.fromisoformat(event["end_date"])
    texts = {}
    for code in (lang, other):
        with force_locale(code):
            texts[code] = _texts("training")
            texts[code + "_dates"] = (format_date(start, "long") if start == end else
                                      format_date(start, "d MMM") + " – "
                                      + format_date(end, "long"))
            texts[code + "_issued"] = format_date(date.fromisoformat(claim["issued_on"]), "long")
    return {
        "kind": "training", "t": texts[lang], "s": texts[other], "lang": lang,
        "holder_name": claim["holder_name"], "event": event,
        "dates": texts[lang + "_dates"],
        "skills": [f"{s['code']} {_localised(s['name'], lang)}" for s in claim["skills"]],
        "issued_on": texts[lang + "_issued"], "issuer": claim["issuer"],
        "serial": claim["serial"], "verify_url": verify_url, "emblem": emblem,
    }


def emblem_data_uri(data: bytes | None, mime: str | None) -> str | None:
    """An uploaded emblem as a ``data:`` URI (the PDF fetcher loads nothing else)."""
    if not data or not mime:
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _stamped(pages: list[dict[str, Any]]) -> PdfWriter:
    """The certificates laid out by WeasyPrint, one page per context (see
    :func:`page_context`), each with the QR code of its ``verify_url`` drawn in the box
    ``#qr-<index>`` of the template."""
    document = render_document("pdf/certificate.html",
                               {"pages": pages, "qr_size_mm": QR_SIZE_MM})
    if len(document.pages) != len(pages):
        raise RuntimeError(f"{len(pages)} certificates laid out on {len(document.pages)} pages")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(document.write_pdf())))
    for index, (page, layout, context) in enumerate(
            zip(writer.pages, document.pages, pages, strict=True)):
        left, top, right, bottom = layout.anchors[f"qr-{index}"]  # CSS px, from top left
        size = min(right - left, bottom - top) * _PT_PER_PX
        height = float(page.mediabox.height)
        content = page.get_contents()
        assert content is not None
        content.set_data(b"q\n" + content.get_data() + b"\nQ\n" + qr_ops(
            context["verify_url"], left * _PT_PER_PX, height - top * _PT_PER_PX, size))
        page.replace_contents(content)
        page.compress_content_streams()
    return writer


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_certificates(pages: list[dict[str, Any]]) -> bytes:
    """One PDF with a page per certificate context."""
    return _bytes(_stamped(pages))


def render_certificate_files(pages: list[dict[str, Any]]) -> tuple[bytes, list[bytes]]:
    """One PDF with a page per certificate context, and each page as a PDF of its own
    (in order): a bulk part's print file and the certificates to store, from one layout
    and one embedded font subset."""
    writer = _stamped(pages)
    singles = []
    for page in writer.pages:
        single = PdfWriter()
        single.add_page(page)
        single.add_metadata(writer.metadata or {})
        singles.append(_bytes(single))
    return _bytes(writer), singles


def warm_up() -> None:
    """Render a sample certificate once (fonts, stylesheet, templates); the result is
    thrown away."""
    claim = {"kind": "training", "holder_name": "Wa Ode", "serial": "0000-0000-000000",
             "issued_on": "2026-01-01", "skills": [],
             "issuer": {"name": "-", "place": "-", "signatory_name": "-",
                        "signatory_title": "-", "signatory_nip": None},
             "event": {"title": "-", "start_date": "2026-01-01", "end_date": "2026-01-01",
                       "venue": "-", "organiser": "-"}}
    render_certificates([page_context(claim, "id", "https://example.org/v/x", None)])


def merge(pdfs: list[bytes]) -> bytes:
    """Concatenate PDFs; identical objects (the embedded font) are stored once."""
    writer = PdfWriter()
    for data in pdfs:
        writer.append(io.BytesIO(data))
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def verification_url(code: str) -> str:
    """The public address of a certificate: ``PUBLIC_BASE_URL`` + ``/v/<code>``.

    The site's address in production is not the one of the request, so the base comes
    from configuration; without it (local use) the request's own address is used.
    """
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    if base:
        return f"{base}/v/{code}"
    from flask import has_request_context, url_for

    if not has_request_context():
        raise RuntimeError("set PUBLIC_BASE_URL: the worker cannot know the site's address")
    return url_for("verify.show", code=code, _external=True)
