"""The one PDF path renders real PDFs and never fetches outside the static folder."""

import pytest
from conftest import pdf_text
from weasyprint.urls import FatalURLFetchingError

from ilp_training.core.pdf import render_pdf


def test_renders_text_with_any_latin_letters(app):
    with app.test_request_context():
        data = render_pdf("pdf/_probe.html", {"lang": "id", "title": "Daftar Hadir",
                                              "text": "Wa Ode Ṣafiyyah Çelik Łucja"})
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Daftar Hadir" in text and "Wa Ode Ṣafiyyah Çelik Łucja" in text


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1:9/x.css",
                                 "../../pyproject.toml"])
def test_refuses_anything_outside_the_static_folder(app, url):
    with app.test_request_context(), pytest.raises(FatalURLFetchingError):
        render_pdf("pdf/_probe.html", {"lang": "en", "title": "x", "text": "y",
                                       "extra_css": url})
