"""Exported cells built from what users typed: text that a spreadsheet would run as a
formula (``=HYPERLINK(…)``, ``+``, ``-``, ``@`` …) stays text, and characters a workbook
cannot hold (control characters other than tab and line breaks, which the input policy
refuses but older data may hold) are replaced by U+FFFD, so that an export never fails
on stored text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.worksheet.worksheet import Worksheet

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
