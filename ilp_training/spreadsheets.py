"""Exported cells built from what users typed: text that a spreadsheet would run as a
formula (``=HYPERLINK(…)``, ``+``, ``-``, ``@`` …) stays text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def append_row(ws: Worksheet, values: Sequence[Any]) -> tuple[Cell, ...]:
    """Append ``values`` as a row; formula-like text is stored as a text cell."""
    ws.append(list(values))
    cells = ws[ws.max_row]
    for cell in cells:
        if formula_like(cell.value):
            cell.data_type = "s"
    return cells


def csv_text(value: Any) -> Any:
    """A CSV field: formula-like text gets a leading apostrophe (CSV has no cell types)."""
    return "'" + value if formula_like(value) else value
