"""Exported cells built from what users typed: text that a spreadsheet would run as a
formula (``=HYPERLINK(…)``, ``+``, ``-``, ``@`` …) stays text, and characters a workbook
cannot hold (control characters other than tab and line breaks, which the input policy
refuses but older data may hold) are replaced by U+FFFD, so that an export never fails
on stored text. Uploaded workbooks are read here too (:func:`read_sheets`), streamed and
within limits."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from ilp_training.core.service import ServiceError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def cell_text(value: Any) -> Any:
    """``value`` with the characters a workbook cannot hold replaced by U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def first_sheet(book: Workbook) -> Worksheet:
    """The worksheet a new workbook comes with (openpyxl types ``Workbook.active`` as any
    kind of sheet, or none)."""
    sheet = book.active
    if not isinstance(sheet, Worksheet):
        raise TypeError("the workbook's active sheet is not a worksheet")
    return sheet


def append_row(ws: Worksheet, values: Sequence[Any]) -> tuple[Cell | MergedCell, ...]:
    """Append ``values`` as a row (every export's rows go through here): illegal
    characters replaced, formula-like text stored as a text cell."""
    ws.append([cell_text(value) for value in values])
    cells = ws[ws.max_row]
    for cell in cells:
        if formula_like(cell.value):
            cell.data_type = "s"
    return cells


def csv_text(value: Any) -> Any:
    """A CSV field: formula-like text gets a leading apostrophe (CSV has no cell types)."""
    return "'" + value if formula_like(value) else value


# Reading uploaded workbooks -------------------------------------------------------------
#
# Limits, so that a small upload cannot tie up the server: reading needs no database and
# comes first, so a view holds no transaction (on SQLite: no write lock) while a file is
# read. The package is checked before any XML is parsed (:func:`check_archive`): at most
# ``file_bytes`` uploaded, ``parts`` members, ``unpacked_bytes`` unpacked, deflate or
# stored only, and no part but a sheet over ``part_bytes`` (openpyxl parses those whole).
# The sheets are then streamed and reading stops at the first row past the limits
# (:func:`sheet_rows`): ``rows`` rows with content in all, nothing read below row
# ``sheet_rows`` + 1.


@dataclass(frozen=True)
class WorkbookLimits:
    """How much an uploaded workbook may hold (see the comment above)."""

    file_bytes: int
    unpacked_bytes: int
    part_bytes: int
    parts: int
    rows: int
    sheet_rows: int


NOT_A_WORKBOOK = _l("This is not an Excel workbook (.xlsx).")

Row = tuple[int, tuple[Any, ...]]  # (row number, cells)


def check_archive(data: bytes, limits: WorkbookLimits) -> None:
    """Refuse, before any XML is parsed, what is not a plain XLSX package of a sane size:
    not a zip, more than ``limits.parts`` members, a member packed other than stored or
    deflated (or encrypted), more than ``limits.unpacked_bytes`` once unpacked (a zip
    bomb), or a part other than a sheet (which is streamed) over ``limits.part_bytes``.
    The sizes are those the zip declares; :mod:`zipfile` never unpacks more than that."""
    too_large = ServiceError(_l("This workbook is too large to import (at most %(mb)d MB "
                                "unpacked).", mb=limits.unpacked_bytes // 2**20), "file")
    if len(data) > limits.file_bytes:
        raise too_large
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ServiceError(NOT_A_WORKBOOK, "file") from exc
    if any(m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
           or m.flag_bits & 0x1 for m in members):  # other codecs, or encrypted
        raise ServiceError(NOT_A_WORKBOOK, "file")
    if (len(members) > limits.parts
            or sum(m.file_size for m in members) > limits.unpacked_bytes
            or any(m.file_size > limits.part_bytes for m in members
                   if not m.filename.startswith("xl/worksheets/"))):
        raise too_large


class _LazySheet(ReadOnlyWorksheet):
    """A read-only sheet that reads nothing until its rows are asked for. openpyxl's
    own looks for the sheet's ``<dimension>`` when the workbook opens and, if there is
    none, parses the whole sheet to find out (every sheet, however long)."""

    def _get_size(self) -> None:
        pass


class _StreamingReader(ExcelReader):
    """``openpyxl.load_workbook(read_only=True)`` with :class:`_LazySheet` sheets."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                ws = _LazySheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state or "visible"
                # as openpyxl's own reader adds its read-only sheets (the stubs leave the
                # private list out)
                self.wb._sheets.append(ws)  # type: ignore[attr-defined]


def sheet_rows(sheet: Any, room: int, columns: int, limits: WorkbookLimits) -> list[Row]:
    """The rows with content of ``sheet`` from row 2 on (``columns`` cells each, padded),
    streamed: reading stops at the ``room + 1``-th row with content or past row
    ``limits.sheet_rows`` + 1 (refused), so a sheet of a million rows costs no more than
    one at the limit. Cells hold what the file stores (a formula's cached value, never
    the formula run)."""
    sheet.reset_dimensions()  # the file's own <dimension> may lie either way
    rows: list[Row] = []
    pad = (None,) * columns
    found = sheet.iter_rows(min_row=2, max_row=limits.sheet_rows + 2, max_col=columns,
                            values_only=True)
    for number, values in enumerate(found, start=2):
        if number > limits.sheet_rows + 1:
            raise ServiceError(_l("The sheet goes on past row %(row)d: delete the empty rows "
                                  "below your data.", row=limits.sheet_rows + 1), "file")
        if any(v is not None and str(v).strip() for v in values):
            rows.append((number, (tuple(values) + pad)[:columns]))
            if len(rows) > room:
                raise ServiceError(_l("At most %(max)d rows at a time.", max=limits.rows),
                                   "file")
    return rows


def read_sheets(data: bytes, limits: WorkbookLimits, columns: Sequence[int]) -> list[list[Row]]:
    """Read an uploaded workbook, without the database: the archive is checked first
    (:func:`check_archive`), then the first ``len(columns)`` sheets are streamed
    (openpyxl read-only; sheet *i* with ``columns[i]`` cells a row) up to
    ``limits.rows`` rows with content in all. Refuses (``ServiceError`` on ``file``) a
    file that is not a workbook, too large, lacks a sheet, or has no rows."""
    check_archive(data, limits)
    try:
        reader = _StreamingReader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read()
        book = reader.wb
        try:
            sheets = book.worksheets
            if len(sheets) < len(columns):
                raise ServiceError(_l("The workbook needs the sheets of the template."),
                                   "file")
            found: list[list[Row]] = []
            for sheet, width in zip(sheets, columns, strict=False):
                room = limits.rows - sum(len(rows) for rows in found)
                found.append(sheet_rows(sheet, room, width, limits))
        finally:
            book.close()
    except ServiceError:
        raise
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError,
            AttributeError, OSError, EOFError, SyntaxError, zlib.error) as exc:
        # SyntaxError: XML that does not parse (ElementTree's ParseError)
        raise ServiceError(NOT_A_WORKBOOK, "file") from exc
    if not any(found):
        raise ServiceError(_l("The workbook has no rows to import."), "file")
    return found
