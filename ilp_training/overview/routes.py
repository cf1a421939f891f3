"""The overview pages: counts by place of the hierarchy, national → province → regency →
puskesmas → posyandu (``/overview…``), each with the same shape, its children's table
and the downloads of its tables (``….xlsx`` / ``….csv?table=…``).

A place outside the user's place scope (:func:`ilp_training.scope.place_scope`) is a
404. Regions are named by their Kemendagri code (``/overview/regency/74.14``).
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BaseConverter

from assessments import Framework
from ilp_training.auth import signed_in_user
from ilp_training.core.curricula import framework_on
from ilp_training.core.errors import refuse
from ilp_training.core.i18n import fdate, local_today
from ilp_training.core.spreadsheets import XLSX_MIMETYPE
from ilp_training.core.views import Page, page_args
from ilp_training.incentives.rules import Period
from ilp_training.overview import exports
from ilp_training.overview import services as service
from ilp_training.overview.exports import Table
from ilp_training.overview.permissions import may_open_posyandu_records, may_see_overview
from ilp_training.overview.rollups import PlaceLevel
from ilp_training.overview.services import Place, Summary
from ilp_training.rosters.charts import PlaceSummary, summaries
from ilp_training.scope import place_scope
from ilp_training.training.charts import bar_chart

bp = Blueprint("overview", __name__)  # paths in full: the national download is /overview.xlsx


class RegionCodeConverter(BaseConverter):
    """A Kemendagri code in a URL: ``74`` or ``74.14`` (so ``74.14.xlsx`` is a download,
    not a code)."""

    regex = r"\d{2}(?:\.\d{2})?"


@bp.record_once
def _region_converter(state: BlueprintSetupState) -> None:
    """Before the rules are added (the blueprint records them after this)."""
    state.app.url_map.converters.setdefault("region", RegionCodeConverter)

ENDPOINTS = {PlaceLevel.NATIONAL: "national", PlaceLevel.PROVINCE: "province",
             PlaceLevel.REGENCY: "regency", PlaceLevel.PUSKESMAS: "puskesmas",
             PlaceLevel.POSYANDU: "posyandu"}
FORMATS = {"xlsx": XLSX_MIMETYPE, "csv": "text/csv"}
PERIOD_KEY = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$")


@bp.app_context_processor
def _menu_flags() -> dict[str, bool]:
    """What the main menu offers: the overview, to those who may see it."""
    user = signed_in_user()
    return {"may_see_overview": user is not None and may_see_overview(user)}


def place_args(place: Place) -> dict[str, Any]:
    """The URL arguments of ``place``'s overview page (its endpoint: :data:`ENDPOINTS`)."""
    level = place.key.level
    if level == PlaceLevel.PROVINCE:
        return {"province_code": place.code}
    if level == PlaceLevel.REGENCY:
        return {"regency_code": place.code}
    if level == PlaceLevel.PUSKESMAS:
        return {"puskesmas_id": place.key.id}
    if level == PlaceLevel.POSYANDU:
        return {"posyandu_id": place.key.id}
    return {}


def place_url(place: Place, **extra: Any) -> str:
    return url_for(f"overview.{ENDPOINTS[place.key.level]}", **place_args(place), **extra)


def _chain_or_404(level: PlaceLevel, ident: str | int) -> list[Place]:
    """The place and those above it, if the user may see its counts; else 404."""
    chain = service.place_chain(level, ident)
    if chain is None or not service.visible(place_scope(current_user), chain[-1]):
        abort(404)
    return chain


def _period() -> str:
    """The incentive period asked for (``?period=2026-10``, a month, quarter or year),
    by default last month's by the site's clock; 400 for anything else."""
    key = request.args.get("period", "").strip()
    if not key:
        return Period.month_before(local_today()).key
    try:
        if not PERIOD_KEY.match(key):
            raise ValueError(key)
        return Period.parse(key).key  # ValueError for a day that cannot be (year 0)
    except ValueError:
        refuse(400, _("The period is a month (2026-10), a quarter (2026-Q4) or a year."))


def _context() -> tuple[Framework, str, list[str], str]:
    return framework_on(local_today()), str(get_locale()), service.month_keys(local_today()), \
        _period()


def _page(level: PlaceLevel, ident: str | int) -> ResponseReturnValue:
    chain = _chain_or_404(level, ident)
    place, scope = chain[-1], place_scope(current_user)
    framework, locale, months, period = _context()
    summary, data = service.place_summary(place, framework, locale, months, period)
    children = service.children(place)
    number, per_page = page_args()
    number = min(number, max(1, -(-len(children) // per_page)))
    shown = children[(number - 1) * per_page:number * per_page]
    rows = service.children_summaries(place, shown, framework, locale, months, period)
    periods = sorted({period, *data.villages_approved}, reverse=True)
    crumbs = [(p.name, place_url(p) if service.visible(scope, p) else None) for p in chain[:-1]]
    chart = bar_chart([(fdate(_month(m), "MMM"), fdate(_month(m), "yyyy")
                        if m.endswith("-01") or i == 0 else "", n)
                       for i, (m, n) in enumerate(summary.trainings)])
    return render_template(
        "overview/place.html", place=place, level=level.value, crumbs=crumbs,
        summary=summary, line=_level_line(summary), chart=chart,
        page=Page(rows, number, per_page, len(children)), period=period, periods=periods,
        child_level=children[0].key.level.value if children else None,
        child_url=place_url, endpoint=f"overview.{ENDPOINTS[level]}",
        records_url=(url_for("cadres.roster", posyandu_id=place.key.id)
                     if level == PlaceLevel.POSYANDU and may_open_posyandu_records(current_user)
                     else None),
        download=lambda fmt, table: _download_url(place, fmt, table, period))


def _month(key: str) -> date:
    return date(int(key[:4]), int(key[5:7]), 1)


def _level_line(summary: Summary) -> PlaceSummary:
    """The seed's sentence ("1 Utama, 4 Madya, 9 Purwa, …") and the roster's bar."""
    return summaries([summary.levels])[0]


def _download_url(place: Place, fmt: str, table: str, period: str) -> str:
    return url_for(f"overview.export_{ENDPOINTS[place.key.level]}", **place_args(place),
                   fmt=fmt, table=table, period=period)


def _export(level: PlaceLevel, ident: str | int, fmt: str) -> ResponseReturnValue:
    chain = _chain_or_404(level, ident)
    place = chain[-1]
    try:
        table = Table(request.args.get("table", Table.CHILDREN.value))
    except ValueError:
        refuse(400, _("Unknown table: choose children, levels, packages or trainings."))
    framework, locale, months, period = _context()
    summary, _data = service.place_summary(place, framework, locale, months, period)
    if table == Table.CHILDREN:
        children = service.children(place)
        rows = service.children_summaries(place, children, framework, locale, months, period)
        headings, body = exports.children_table(summary, rows, period)
    else:
        headings, body = {Table.LEVELS: exports.levels_table,
                          Table.PACKAGES: exports.packages_table,
                          Table.TRAININGS: exports.trainings_table}[table](summary)
    slug = (place.code or str(place.key.id)) if level != PlaceLevel.NATIONAL else "indonesia"
    name = f"overview-{level.value}-{slug}-{table.value}.{fmt}"
    data = (exports.xlsx_bytes(table.value, headings, body) if fmt == "xlsx"
            else exports.csv_bytes(headings, body))
    return send_file(io.BytesIO(data), mimetype=FORMATS[fmt], as_attachment=True,
                     download_name=name)


@bp.get("/overview/home")
@login_required
def home() -> ResponseReturnValue:
    """The user's own overview: the top of their place scope."""
    found = service.home_place(place_scope(current_user))
    if found is None:
        abort(404)
    level, ident = found
    args = {PlaceLevel.PROVINCE: "province_code", PlaceLevel.REGENCY: "regency_code",
            PlaceLevel.PUSKESMAS: "puskesmas_id", PlaceLevel.POSYANDU: "posyandu_id"}
    kwargs: dict[str, Any] = {args[level]: ident} if level in args else {}
    return redirect(url_for(f"overview.{ENDPOINTS[level]}", **kwargs))


@bp.get("/overview")
@login_required
def national() -> ResponseReturnValue:
    return _page(PlaceLevel.NATIONAL, 0)


@bp.get("/overview/province/<region:province_code>")
@login_required
def province(province_code: str) -> ResponseReturnValue:
    return _page(PlaceLevel.PROVINCE, province_code)


@bp.get("/overview/regency/<region:regency_code>")
@login_required
def regency(regency_code: str) -> ResponseReturnValue:
    return _page(PlaceLevel.REGENCY, regency_code)


@bp.get("/overview/puskesmas/<int:puskesmas_id>")
@login_required
def puskesmas(puskesmas_id: int) -> ResponseReturnValue:
    return _page(PlaceLevel.PUSKESMAS, puskesmas_id)


@bp.get("/overview/posyandu/<int:posyandu_id>")
@login_required
def posyandu(posyandu_id: int) -> ResponseReturnValue:
    return _page(PlaceLevel.POSYANDU, posyandu_id)


@bp.get("/overview.<any(xlsx, csv):fmt>")
@login_required
def export_national(fmt: str) -> ResponseReturnValue:
    return _export(PlaceLevel.NATIONAL, 0, fmt)


@bp.get("/overview/province/<region:province_code>.<any(xlsx, csv):fmt>")
@login_required
def export_province(province_code: str, fmt: str) -> ResponseReturnValue:
    return _export(PlaceLevel.PROVINCE, province_code, fmt)


@bp.get("/overview/regency/<region:regency_code>.<any(xlsx, csv):fmt>")
@login_required
def export_regency(regency_code: str, fmt: str) -> ResponseReturnValue:
    return _export(PlaceLevel.REGENCY, regency_code, fmt)


@bp.get("/overview/puskesmas/<int:puskesmas_id>.<any(xlsx, csv):fmt>")
@login_required
def export_puskesmas(puskesmas_id: int, fmt: str) -> ResponseReturnValue:
    return _export(PlaceLevel.PUSKESMAS, puskesmas_id, fmt)


@bp.get("/overview/posyandu/<int:posyandu_id>.<any(xlsx, csv):fmt>")
@login_required
def export_posyandu(posyandu_id: int, fmt: str) -> ResponseReturnValue:
    return _export(PlaceLevel.POSYANDU, posyandu_id, fmt)
