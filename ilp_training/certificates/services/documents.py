"""Certificate documents: the QR code, the glyph check, and rendering claims to PDF pages.

One render path (:func:`ilp_training.core.pdf.render_document`, the layout behind
``render_pdf``): a batch of claims becomes one A4-landscape document, one page per
certificate, and each page gets its QR code drawn in after layout and the layer that
certificates of one issuer, language and day share placed under it (laid out once). A
single issue is a batch of one; a bulk job renders parts of many, keeps each page as a
PDF of its own for storage (:func:`render_certificate_files`), and joins the parts for
printing (:func:`merge`). The PDF work after layout is pikepdf's (qpdf): cutting and
joining a thousand pages with pypdf took longer than laying out a hundred.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import date
from functools import cache, lru_cache
from itertools import groupby
from pathlib import Path
from typing import Any

import pikepdf
import segno
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from fontTools.ttLib import TTFont

from ilp_training.core.pdf import render_document

FONT = Path(__file__).resolve().parents[2] / "static" / "fonts" / "CertSans.ttf"
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


_PT_PER_PX = 0.75  # CSS pixels (1/96 in) to PDF points (1/72 in)


def qr_ops(url: str, x: float, y: float, size: float) -> bytes:
    """PDF drawing operators for the QR code of ``url`` (segno, error correction M) as
    filled rectangles, one per run of dark modules: vector, ``size`` points wide, its
    top left corner at (``x``, ``y``) in PDF coordinates.

    The QR code is drawn into the rendered page rather than laid out as an SVG image:
    WeasyPrint's SVG path drawing cost about a quarter of a certificate's render time.
    The mask is fixed: any mask decodes, and choosing the "best" one costs segno more
    time than rendering the rest of the page. Rectangles are in modules (whole numbers),
    scaled and flipped by one matrix.
    """
    matrix = segno.make(url, error="m", mask=2).matrix
    module = size / len(matrix)
    rects = []
    for row, cells in enumerate(matrix):
        col = 0
        for dark, run in groupby(cells):
            length = len(tuple(run))
            if dark:
                rects.append(f"{col} {row} {length} 1 re")
            col += length
    return (f"q 0 g {module:.4f} 0 0 {-module:.4f} {x:.3f} {y:.3f} cm\n"
            + "\n".join(rects) + "\nf\nQ\n").encode("ascii")


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
                 emblem: str | None, qr_text: str | None = None) -> dict[str, Any]:
    """Plain data for one certificate page: ``lang`` first, the other language below.
    ``qr_text`` is what the QR code holds (the signed one, ``signed_qr.sign_qr``); the
    address alone without it."""
    other = "en" if lang == "id" else "id"
    if claim.get("kind") == "training":
        page = _training_page(claim, lang, other, verify_url, emblem)
        page["qr_text"] = qr_text or verify_url
        return page
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
        "verify_url": verify_url, "qr_text": qr_text or verify_url, "emblem": emblem,
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


STYLESHEET = "css/certificate.css"  # both templates; fonts loaded once (render_document)
CHROME_FIELDS = ("kind", "lang", "t", "s", "issuer", "issued_on", "emblem")


@lru_cache(maxsize=16)
def _chrome(key: str) -> tuple[bytes, float]:
    """The shared layer (``certificate_chrome.html``) of the pages whose
    :data:`CHROME_FIELDS` are ``key`` (JSON): its PDF, and the height of its header in
    CSS px. Kept for the next certificates of the same issuer, language and day."""
    document = render_document("pdf/certificate_chrome.html", {"p": json.loads(key)},
                               STYLESHEET)
    _left, top, _right, bottom = document.pages[0].anchors["head"]
    return document.write_pdf(), bottom - top


def _render(pages: list[dict[str, Any]], singles: bool) -> tuple[bytes, list[bytes]]:
    """The certificates, one page per context (see :func:`page_context`), as one PDF and,
    with ``singles``, each page as a PDF of its own.

    What differs between certificates is laid out by WeasyPrint from
    ``certificate.html``; each page gets its QR code (of its ``qr_text``) drawn in the
    box ``#qr-<index>``, and the shared layer of its issuer, language and day placed under
    it as one form that all pages reference (laid out once, stored once per file).
    """
    keys = [json.dumps({f: p.get(f) for f in CHROME_FIELDS}, sort_keys=True) for p in pages]
    chromes = {key: _chrome(key) for key in dict.fromkeys(keys)}
    document = render_document("pdf/certificate.html", {"pages": [
        {**page, "head_px": chromes[key][1]} for page, key in zip(pages, keys, strict=True)]},
        STYLESHEET)
    if len(document.pages) != len(pages):
        raise RuntimeError(f"{len(pages)} certificates laid out on {len(document.pages)} pages")
    pdf = pikepdf.Pdf.open(io.BytesIO(document.write_pdf()))
    layers = {key: pikepdf.Pdf.open(io.BytesIO(data)) for key, (data, _h) in chromes.items()}
    forms = {key: pdf.copy_foreign(layer.pages[0].as_form_xobject())
             for key, layer in layers.items()}
    for index, (page, layout, context, key) in enumerate(
            zip(pdf.pages, document.pages, pages, keys, strict=True)):
        left, top, right, bottom = layout.anchors[f"qr-{index}"]  # CSS px, from top left
        size = min(right - left, bottom - top) * _PT_PER_PX
        height = float(page.mediabox[3] - page.mediabox[1])
        content = page.obj.Contents  # WeasyPrint writes one stream per page
        content.write(b"q\n" + content.read_bytes() + b"\nQ\n" + qr_ops(
            context["qr_text"], left * _PT_PER_PX, height - top * _PT_PER_PX, size))
        page.add_underlay(forms[key], None)  # None: over the whole page
    files = []
    for page in pdf.pages if singles else []:
        single = pikepdf.Pdf.new()
        single.pages.append(page)
        single.trailer.Info = single.copy_foreign(pdf.trailer.Info)
        if "/Lang" in pdf.Root:
            single.Root.Lang = pdf.Root.Lang
        files.append(_bytes(single))
    return _bytes(pdf), files


def _bytes(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out)  # streams compressed
    return out.getvalue()


def render_certificates(pages: list[dict[str, Any]]) -> bytes:
    """One PDF with a page per certificate context."""
    return _render(pages, singles=False)[0]


def render_certificate_files(pages: list[dict[str, Any]]) -> tuple[bytes, list[bytes]]:
    """One PDF with a page per certificate context, and each page as a PDF of its own
    (in order): a bulk part's print file and the certificates to store, from one layout
    and one embedded font subset."""
    return _render(pages, singles=True)


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
    """Concatenate PDFs (the pages of each keep their shared resources)."""
    joined = pikepdf.Pdf.new()
    sources = [pikepdf.Pdf.open(io.BytesIO(data)) for data in pdfs]  # open until saved
    for source in sources:
        joined.pages.extend(source.pages)
    return _bytes(joined)


def keep_pages(pdf: bytes, indices: list[int]) -> bytes:
    """The PDF with only the pages at ``indices`` (0-based), in their order."""
    source = pikepdf.Pdf.open(io.BytesIO(pdf))
    keep = set(indices)
    for index in reversed(range(len(source.pages))):
        if index not in keep:
            del source.pages[index]
    return _bytes(source)


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
