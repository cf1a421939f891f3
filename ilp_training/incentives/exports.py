"""What the incentives area writes: labels shared by the page and the exports, the PDF
context (plain data), the finance officer's workbook and the activity import template.

Workbooks keep money as integer cells with a rupiah number format, so the finance
officer can add them up; text that a spreadsheet would run as a formula stays text.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from ilp_training.core.i18n import rupiah
from ilp_training.core.spreadsheets import append_row, first_sheet
from ilp_training.incentives.rules import Period, PeriodKind
from ilp_training.incentives.services.reports import Place, SummaryReport
from ilp_training.incentives.terbilang import rupiah_in_words

RUPIAH_FORMAT = '"Rp"#,##0'


def period_label(period: Period) -> str:
    """``Oktober 2026``, ``Triwulan 4 2026`` / ``Quarter 4 2026``, ``Tahun 2026``."""
    if period.kind == PeriodKind.MONTH:
        return format_date(period.start, "MMMM y")
    if period.kind == PeriodKind.QUARTER:
        return _("Quarter %(quarter)d %(year)d", quarter=period.quarter, year=period.start.year)
    return _("Year %(year)d", year=period.start.year)


def letterhead(place: Place) -> list[str]:
    """The heading lines of a village letter: district government, kecamatan, village."""
    district = (_("Government of %(name)s City", name=place.district)
                if place.district_kind == "kota"
                else _("Government of %(name)s Regency", name=place.district))
    return [district, _("%(name)s Subdistrict", name=place.kecamatan), village_title(place)]


def village_title(place: Place) -> str:
    if place.kind == "kelurahan":
        return _("Kelurahan %(name)s", name=place.name)
    return _("Village of %(name)s", name=place.name)


def head_title(place: Place) -> str:
    """Kepala Desa for a desa, Lurah for a kelurahan."""
    if place.kind == "kelurahan":
        return _("Lurah of %(name)s", name=place.name)
    return _("Village head (Kepala Desa) of %(name)s", name=place.name)


def finance_title(place: Place) -> str:
    if place.kind == "kelurahan":
        return _("Treasurer (Bendahara)")
    return _("Village finance officer (Kaur Keuangan)")


def status_line(report: SummaryReport) -> str:
    """Who approved which version when, or that this is a draft."""
    if report.version is None:
        return _("DRAFT: not approved")
    line = _("Version %(number)d, approved by %(name)s on %(when)s",
             number=report.version.number, name=report.version.approved_by,
             when=format_datetime(report.version.approved_at, "medium"))
    if report.state == "reopened" and report.version.reopened_at is not None:
        line += " · " + _("re-opened on %(when)s: %(reason)s",
                          when=format_datetime(report.version.reopened_at, "medium"),
                          reason=report.version.reopen_reason or "")
    return line


def words(amount: int, locale: str) -> str:
    """The amount in words, first letter capital (``Dua juta … rupiah``)."""
    text = rupiah_in_words(amount, locale)
    return text[:1].upper() + text[1:]


def pdf_context(report: SummaryReport, locale: str, level_names: Mapping[str, str],
                today: date) -> dict[str, Any]:
    """Everything the PDF template needs, as plain data."""
    return {
        "lang": locale, "report": report, "result": report.result,
        "letterhead": letterhead(report.place), "period": period_label(report.period),
        "status": status_line(report), "levels": dict(level_names),
        "words": words(report.result.grand_total, locale),
        "head_title": head_title(report.place), "finance_title": finance_title(report.place),
        "signed_on": format_date(today, "long"),
        "head_name": report.version.approved_by if report.version else "",
        "notes": {c.cadre_id: row_notes(c) for c in report.result.cadres},
    }


def _row(ws: Worksheet, values: Sequence[Any], money: Iterable[int] = (),
         bold: bool = False) -> None:
    money = set(money)
    for index, cell in enumerate(append_row(ws, values)):
        if index in money and isinstance(cell.value, int):
            cell.number_format = RUPIAH_FORMAT
        if bold:
            cell.font = Font(bold=True)


def cadre_headings() -> list[str]:
    return [_("No."), _("Name"), _("Posyandu"), _("Level"), _("Months active"),
            _("Opening days served"), _("Home visits"), _("Base"), _("Level top-up"),
            _("Opening-day top-up"), _("Home-visit top-up"), _("Total"),
            _("BPJS Ketenagakerjaan"), _("Notes")]


def row_notes(line: Any) -> str:
    """The flags of a row in words (inactive, no activity, over a cap, excluded)."""
    notes = []
    if line.excluded_reason:
        notes.append(_("Excluded: %(reason)s", reason=line.excluded_reason))
    if line.inactive:
        notes.append(_("Inactive"))
    if line.no_activity:
        notes.append(_("No activity"))
    if line.over_cap:
        notes.append(_("Over a cap"))
    return "; ".join(notes)


def summary_xlsx(report: SummaryReport, locale: str, level_names: Mapping[str, str]) -> bytes:
    """The summary as a workbook: heading lines, one row per cadre, the posyandu
    operational amounts and the totals (integer cells in rupiah format; each total also
    as Babel's rupiah text in the locale, as on the PDF)."""
    result, book = report.result, Workbook()
    ws = first_sheet(book)
    ws.title = _("Incentives")[:31]
    _row(ws, [_("Cadre incentive summary")], bold=True)
    for line in [*letterhead(report.place), period_label(report.period), status_line(report)]:
        _row(ws, [line])
    _row(ws, [_("Legal basis"), "; ".join(report.legal_basis) or "—"])
    _row(ws, [])
    _row(ws, cadre_headings(), bold=True)
    for number, c in enumerate(result.cadres, start=1):
        _row(ws, [number, c.name, c.posyandu, level_names.get(c.level_code or "", "—"),
                  c.months_active, c.days_served, c.home_visits, c.base, c.level_top_up,
                  c.opening_day_top_up, c.home_visit_top_up, c.total,
                  _("Enrolled") if c.bpjs_enrolled else _("Not enrolled"), row_notes(c)],
             money=range(7, 12))
        ws.cell(ws.max_row, 5).number_format = "0.00"
    _row(ws, [])
    _row(ws, [_("Posyandu"), _("Months"), _("Operational")], bold=True)
    for p in result.posyandu:
        _row(ws, [p.name, p.months, p.operational], money=[2])
    _row(ws, [])
    totals = [(_("Cadre incentives"), result.cadre_total),
              (_("Posyandu operations"), result.operational_total),
              (_("Grand total"), result.grand_total),
              (_("Budget line (APBDes)"), result.budget),
              (_("Budget minus grand total"), result.difference)]
    for label, amount in totals:  # the figure to add up, and Babel's rupiah text beside it
        _row(ws, [label, amount if amount is not None else "—", rupiah_text(amount)],
             money=[1], bold=True)
    _row(ws, [_("In words"), words(result.grand_total, locale)])
    _row(ws, [_("Cadres not yet covered by BPJS Ketenagakerjaan"), result.uninsured])
    for column, width in zip("ABCDEFGHIJKLMN", (28, 28, 16, 12, 10, 10, 10, 14, 14, 14, 14,
                                                16, 16, 30), strict=True):
        ws.column_dimensions[column].width = width
    return _save(book)


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_template(cadres: Sequence[tuple[int, str, str, str]]) -> bytes:
    """The activity workbook to fill in: sheet 1 opening days, sheet 2 home visits
    (read by ``services/activity_import.py``), sheet 3 the cadres of the user's area
    ``(id, name, posyandu, village)`` to copy IDs from."""
    book = Workbook()
    opening = first_sheet(book)
    opening.title = _("Opening days")[:31]
    _row(opening, [_("Date (YYYY-MM-DD)"), _("Posyandu"), _("Cadre ID"), _("Cadre name")],
         bold=True)
    visits = book.create_sheet(_("Home visits")[:31])
    _row(visits, [_("Month (YYYY-MM)"), _("Cadre ID"), _("Cadre name"), _("Home visits")],
         bold=True)
    reference = book.create_sheet(_("Cadres")[:31])
    _row(reference, [_("Cadre ID"), _("Name"), _("Posyandu"), _("Village")], bold=True)
    for values in cadres:
        _row(reference, list(values))
    for ws in (opening, visits, reference):
        for column in "ABCD":
            ws.column_dimensions[column].width = 24
    return _save(book)


def rupiah_text(amount: int | None) -> str:
    """Babel's rupiah, or a dash for no amount."""
    return rupiah(amount) if amount is not None else "—"
