"""The three sheets (posyandu, cadres, paper-era results): their columns, the templates
to download, the exports in the same columns, and the copy of an upload that marks its
bad cells. Headings and explanations are in the user's language; the columns are read by
position, so a sheet filled in one language imports in the other."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ilp_training.core.spreadsheets import (
    Row,
    WorkbookLimits,
    append_row,
    cell_text,
    formula_like,
)
from ilp_training.imports.cells import Problem
from ilp_training.models import ImportKind

# Limits stated on the import page. A template of 10,000 cadres is about 450 KB.
LIMITS = WorkbookLimits(file_bytes=8 * 2**20, unpacked_bytes=64 * 2**20,
                        part_bytes=16 * 2**20, parts=64, rows=20_000, sheet_rows=40_000)
BACKGROUND_ROWS = 300  # files with more rows are checked and applied by the worker


@dataclass(frozen=True)
class Column:
    heading: LazyString
    meaning: LazyString
    required: bool = False
    text_cells: bool = False  # stored as text (NIK, phone: a number would lose digits)
    date_cells: bool = False
    width: int = 18


VILLAGE = Column(_l("Village (code or name)"), _l(
    "The desa/kelurahan: its Kemendagri code (e.g. 74.14.02.2003) or its name as the "
    "site lists it. May be left empty when the posyandu name is unique in your area."),
    width=22)

COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.POSYANDU: (
        Column(VILLAGE.heading, _l("The desa/kelurahan of the posyandu: its Kemendagri code "
                                   "(e.g. 74.14.02.2003) or its name. It must lie in the "
                                   "catchment of the puskesmas."), required=True, width=22),
        Column(_l("Posyandu"), _l("The posyandu's name; with the village, it names the "
                                  "posyandu (a name already there updates that posyandu)."),
               required=True, width=24),
        Column(_l("Dusun"), _l("Optional: the dusun (hamlet)."), width=16),
        Column(_l("RW"), _l("Optional: the RW."), text_cells=True, width=8),
        Column(_l("Puskesmas"), _l("The puskesmas that serves the posyandu, by name, within "
                                   "your area (coordinators: empty means your own)."),
               width=26),
        Column(_l("Pustu"), _l("Optional: the Pustu of that puskesmas that serves it."),
               width=20),
    ),
    ImportKind.CADRES: (
        VILLAGE,
        Column(_l("Posyandu"), _l("The posyandu the cadre serves, by name, within your area."),
               required=True, width=22),
        Column(_l("Full name"), _l("The cadre's full name (at most 120 characters)."),
               required=True, width=28),
        Column(_l("NIK"), _l("16 digits, as text. It must agree with the birth date and the "
                             "sex. A cadre already registered is found by NIK (without "
                             "one: by name at the posyandu) and updated."),
               text_cells=True, width=20),
        Column(_l("Sex"), _l("P (perempuan) or L (laki-laki)."), required=True, width=8),
        Column(_l("Birth date"), _l("YYYY-MM-DD or DD/MM/YYYY, not in the future."),
               date_cells=True, width=13),
        Column(_l("Phone"), _l("8 to 15 digits, as text (a leading + is allowed)."),
               text_cells=True, width=16),
        Column(_l("Cadre since"), _l("The date the cadre started, not in the future."),
               date_cells=True, width=13),
        Column(_l("BPJS Ketenagakerjaan number"), _l(
            "The number of an enrolled cadre; empty if not enrolled."),
            text_cells=True, width=24),
    ),
    ImportKind.RESULTS: (
        Column(_l("NIK"), _l("The NIK of a registered cadre of your area (16 digits, as "
                             "text)."), required=True, text_cells=True, width=20),
        Column(_l("Full name"), _l("Optional: when given, it must be the cadre's name."),
               width=28),
        Column(_l("Date assessed"), _l("The date on the paper record (YYYY-MM-DD), within "
                                       "the competency framework's validity and not in the "
                                       "future."), required=True, date_cells=True, width=14),
        Column(_l("Skills mastered"), _l(
            "The skills found competent, separated by commas: skill codes (A1, B3 …) or a "
            "package letter for all its skills (A, B …)."), required=True, width=30),
        Column(_l("Assessed by"), _l("The assessor or the puskesmas named on the record."),
               required=True, width=28),
    ),
}

SHEET_TITLES = {
    ImportKind.POSYANDU: _l("Posyandu"),
    ImportKind.CADRES: _l("Cadres"),
    ImportKind.RESULTS: _l("Paper-era results"),
}

# The template's example row (kept as data, the same in every language); a row equal to
# it is skipped, so a template sent back with the example still in place imports the rest.
EXAMPLES: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.POSYANDU: ("74.14.02.2099", "Posyandu Contoh", "Dusun I", "02",
                          "Puskesmas Contoh", ""),
    ImportKind.CADRES: ("74.14.02.2099", "Posyandu Contoh", "Wa Ode Contoh",
                        "7414024505900001", "P", "1990-05-05", "081234567890", "2019-01-15",
                        ""),
    ImportKind.RESULTS: ("7414024505900001", "Wa Ode Contoh", "2023-08-17", "A, B, C1, C2",
                         "Puskesmas Contoh"),
}

FILENAMES = {ImportKind.POSYANDU: "posyandu", ImportKind.CADRES: "kader",
             ImportKind.RESULTS: "hasil-kertas"}


def width(kind: ImportKind) -> int:
    return len(COLUMNS[kind])


def column_name(kind: ImportKind, index: int | None) -> str:
    """``C (Full name)``: the column's letter and heading in the current language."""
    if index is None:
        return ""
    return f"{get_column_letter(index + 1)} ({COLUMNS[kind][index].heading})"


def is_example(kind: ImportKind, values: Sequence[Any]) -> bool:
    found = tuple("" if v is None else str(v).strip() for v in values)
    return found == EXAMPLES[kind]


def _data_sheet(book: Workbook, kind: ImportKind) -> Any:
    ws = book.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = str(SHEET_TITLES[kind])[:31]
    columns = COLUMNS[kind]
    append_row(ws, [str(c.heading) for c in columns])
    for index, column in enumerate(columns, start=1):
        ws.cell(1, index).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    return ws


def _format_columns(ws: Any, kind: ImportKind, last_row: int) -> None:
    """Text format for NIK and phone columns (so that a typed number keeps its digits),
    a date format for dates, down to the row limit's worth of rows."""
    for index, column in enumerate(COLUMNS[kind], start=1):
        if column.text_cells or column.date_cells:
            for row in range(2, max(last_row, 2) + 200):
                ws.cell(row, index).number_format = "@" if column.text_cells else "yyyy-mm-dd"


def _explanation_sheet(book: Workbook, kind: ImportKind) -> None:
    ws = book.create_sheet(_("Explanation")[:31])
    append_row(ws, [_("Column"), _("Required"), _("What it holds and the allowed values")])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS[kind]):
        append_row(ws, [column_name(kind, index), _("yes") if column.required else _("no"),
                        str(column.meaning)])
    append_row(ws, [])
    for line in notes(kind):
        append_row(ws, [line])
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 90
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def notes(kind: ImportKind) -> list[str]:
    """The rules of the whole file, for the explanation sheet and the page."""
    lines = [
        _("Row 1 holds the headings; one row per record from row 2. The example row is "
          "skipped while it is left unchanged."),
        _("All or nothing: if any row is wrong, nothing is imported and every wrong row is "
          "listed with its column and the reason; a copy of your sheet marks the cells."),
        _("A correct file is shown first (new, changed, unchanged per posyandu) and "
          "applied only when you confirm. Importing the same file again changes nothing."),
        _("At most %(rows)d rows and %(mb)d MB per file; files of more than %(sync)d rows "
          "are checked and applied in the background.", rows=LIMITS.rows,
          mb=LIMITS.file_bytes // 2**20, sync=BACKGROUND_ROWS),
    ]
    if kind == ImportKind.CADRES:
        lines.append(_("An empty cell leaves what is stored unchanged. A cadre found at "
                       "another posyandu of your area is moved there (the move is kept "
                       "in the cadre's history)."))
    if kind == ImportKind.RESULTS:
        lines.append(_("Each result is stored as an assessment transferred from paper "
                       "records (no indicator scores); the level follows by the usual "
                       "rules, and a later scored assessment takes over."))
    return lines


def save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template(kind: ImportKind) -> bytes:
    """The empty template: headings, the example row, the explanation sheet."""
    book = Workbook()
    ws = _data_sheet(book, kind)
    append_row(ws, list(EXAMPLES[kind]))
    for cell in ws[2]:
        cell.font = Font(italic=True, color="666666")
    _format_columns(ws, kind, 2)
    _explanation_sheet(book, kind)
    return save(book)


def export(kind: ImportKind, rows: Iterable[Sequence[Any]]) -> bytes:
    """The records of the user's area in the template's columns (an import of it
    changes nothing)."""
    book = Workbook()
    ws = _data_sheet(book, kind)
    for values in rows:
        append_row(ws, list(values))
    _format_columns(ws, kind, ws.max_row)
    _explanation_sheet(book, kind)
    return save(book)


BAD = PatternFill("solid", fgColor="F4C7C3")


def marked_copy(kind: ImportKind, rows: Sequence[Row], problems: Sequence[Problem]) -> bytes:
    """The uploaded rows at their row numbers, the bad cells filled red with the reason
    as a comment, and a last column listing each row's problems."""
    book = Workbook()
    ws = _data_sheet(book, kind)
    extra = width(kind) + 1
    ws.cell(1, extra, _("Problems")).font = Font(bold=True)
    ws.column_dimensions[get_column_letter(extra)].width = 60
    for number, values in rows:
        for index, value in enumerate(values, start=1):
            if value is not None:
                cell = ws.cell(number, index)
                cell.value = cell_text(value)
                if formula_like(cell.value):
                    cell.data_type = "s"
    by_row: dict[int, list[Problem]] = {}
    for item in problems:
        by_row.setdefault(item.row, []).append(item)
        column = (item.column or 0) + 1
        cell = ws.cell(item.row, column)
        cell.fill = BAD
        text = item.text()
        cell.comment = Comment(text if cell.comment is None else f"{cell.comment.text}\n{text}",
                               "ILP")
    for number, found in by_row.items():
        ws.cell(number, extra, "; ".join(p.text() for p in found))
    _format_columns(ws, kind, 1)
    _explanation_sheet(book, kind)
    return save(book)
