"""The activity import cannot be made to tie up the server (issue 13, item 2): the
package is checked by its declared sizes before any XML is parsed, the sheets are
streamed and reading stops at the row limit, and the file is read outside any write
transaction, so other users are served meanwhile."""

from __future__ import annotations

import io
import threading
import time
import zipfile

import pytest
import sqlalchemy as sa
from conftest import login
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook

from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.incentives.services.activity_import import (
    MAX_FILE_BYTES,
    MAX_PARTS,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    read_workbook,
)
from ilp_training.models import AuditEntry, HomeVisitCount, OpeningDay

IMPORT = "/incentives/activity/import"
# A row without cell references (valid SpreadsheetML: openpyxl counts them) packs to
# almost nothing, so the test workbooks stay a few kilobytes however many rows they hold.
SMALL_ROW = b"<row><c><v>1</v></c></row>"
DATED_ROW = (b'<row><c t="inlineStr"><is><t>2026-10-15</t></is></c><c t="inlineStr"><is>'
             b"<t>Anggrek</t></is></c><c><v>1</v></c><c/></row>")


def _workbook(rows: int, row: bytes) -> bytes:
    """The two sheets of the template (openpyxl, write-only) with ``rows`` copies of
    ``row`` under the opening-day heading, written straight into the sheet's XML."""
    book = Workbook(write_only=True)
    opening = book.create_sheet("Opening days")
    opening.append(["Date", "Posyandu", "Cadre ID", "Cadre name"])
    book.create_sheet("Home visits").append(["Month", "Cadre ID", "Cadre name", "Visits"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(
            out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", row * rows + b"</sheetData>")
            target.writestr(info.filename, content)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """300,000 dated rows: about 28 MB of XML in a zip of about 130 KB."""
    return _workbook(300_000, DATED_ROW)


@pytest.fixture(scope="module")
def long_sheet() -> bytes:
    """300,000 short rows, small enough unpacked to pass the size check: only the
    streaming limit stops it."""
    data = _workbook(300_000, SMALL_ROW)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sum(m.file_size for m in archive.infolist()) <= MAX_UNPACKED_BYTES
    return data


def _coordinator(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, "koordinator")
    client.post("/language", data={"lang": "en"})
    return client


def _upload(client: FlaskClient, data: bytes):
    return client.post(IMPORT, data={"file": (io.BytesIO(data), "kegiatan.xlsx")},
                       content_type="multipart/form-data")


def _stored(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                     for model in (OpeningDay, HomeVisitCount, AuditEntry))


def _timed_refusal(app: Flask, data: bytes, message: str) -> float:
    client = _coordinator(app)
    before = _stored(app)
    started = time.perf_counter()
    response = _upload(client, data)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _stored(app) == before
    return elapsed


def test_a_300000_row_bomb_is_refused_by_its_size_in_under_a_second(app, bomb):
    assert len(bomb) < 200_000
    elapsed = _timed_refusal(app, bomb, "too large to import")
    print(f"\n300,000-row workbook ({len(bomb):,} bytes) refused in {elapsed:.3f} s")
    assert elapsed < 1.0


def test_a_sheet_of_300000_rows_stops_at_the_row_limit_in_under_a_second(app, long_sheet):
    elapsed = _timed_refusal(app, long_sheet, f"At most {MAX_ROWS} rows at a time")
    print(f"\n300,000 short rows ({len(long_sheet):,} bytes) refused in {elapsed:.3f} s")
    assert elapsed < 1.0


def test_a_row_far_down_the_sheet_is_not_reached_row_by_row(app):
    """One row at the bottom of the sheet (row 1,048,576) is refused at once, without
    walking the million empty rows above it."""
    far = b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    assert _timed_refusal(app, _workbook(1, far), "goes on past row") < 1.0


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (_zip({"xl/worksheets/sheet1.xml": b"\0" * (MAX_UNPACKED_BYTES + 1)}),
     "too large to import"),                                      # a zip bomb
    (_zip({f"part{i}.xml": b"" for i in range(MAX_PARTS + 1)}), "too large to import"),
    (_zip({"[Content_Types].xml": b"<Types/>"}, zipfile.ZIP_BZIP2), "not an Excel workbook"),
    (b"PK\x03\x04" + b"\0" * 100, "not an Excel workbook"),       # a broken zip
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not an Excel workbook"),  # not a zip
])
def test_packages_that_are_not_plain_workbooks_are_refused_before_parsing(app, data, message):
    assert _timed_refusal(app, data, message) < 1.0


def test_an_upload_over_the_file_limit_is_refused_unread(app):
    # by the service: the test client spools a body this large to a file it leaves open
    with app.test_request_context(), pytest.raises(ServiceError, match=" 8 MB "):
        read_workbook(b"PK\x03\x04" + b"\0" * MAX_FILE_BYTES)


def test_other_users_are_served_while_a_large_upload_is_read(live, long_sheet):
    """On SQLite every transaction holds the write lock; a file read inside one kept
    every other request waiting ("database is locked" after the busy timeout)."""
    uploader, other = live.client("koordinator"), live.client("pelatih")
    uploader.post("/language", data={"lang": "en"})
    done: list[object] = []

    def upload() -> None:
        done.append(uploader.post(IMPORT, files={"file": ("kegiatan.xlsx", long_sheet)}))

    thread = threading.Thread(target=upload)
    thread.start()
    timings = []
    try:
        for _ in range(5):
            time.sleep(0.05)
            started = time.perf_counter()
            response = other.get("/posyandu/")
            timings.append((response.status_code, round(time.perf_counter() - started, 3)))
    finally:
        thread.join(timeout=120)
    assert all(code == 200 for code, _t in timings), timings
    assert max(t for _c, t in timings) < 2.0, timings
    assert done and done[0].status_code == 200
    assert f"At most {MAX_ROWS} rows at a time" in done[0].text
