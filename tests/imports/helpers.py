"""Building upload workbooks for the import tests."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook


def workbook(rows: Sequence[Sequence[Any]], heading: Sequence[str] | None = None) -> bytes:
    """A workbook whose first sheet has a heading row and ``rows``."""
    book = Workbook()
    ws = book.active
    ws.append(list(heading or ["h"] * 9))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: FlaskClient, kind: str, data: bytes, name: str = "sheet.xlsx"):
    """Upload ``data`` as the ``kind`` sheet; returns the response (not followed)."""
    return client.post(f"/imports/{kind}", data={f"{kind}-file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def job_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/imports/jobs/(\d+)", response.location).group(1))


def rows_of(data: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(data))
    return [tuple(r) for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)
            if any(v is not None for v in r)]
