"""The attendance list (PDF, through :func:`ilp_training.core.pdf.render_pdf`) and the
participant results (XLSX) of one event, built from plain data.

The attendance list's headings are bilingual by design (Indonesian, then English in
italics, both from the catalogs), so a printed, signed sheet reads the same for everyone;
values (type, dates) follow the user's language. Days are split into sheets of
:data:`DAYS_PER_SHEET` signature columns.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from assessments import Framework
from ilp_training.cadres import cadre_number
from ilp_training.core.i18n import fdate
from ilp_training.core.spreadsheets import append_row, first_sheet
from ilp_training.models import TrainingEvent
from ilp_training.training.forms import label
from ilp_training.training.services.reports import ParticipantRow

DAYS_PER_SHEET = 6


def _skills(event: TrainingEvent, framework: Framework, locale: str) -> list[str]:
    return [f"{code} {framework.skill(code).name.get(locale)}" if framework.has_skill(code)
            else code for code in event.skill_codes]


def _place(event: TrainingEvent) -> str:
    return event.puskesmas.name if event.puskesmas is not None else event.district.name


def _headings() -> dict[str, str]:
    return {"list": _("Attendance list"), "training": _("Training"),
            "organiser": _("Organiser"), "venue": _("Venue"), "dates": _("Dates"),
            "facilitators": _("Facilitators"), "skills": _("Skills"), "name": _("Name"),
            "signature": _("Signature"), "no": _("No."),
            "recorded": _("Attendance recorded"), "days": _("Days present"),
            "pre": _("Pre-test"), "post": _("Post-test"), "outcome": _("Outcome"),
            "present": _("present"), "absent": _("absent")}


def bilingual_headings() -> dict[str, dict[str, str]]:
    """Each heading of the sheet in Indonesian and in English: ``h.name.id``."""
    texts = {}
    for code in ("id", "en"):
        with force_locale(code):
            texts[code] = _headings()
    return {key: {"id": texts["id"][key], "en": texts["en"][key]} for key in texts["id"]}


def attendance_context(event: TrainingEvent, rows: Sequence[ParticipantRow],
                       framework: Framework,
                       attended: Mapping[int, set[date]] | None = None) -> dict[str, Any]:
    """Plain data for ``pdf/attendance.html``: the event facts, the participants, and the
    days in sheets of at most :data:`DAYS_PER_SHEET`.

    Before any attendance is recorded (``attended`` empty) it is the sheet to sign: a box
    per participant and day. Once attendance is recorded it is the record: per day present
    or absent, the days present, the tests and the outcome (while the event is finished;
    before, the outcome stays empty)."""
    locale = str(get_locale())
    days = [fdate(day, "EEE d MMM") for day in event.days]
    attended = attended or {}
    return {
        "recorded": bool(attended),
        "participants": [_participant(r, event, attended.get(r.id, set())) for r in rows],
        "lang": locale,
        "h": bilingual_headings(),
        "title": event.title,
        "type": str(label(event.type)),
        "organiser": event.partner_name or str(label(event.organiser)),
        "place": _place(event),
        "venue": event.venue,
        "dates": f"{fdate(event.start_date, 'long')} – {fdate(event.end_date, 'long')}",
        "facilitators": [f.label for f in event.facilitators],
        "skills": _skills(event, framework, locale),
        "sheets": [list(range(i, min(i + DAYS_PER_SHEET, len(days))))
                   for i in range(0, len(days), DAYS_PER_SHEET)],
        "day_labels": days,
    }


def _participant(row: ParticipantRow, event: TrainingEvent, present: set[date]
                 ) -> dict[str, Any]:
    return {"name": row.name, "number": cadre_number(row.cadre_id), "posyandu": row.posyandu,
            "present": [day in present for day in event.days], "days": len(present),
            "pre": row.pre, "post": row.post,
            "outcome": str(label(row.outcome)) if row.outcome else "",
            "reason": str(label(row.reason)) if row.reason else ""}


def results_workbook(event: TrainingEvent, rows: Sequence[ParticipantRow]) -> bytes:
    """One row per participant: name, posyandu, days present (of the event's days), pre,
    post, gain, outcome and reason (empty while the event is not finished)."""
    wb = Workbook()
    ws = first_sheet(wb)
    ws.title = _("Results")[:31]
    headings = [_("Name"), _("Posyandu"), _("Days present (of %(days)d)", days=len(event.days)),
                _("Pre-test"), _("Post-test"),
                _("Gain"), _("Outcome"), _("Reason")]
    append_row(ws, headings)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        append_row(ws, [r.name, r.posyandu, r.days_present, r.pre, r.post, r.gain,
                        str(label(r.outcome)) if r.outcome else "",
                        str(label(r.reason)) if r.reason else ""])
    ws.freeze_panes = "A2"
    for column, width in zip("ABCDEFGH", (32, 20, 12, 10, 10, 8, 16, 30), strict=True):
        ws.column_dimensions[column].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
