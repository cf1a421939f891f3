"""Hostile uploads to the public PDF check (``/v/check``): empty, garbage, the wrong
type, larger than the check reads, larger than the site accepts. Each is a clear 4xx
page, never a 500."""

from __future__ import annotations

import io

import pytest


@pytest.fixture
def app(empty_app):
    """Nothing is issued: an upload is refused before any certificate is looked up."""
    return empty_app


def _check(client, payload: bytes, name: str = "c.pdf", **kwargs):
    return client.post("/v/check", data={"document": (io.BytesIO(payload), name)},
                       content_type="multipart/form-data", **kwargs)


@pytest.mark.parametrize(("payload", "name"), [
    (b"", "c.pdf"),
    (b"hello", "c.txt"),
    (b"\x89PNG\r\n\x1a\n", "c.pdf"),
    (b"%PDF", "c.pdf"),
])
def test_an_upload_that_is_no_pdf_is_refused_on_the_form(client, payload, name):
    client.post("/language", data={"lang": "en"})
    response = _check(client, payload, name)
    assert response.status_code == 422
    assert "This is not a PDF file" in response.text


def test_a_garbage_pdf_is_simply_not_genuine(client):
    client.post("/language", data={"lang": "en"})
    response = _check(client, b"%PDF-1.7\n" + bytes(range(256)) * 10)
    assert response.status_code == 200 and "Not genuine" in response.text


def test_a_file_larger_than_the_site_accepts_says_so(app, client, monkeypatch):
    """Beyond MAX_CONTENT_LENGTH the request is refused before the form reads it (413):
    the page names the reason, not "the request failed"."""
    client.post("/language", data={"lang": "en"})
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    page = _check(client, b"%PDF-1.7\n" + b"0" * 100 * 1024)
    assert page.status_code == 413 and "<html" in page.text
    assert "larger than the site accepts" in page.text
    assert "The request failed" not in page.text
    as_json = _check(client, b"%PDF-1.7\n" + b"0" * 100 * 1024,
                     headers={"Accept": "application/json"})
    assert as_json.status_code == 413
    assert "larger than the site accepts" in as_json.json["error"]["message"]
