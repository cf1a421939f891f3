"""Hostile and broken uploads to the imports: refused before anything is stored, quickly,
with the reason on the page; the limits are stated on the page."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.imports.sheets import LIMITS
from ilp_training.models import ImportJob
from tests.imports.helpers import upload
from tests.incentives.test_import_limits import _workbook  # raw rows in a template

SMALL_ROW = b"<row><c><v>1</v></c></row>"


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _jobs(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(ImportJob.id)))


@pytest.mark.parametrize(("data", "message"), [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not an Excel workbook"),  # not a zip
    (b"PK\x03\x04" + b"\0" * 100, "not an Excel workbook"),  # a broken zip
    (_zip({"xl/worksheets/sheet1.xml": b"\0" * (LIMITS.unpacked_bytes + 1)}),
     "too large to import"),  # a zip bomb
    (_zip({"[Content_Types].xml": b"<Types/>"}, zipfile.ZIP_BZIP2), "not an Excel workbook"),
    (_workbook(LIMITS.rows + 1, SMALL_ROW), f"At most {LIMITS.rows} rows"),
    (_workbook(1, b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'), "goes on past row"),
    (_workbook(0, b""), "no rows to import"),
])
def test_files_that_are_not_plain_workbooks_are_refused_before_anything_is_stored(
        app, as_coordinator, data, message):
    as_coordinator.post("/language", data={"lang": "en", "next": "/"})
    before = _jobs(app)
    started = time.perf_counter()
    response = upload(as_coordinator, "cadres", data)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _jobs(app) == before
    print(f"\n{message}: {elapsed:.2f} s")
    assert elapsed < 2.0


def test_an_upload_over_the_file_limit_is_refused_unread(app):
    from ilp_training.core.service import ServiceError
    from ilp_training.imports.services import read_rows
    from ilp_training.models import ImportKind

    with app.test_request_context(), pytest.raises(ServiceError, match=" 64 MB "):
        read_rows(ImportKind.CADRES, b"PK\x03\x04" + b"\0" * LIMITS.file_bytes)


def test_the_page_states_the_limits(as_coordinator):
    as_coordinator.post("/language", data={"lang": "en", "next": "/"})
    page = as_coordinator.get("/imports").get_data(as_text=True)
    assert f"at most {LIMITS.rows:,}".replace(",", "") in page.replace(",", "")
    assert "8 MB" in page and "300 rows" in page
