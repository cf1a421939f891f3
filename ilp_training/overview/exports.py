"""The overview's tables as spreadsheets: XLSX (``core.spreadsheets``) and CSV, the same
figures as the page, headings in the user's language. Counts only: no table here holds
a person's name."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ilp_training.core.spreadsheets import append_row, csv_text, first_sheet
from ilp_training.overview.services import Summary


class Table(StrEnum):
    """The tables of an overview page that can be downloaded (``?table=``)."""

    CHILDREN = "children"
    LEVELS = "levels"
    PACKAGES = "packages"
    TRAININGS = "trainings"


Cells = list[Any]


def _gain(summary: Summary) -> float | str:
    return "" if summary.mean_gain is None else round(summary.mean_gain, 1)


def children_table(parent: Summary, rows: Sequence[Summary],
                   period: str) -> tuple[Cells, list[Cells]]:
    """One row per child place and a total row (the parent's own figures): active
    cadres, each level (high to low, then none), competent cadres per package, trainings
    of the months shown, mean gain, certificates, approved villages of ``period`` and
    villages, cadres with BPJS Ketenagakerjaan."""
    headings: Cells = [_("Place"), _("Code or area"), _("Active cadres")]
    headings += [c.name if c.code else _("no level yet") for c in parent.levels.counts]
    headings += [_("Package %(code)s competent", code=p.code) for p in parent.packages]
    headings += [_("Trainings (12 months)"), _("Mean test gain"), _("Certificates issued"),
                 _("Villages approved %(period)s", period=period), _("Villages"),
                 _("Cadres with BPJS Ketenagakerjaan")]

    def cells(s: Summary, name: str, detail: str) -> Cells:
        return [name, detail, s.cadres, *(c.count for c in s.levels.counts),
                *(p.competent for p in s.packages), s.trainings_total, _gain(s),
                s.certificates, s.villages_approved, s.villages, s.bpjs]

    body = [cells(s, s.place.name, s.place.code or s.place.detail) for s in rows]
    body.append(cells(parent, _("Total"), parent.place.name))
    return headings, body


def levels_table(summary: Summary) -> tuple[Cells, list[Cells]]:
    return [_("Level"), _("Active cadres")], [
        [c.name if c.code else _("no level yet"), c.count] for c in summary.levels.counts]


def packages_table(summary: Summary) -> tuple[Cells, list[Cells]]:
    return ([_("Package"), _("Name"), _("Competent"), _("Not yet competent"), _("Share (%)")],
            [[p.code, p.name, p.competent, p.not_yet, p.share] for p in summary.packages])


def trainings_table(summary: Summary) -> tuple[Cells, list[Cells]]:
    return [_("Month"), _("Trainings")], [[m, n] for m, n in summary.trainings]


def xlsx_bytes(title: str, headings: Cells, rows: list[Cells]) -> bytes:
    """One sheet: the headings in bold, frozen, then the rows."""
    book = Workbook()
    ws = first_sheet(book)
    ws.title = title[:31]
    append_row(ws, headings)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for row in rows:
        append_row(ws, row)
    for index, heading in enumerate(headings, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(8, min(40, len(
            str(heading)) + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(headings: Cells, rows: list[Cells]) -> bytes:
    """UTF-8 with a byte-order mark (so that a spreadsheet reads the names right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [headings, *rows]:
        writer.writerow([csv_text(value) for value in row])
    return out.getvalue().encode("utf-8-sig")
