"""The coordinator roster: level counts per posyandu, the filtered cadre list, the
skill-gap matrix, the district view for admins, and the spreadsheet exports.

Each page asks for the posyandu in scope once (:func:`service.posyandu_rows`) and hands
them to the summaries, so a page runs a fixed handful of queries.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from assessments import Framework
from ilp_training.auth import permission_required
from ilp_training.core.curricula import framework_on
from ilp_training.core.i18n import local_today
from ilp_training.core.spreadsheets import XLSX_MIMETYPE
from ilp_training.core.views import paginate_counted
from ilp_training.rosters import exports
from ilp_training.rosters import services as service
from ilp_training.rosters.charts import (
    gap_cells,
    heat_map,
    level_badges,
    summaries,
)
from ilp_training.rosters.filters import parse_filters
from ilp_training.rosters.permissions import may_see_district
from ilp_training.rosters.services import Grouping, PosyanduRow, RosterFilters

bp = Blueprint("rosters", __name__, url_prefix="/roster")
bp.add_app_template_filter(gap_cells, "gap_cells")


def _context() -> tuple[Framework, str, Grouping]:
    return framework_on(local_today()), str(get_locale()), service.grouping_for(current_user)


def _filters(framework: Framework, posyandu: list[PosyanduRow],
             levels: list[service.LevelRow], grouping: Grouping) -> RosterFilters:
    puskesmas = [r.place.id for r in levels if r.place] if grouping == Grouping.PUSKESMAS else []
    return parse_filters(request.args, framework, {r.id for r in posyandu}, puskesmas)


def _place_heading(grouping: Grouping) -> str:
    return _("Puskesmas") if grouping == Grouping.PUSKESMAS else _("Posyandu")


def _choosable(posyandu: list[PosyanduRow], filters: RosterFilters,
               grouping: Grouping) -> list[PosyanduRow]:
    """The posyandu offered by the list filter: all in scope, except on a district (a
    thousand posyandu), where only those of the chosen puskesmas are offered."""
    if grouping == Grouping.POSYANDU:
        return posyandu
    return [r for r in posyandu
            if r.puskesmas_id == filters.puskesmas_id or r.id == filters.posyandu_id]


@bp.get("")
@login_required
def roster() -> ResponseReturnValue:
    framework, locale, grouping = _context()
    posyandu = service.posyandu_rows(current_user)
    levels, total = service.level_summary(current_user, framework, locale, grouping, posyandu)
    filters = _filters(framework, posyandu, levels, grouping)
    page = paginate_counted(service.cadre_list(current_user, filters, framework, local_today()))
    return render_template(
        "rosters/roster.html", levels=levels, summaries=summaries(levels),
        total=summaries([total])[0], grouping=grouping.value,
        badges=level_badges(framework, locale), framework=framework, locale=locale,
        choices=service.posyandu_choices(_choosable(posyandu, filters, grouping)),
        filters=filters, page=page,
        args=filters.query_args(), may_see_district=may_see_district(current_user),
    )


@bp.get("/gaps")
@login_required
def gaps() -> ResponseReturnValue:
    framework, locale, grouping = _context()
    posyandu = service.posyandu_rows(current_user) if grouping == Grouping.POSYANDU else None
    matrix = service.gap_matrix(current_user, framework, locale, grouping, posyandu)
    return render_template("rosters/gaps.html", matrix=matrix, heat=heat_map(matrix),
                           grouping=grouping.value)


@bp.get("/district")
@permission_required(may_see_district)
def district() -> ResponseReturnValue:
    framework, locale, _grouping = _context()
    levels, total = service.level_summary(current_user, framework, locale, Grouping.PUSKESMAS)
    matrix = service.gap_matrix(current_user, framework, locale, Grouping.PUSKESMAS)
    return render_template("rosters/district.html", levels=levels, summaries=summaries(levels),
                           total=summaries([total])[0], matrix=matrix, heat=heat_map(matrix))


def _export_cadres(framework: Framework, locale: str, grouping: Grouping,
                   posyandu: list[PosyanduRow],
                   ) -> tuple[list[list[object]], tuple[list[service.LevelRow],
                                                        service.LevelRow]]:
    levels = service.level_summary(current_user, framework, locale, grouping, posyandu)
    filters = _filters(framework, posyandu, levels[0], grouping)
    rows = service.cadre_rows(current_user, filters, framework, local_today())
    return exports.cadre_records(rows, framework, locale), levels


def _download(body: bytes, mimetype: str, extension: str) -> Response:
    """The export as an attachment (Werkzeug adds ``charset=utf-8`` to a text type)."""
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True,
                     download_name=f"roster-{local_today().isoformat()}.{extension}")


@bp.get("/export.xlsx")
@login_required
def export_xlsx() -> ResponseReturnValue:
    framework, locale, grouping = _context()
    posyandu = service.posyandu_rows(current_user)
    cadres, levels = _export_cadres(framework, locale, grouping, posyandu)
    matrix = service.gap_matrix(current_user, framework, locale, grouping,
                                posyandu if grouping == Grouping.POSYANDU else None)
    body = exports.xlsx_bytes(cadres, levels, matrix, _place_heading(grouping))
    return _download(body, XLSX_MIMETYPE, "xlsx")


@bp.get("/export.csv")
@login_required
def export_csv() -> ResponseReturnValue:
    framework, locale, grouping = _context()
    posyandu = service.posyandu_rows(current_user)
    cadres, _levels = _export_cadres(framework, locale, grouping, posyandu)
    return _download(exports.csv_bytes(cadres), "text/csv", "csv")
