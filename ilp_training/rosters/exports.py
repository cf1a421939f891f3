"""Spreadsheet exports of the roster: XLSX (cadres, levels, skill gaps) and CSV (cadres).

Headings are in the user's language. Only what the roster page shows goes out: no NIK,
phone or birth date. Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@`` first) is kept as text: a string cell in XLSX, a leading apostrophe in CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from assessments import Framework
from ilp_training.cadres import cadre_number
from ilp_training.core.spreadsheets import append_row, csv_text, first_sheet
from ilp_training.models import CadreStatus
from ilp_training.rosters.services import GapMatrix, GapRow, LevelRow


def cadre_headings() -> list[str]:
    return [_("Name"), _("Cadre number"), _("Posyandu"), _("Village"), _("Level"), _("Badges"),
            _("Last assessed"), _("Status")]


def _level_name(framework: Framework, locale: str, code: str | None) -> str:
    if code is None:
        return _("no level yet")
    try:
        return framework.level(code).name.get(locale)
    except KeyError:
        return code


def cadre_records(rows: Iterable[Any], framework: Framework, locale: str) -> list[list[Any]]:
    """One list of cell values per cadre row of :func:`services.rosters.cadre_list`."""
    return [
        [row.full_name, cadre_number(row.id), row.posyandu_name, row.village_name,
         _level_name(framework, locale, row.level_code), row.badge_count,
         row.last_assessed_on,
         _("Active") if row.status == CadreStatus.ACTIVE else _("Inactive")]
        for row in rows
    ]


def _place_cells(row: LevelRow | GapRow) -> list[Any]:
    if row.place is None:
        return [_("Total"), ""]
    return [row.place.name, row.place.detail]


def _append(ws: Worksheet, values: Sequence[Any]) -> None:
    for cell in append_row(ws, values):
        if isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"


def _sheet(ws: Worksheet, title: str, headings: Sequence[str],
           rows: Iterable[Sequence[Any]]) -> None:
    ws.title = title[:31]
    _append(ws, headings)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "B2"
    for values in rows:
        _append(ws, values)
    for index, column in enumerate(ws.iter_cols(min_row=1, max_row=1), start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(6, min(40, len(
            str(column[0].value)) + 2))


def xlsx_bytes(cadres: list[list[Any]], levels: tuple[list[LevelRow], LevelRow],
               gaps: GapMatrix, place_heading: str) -> bytes:
    """A workbook with the sheets cadres, levels (per place) and skill gaps (per place:
    active cadres, then how many have mastered each skill)."""
    book = Workbook()
    _sheet(first_sheet(book), _("Cadres"), cadre_headings(), cadres)
    level_rows, level_total = levels
    names = [c.name or _("no level yet") for c in level_total.counts]
    _sheet(book.create_sheet(), _("Levels"),
           [place_heading, _("Area"), *names, _("Active cadres")],
           [[*_place_cells(r), *(c.count for c in r.counts), r.total]
            for r in [*level_rows, level_total]])
    skills = [f"{code} {name}" for p in gaps.packages for code, name in p.skills]
    _sheet(book.create_sheet(), _("Skill gaps"),
           [place_heading, _("Area"), _("Active cadres"), *skills],
           [[*_place_cells(r), r.active, *(c.mastered for c in r.cells)]
            for r in [*gaps.rows, gaps.total]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_text(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else csv_text(value)


def csv_bytes(cadres: list[list[Any]]) -> bytes:
    """The cadres as CSV (comma-separated, RFC 4180 quoting), UTF-8 with a byte-order
    mark so that Excel reads the accents right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(cadre_headings())
    writer.writerows([_csv_text(v) for v in row] for row in cadres)
    return out.getvalue().encode("utf-8-sig")
