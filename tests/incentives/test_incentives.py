"""Cadre welfare (issue 7): the incentive arithmetic on hand-worked cases, *terbilang*,
the village head's review and approval (freezing, re-opening as a new version), the
exports read back, bad input, activity import (all or nothing), scope, and the district
view."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from conftest import FAST_HASH, count_queries, login, pdf_text, posyandu_named, user_named
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from ilp_training.cadres import cadre_number
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.core.service import ServiceError
from ilp_training.incentives import permissions
from ilp_training.incentives.rules import (
    CadreInput,
    Period,
    PeriodKind,
    PosyanduInput,
    SummaryInput,
    Terms,
    add_months,
    cadre_line,
    compute_summary,
    days_by_level,
    days_in_month,
    parse_rupiah,
    round_half_up,
)
from ilp_training.incentives.services import schemes
from ilp_training.incentives.services.reports import district_overview
from ilp_training.incentives.services.summaries import approve_summary, load_draft
from ilp_training.incentives.terbilang import number_words_en, rupiah_in_words, terbilang
from ilp_training.models import (
    AuditEntry,
    Cadre,
    CadreStatus,
    HomeVisitCount,
    IncentiveScheme,
    IncentiveSummary,
    LevelChange,
    OpeningDay,
    Posyandu,
    Region,
    RegionLevel,
    Role,
    SummaryStatus,
    SummaryVersion,
    User,
    opening_day_cadres,
)
from tests import factories as make
from tests.helpers import (
    DEMO_MONTH,
    DEMO_PERIOD,
    activity_book,
    anggrek_cadres,
    coordinator_in_english,
    lalibo_id,
    summary_url,
    upload_activity,
)

pytestmark = pytest.mark.dates

OCT = date(2026, 10, 1)  # a month for the arithmetic tables
# The demo's months: the demo is loaded as of DEMO_DAY (conftest), which moves with the
# clock the suite runs on. Its three months of activity are FIRST_MONTH, APPROVED_MONTH
# (its summary approved) and DEMO_MONTH (a draft with a budget line); the month of
# DEMO_DAY itself has no activity yet.
APPROVED_MONTH = add_months(DEMO_MONTH, -1)
APPROVED_PERIOD = f"{APPROVED_MONTH:%Y-%m}"
FIRST_MONTH = add_months(DEMO_MONTH, -2)
# the district scheme runs open-ended from January of the year of the demo's first month
SCHEME_FROM = FIRST_MONTH.replace(month=1)
DEMO_BUDGET = 9_000_000
TERMS = Terms(base=250_000, per_opening_day=25_000, opening_day_cap=2, per_home_visit=10_000,
              home_visit_cap=8, operational=400_000,
              level_top_ups={"madya": 50_000, "utama": 100_000})


def _cadre(**overrides: object) -> CadreInput:
    values: dict[str, object] = {
        "cadre_id": 1, "name": "Wa Ode Sariati", "posyandu": "Anggrek", "level_code": "madya",
        "service": ((date(2020, 1, 1), None),)}
    values.update(overrides)
    return CadreInput(**values)  # type: ignore[arg-type]


def _month(start: date = OCT) -> Period:
    return Period(PeriodKind.MONTH, start)


# --- arithmetic on hand-worked cases -------------------------------------------------------


def test_full_month_base_level_and_capped_activity():
    # 3 opening days, cap 2: 2 × 25.000; 12 visits, cap 8: 8 × 10.000; Madya +50.000.
    line = cadre_line(_cadre(opening_days={OCT: 3}, home_visits={OCT: 12}), _month(),
                      {OCT: TERMS})
    assert (line.base, line.level_top_up, line.opening_day_top_up, line.home_visit_top_up) == (
        250_000, 50_000, 50_000, 80_000)
    assert line.total == 430_000
    assert line.over_cap and line.days_served == 3 and line.home_visits == 12
    assert line.months_active == Decimal("1.00") and not line.no_activity


def test_activity_at_the_cap_is_paid_in_full_and_not_flagged():
    line = cadre_line(_cadre(level_code="utama", opening_days={OCT: 2}, home_visits={OCT: 8}),
                      _month(), {OCT: TERMS})
    assert line.total == 250_000 + 100_000 + 50_000 + 80_000
    assert not line.over_cap


def test_no_cap_pays_every_visit():
    terms = Terms(base=0, per_home_visit=10_000, home_visit_cap=None)
    line = cadre_line(_cadre(level_code=None, home_visits={OCT: 40}), _month(), {OCT: terms})
    assert line.home_visit_top_up == 400_000 and not line.over_cap


@pytest.mark.parametrize(("service", "days", "base", "level"), [
    # joined on 16 October: 16 of 31 days; 250.000 × 16 / 31 = 129.032,26 → 129.032
    (((date(2026, 10, 16), None),), 16, 129_032, 25_806),
    # left on 11 October (end excluded): 10 of 31 days; 80.645,16 → 80.645; 16.129,03
    (((date(2025, 1, 1), date(2026, 10, 11)),), 10, 80_645, 16_129),
    # moved away and back: 1–5 and 20–31 October = 5 + 12 days
    (((date(2025, 1, 1), date(2026, 10, 6)), (date(2026, 10, 20), None)), 17, 137_097, 27_419),
])
def test_partial_months_are_paid_pro_rata_by_days(service, days, base, level):
    line = cadre_line(_cadre(service=service), _month(), {OCT: TERMS})
    assert (line.base, line.level_top_up) == (base, level)
    assert line.months_active == Decimal(round_half_up(days * 100, 31)) / 100


def test_rounding_is_half_up_to_the_rupiah():
    # 250.001 × 15 / 30 = 125.000,5 → 125.001 (half up, not to even)
    nov = date(2026, 11, 1)
    line = cadre_line(_cadre(level_code=None, service=((date(2026, 11, 16), None),)),
                      _month(nov), {nov: Terms(base=250_001)})
    assert line.base == 125_001
    assert [round_half_up(n, 2) for n in (1, 3, 5, 4)] == [1, 2, 3, 2]


MAY = date(2026, 5, 1)


@pytest.mark.parametrize(("levels", "service", "top_up", "shown"), [
    # no level until 14 May, Utama from the 15th: 100.000 × 17 / 31 = 54.838,7 → 54.839
    (((date(2025, 1, 1), None), (date(2026, 5, 15), "utama")), None, 54_839, "utama"),
    # promoted after the month: the level of the month, not of today
    (((date(2025, 1, 1), "madya"), (date(2026, 6, 14), "utama")), None, 50_000, "madya"),
    (((date(2026, 6, 14), "utama"),), None, 0, None),  # before the first step: no level
    # Madya 1–9 May (9 days), Utama from the 10th (22 days):
    # (50.000 × 9 + 100.000 × 22) / 31 = 85.483,9 → 85.484 (one rounding per month)
    (((date(2025, 1, 1), "madya"), (date(2026, 5, 10), "utama")), None, 85_484, "utama"),
    # the same change for a cadre who served from the 20th only: 12 days of Utama
    (((date(2025, 1, 1), "madya"), (date(2026, 5, 10), "utama")),
     ((date(2026, 5, 20), None),), 38_710, "utama"),
    # a demotion on the 17th (16 days Utama, 15 Madya): (1.600.000 + 750.000) / 31
    # = 75.806,45 → 75.806
    (((date(2025, 1, 1), "utama"), (date(2026, 5, 17), "madya")), None, 75_806, "madya"),
    # two changes in one month: none 1–10, Madya 11–20, Utama 21–31:
    # (50.000 × 10 + 100.000 × 11) / 31 = 51.612,9 → 51.613
    (((date(2025, 1, 1), None), (date(2026, 5, 11), "madya"), (date(2026, 5, 21), "utama")),
     None, 51_613, "utama"),
    ((), None, 50_000, "madya"),  # no history: the stored level throughout
])
def test_the_level_top_up_follows_the_level_in_force_each_day(levels, service, top_up, shown):
    cadre = _cadre(levels=levels, **({"service": service} if service else {}))
    line = cadre_line(cadre, _month(MAY), {MAY: TERMS})
    assert (line.level_top_up, line.level_code) == (top_up, shown)
    assert line.base == round_half_up(250_000 * sum(days_by_level(cadre, MAY).values()), 31)


def test_a_half_rupiah_top_up_is_rounded_up_like_the_base():
    # 30-day June; 15 days at a top-up of 1 rupiah: 0,5 → 1; 15 days of 3: 1,5 → 2
    june = date(2026, 6, 1)
    for amount, expected in ((1, 1), (3, 2)):
        cadre = _cadre(levels=((date(2026, 6, 16), "utama"),))
        terms = Terms(base=0, level_top_ups={"utama": amount})
        assert cadre_line(cadre, _month(june), {june: terms}).level_top_up == expected


def test_a_quarter_is_the_sum_of_its_months_with_the_scheme_of_each_month():
    # joined 16 Oct; in December a new scheme (300.000) is in force.
    quarter = Period.parse("2026-Q4")
    later = Terms(base=300_000)
    terms = {OCT: TERMS, date(2026, 11, 1): TERMS, date(2026, 12, 1): later}
    cadre = _cadre(level_code=None, service=((date(2026, 10, 16), None),),
                   opening_days={date(2026, 11, 1): 1})
    line = cadre_line(cadre, quarter, terms)
    assert line.base == 129_032 + 250_000 + 300_000
    assert line.opening_day_top_up == 25_000
    assert line.months_active == Decimal("2.52")
    months = [cadre_line(cadre, _month(m), terms) for m in quarter.months]
    assert line.total == sum(m.total for m in months)


def test_summary_totals_operations_budget_flags_and_months_without_scheme():
    quarter = Period.parse("2026-Q4")
    data = SummaryInput(
        period=quarter,
        terms={OCT: TERMS, date(2026, 11, 1): TERMS, date(2026, 12, 1): None},
        cadres=[
            _cadre(cadre_id=1, opening_days={OCT: 1}),
            _cadre(cadre_id=2, name="La Udin", level_code=None, inactive=True,
                   bpjs_enrolled=True, service=((date(2025, 1, 1), date(2026, 11, 1)),)),
            _cadre(cadre_id=3, name="Nurlina", excluded_reason="moved to another village"),
            _cadre(cadre_id=4, name="Hasriani", service=((date(2027, 1, 1), None),)),
        ],
        posyandu=[PosyanduInput(7, "Melati"), PosyanduInput(6, "Anggrek")],
        budget=1_500_000,
    )
    result = compute_summary(data)
    by_id = {c.cadre_id: c for c in result.cadres}
    assert set(by_id) == {1, 2, 3}  # Hasriani served no day of the period
    assert by_id[1].total == 2 * 300_000 + 25_000
    assert by_id[2].total == 250_000 and by_id[2].inactive and by_id[2].no_activity
    assert by_id[3].total == 0 and by_id[3].excluded_reason == "moved to another village"
    assert [(p.name, p.months, p.operational) for p in result.posyandu] == [
        ("Anggrek", 2, 800_000), ("Melati", 2, 800_000)]
    assert result.cadre_total == 875_000 and result.operational_total == 1_600_000
    assert result.grand_total == 2_475_000 and result.difference == -975_000
    assert result.over_budget
    assert result.uninsured == 2 and result.months_without_scheme == (date(2026, 12, 1),)
    assert all(isinstance(v, int) for c in result.cadres
               for v in (c.base, c.level_top_up, c.opening_day_top_up, c.total))


@pytest.mark.parametrize(("text", "amount"), [
    ("250000", 250_000), ("250.000", 250_000), ("250,000", 250_000), ("Rp 250.000", 250_000),
    ("Rp250.000", 250_000), ("1.250.000", 1_250_000), ("0", 0)])
def test_parse_rupiah_reads_whole_amounts(text, amount):
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize(("text", "reason"), [
    ("-250000", "negative"), ("250.000,50", "format"), ("250000.5", "format"),
    ("sembilan juta", "format"), ("", "format"), ("1.000,000", "format"), ("2,5", "format")])
def test_parse_rupiah_refuses_the_rest(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_rupiah(text)


@pytest.mark.parametrize(("key", "kind", "start", "end"), [
    ("2026-10", PeriodKind.MONTH, date(2026, 10, 1), date(2026, 10, 31)),
    ("2026-Q4", PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31)),
    ("2024-Q1", PeriodKind.QUARTER, date(2024, 1, 1), date(2024, 3, 31)),
    ("2026", PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31))])
def test_periods(key, kind, start, end):
    period = Period.parse(key)
    assert (period.kind, period.start, period.end, period.key) == (kind, start, end, key)


@pytest.mark.parametrize(("kind", "day", "key"), [
    (PeriodKind.MONTH, date(2026, 11, 23), "2026-11"),
    (PeriodKind.QUARTER, date(2026, 11, 23), "2026-Q4"),
    (PeriodKind.QUARTER, date(2026, 3, 31), "2026-Q1"),
    (PeriodKind.QUARTER, date(2026, 7, 1), "2026-Q3"),
    (PeriodKind.YEAR, date(2026, 11, 23), "2026"),
])
def test_the_period_containing_a_day(kind, day, key):
    assert Period.containing(kind, day) == Period.parse(key)


@pytest.mark.parametrize(("query", "key"), [
    ("kind=quarter&month=2026-11", "2026-Q4"), ("kind=year&month=2026-11", "2026"),
    ("kind=month&month=2026-11", "2026-11")])
def test_the_period_form_picks_the_quarter_or_year_of_the_month(app, head, query, key):
    response = head.get(f"/incentives/villages/{lalibo_id(app)}/?{query}")
    assert response.status_code == 302 and response.location.endswith("/" + key)


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "26-10", "", "2026-10-01", "abc"])
def test_bad_period_keys(key):
    with pytest.raises(ValueError):
        Period.parse(key)


@pytest.mark.parametrize("module", ["incentives/rules.py", "incentives/terbilang.py"])
def test_the_arithmetic_and_terbilang_are_pure_python(module):
    import ast
    from pathlib import Path

    import ilp_training

    tree = ast.parse((Path(ilp_training.__file__).parent / module).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and not node.level}
    assert not imported & {"flask", "flask_babel", "sqlalchemy", "ilp_training"}
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))
    assert "float(" not in (Path(ilp_training.__file__).parent / module).read_text()


# --- terbilang ----------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "words"), [
    (0, "nol"), (1, "satu"), (10, "sepuluh"), (11, "sebelas"), (12, "dua belas"),
    (19, "sembilan belas"), (20, "dua puluh"), (21, "dua puluh satu"), (100, "seratus"),
    (101, "seratus satu"), (110, "seratus sepuluh"), (111, "seratus sebelas"),
    (999, "sembilan ratus sembilan puluh sembilan"), (1000, "seribu"), (1001, "seribu satu"),
    (1100, "seribu seratus"), (2000, "dua ribu"), (11_000, "sebelas ribu"),
    (100_000, "seratus ribu"), (250_000, "dua ratus lima puluh ribu"),
    (111_111, "seratus sebelas ribu seratus sebelas"), (1_000_000, "satu juta"),
    (1_001_000, "satu juta seribu"),
    (8_815_000, "delapan juta delapan ratus lima belas ribu"),
    (1_000_000_000, "satu miliar"), (2_500_000_000, "dua miliar lima ratus juta"),
    (1_234_567_890, "satu miliar dua ratus tiga puluh empat juta lima ratus enam puluh tujuh "
                    "ribu delapan ratus sembilan puluh"),
    (999_999_999_999, "sembilan ratus sembilan puluh sembilan miliar sembilan ratus sembilan "
                      "puluh sembilan juta sembilan ratus sembilan puluh sembilan ribu "
                      "sembilan ratus sembilan puluh sembilan"),
    (1_000_000_000_000, "satu triliun"), (-5, "minus lima")])
def test_terbilang(amount, words):
    assert terbilang(amount) == words


@pytest.mark.parametrize(("amount", "words"), [
    (0, "zero"), (21, "twenty-one"), (250_000, "two hundred fifty thousand"),
    (1_234_567_890, "one billion two hundred thirty-four million five hundred sixty-seven "
                    "thousand eight hundred ninety"), (1_000_000_000_000, "one trillion")])
def test_number_words_in_english(amount, words):
    assert number_words_en(amount) == words


def test_rupiah_in_words_follows_the_locale_and_refuses_non_integers():
    assert rupiah_in_words(9_000_000) == "sembilan juta rupiah"
    assert rupiah_in_words(9_000_000, "en") == "nine million rupiah"
    with pytest.raises(TypeError):
        terbilang(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        terbilang(10**15)


# --- helpers for the database tests -------------------------------------------------------


def _village(name: str) -> Region:
    return db.session.scalars(sa.select(Region).where(
        Region.level == RegionLevel.VILLAGE, Region.name == name)).one()


def _grand_total(app: Flask, period: str = DEMO_PERIOD) -> int:
    with app.app_context():
        return load_draft(_village("Lalibo"), Period.parse(period)).result.grand_total


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _english(client: FlaskClient) -> None:
    client.post("/language", data={"lang": "en"})


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def _rupiah_id(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


def _rupiah_en(amount: int) -> str:
    return f"Rp{amount:,}"


@pytest.fixture
def head(client: FlaskClient) -> FlaskClient:
    login(client, "kades.lalibo")
    return client


def _other_head(app: Flask) -> FlaskClient:
    """A village head of Lantongau (same puskesmas, another village), signed in."""
    with app.app_context():
        user = User(username="kades.lantongau", display_name="La Ode Rahim",
                    role=Role.VILLAGE_HEAD, village=_village("Lantongau"), locale=None)
        user.set_password("lantongau-demo-pass", FAST_HASH)
        db.session.add(user)
        db.session.commit()
    other = app.test_client()
    login(other, "kades.lantongau", "lantongau-demo-pass")
    return other


def _approve(client: FlaskClient, app: Flask, period: str = DEMO_PERIOD) -> None:
    response = client.post(summary_url(app, period) + "/approve")
    assert response.status_code == 302, _text(response)[:1000]


# --- the done-when flow -------------------------------------------------------------------


def test_demo_head_reviews_approves_and_downloads_last_month(head, app):
    _english(head)
    response = head.get("/incentives/")
    assert response.status_code == 302
    assert response.location.endswith(
        summary_url(app, Period.month_before(_today(app)).key))
    url = summary_url(app)
    page = head.get(url)
    assert page.status_code == 200
    text = _text(page)
    grand = _grand_total(app)
    # sensible demo activity: both posyandu, flags for no activity and over a cap, budget
    assert "Anggrek" in text and "Melati" in text
    assert "No activity" in text and "Over a cap" in text
    assert _rupiah_en(grand) in text and _rupiah_en(DEMO_BUDGET) in text
    assert "Perbup Buton Tengah" in text and "Approve" in text
    assert head.get(url + "/approve").status_code == 200  # the confirmation page
    _approve(head, app)
    with app.app_context():
        summary = db.session.scalars(sa.select(IncentiveSummary).where(
            IncentiveSummary.village_id == _village("Lalibo").id,
            IncentiveSummary.period_start == DEMO_MONTH)).one()
        version = summary.versions[-1]
        assert summary.status == SummaryStatus.APPROVED
        assert (version.number, version.grand_total) == (1, grand)
        assert version.approved_by.username == "kades.lalibo" and version.approved_at
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "incentive_summary", AuditEntry.action == "approve",
            AuditEntry.entity_id == summary.id)) == 1
    approved = _text(head.get(url))
    assert "La Ode Karim" in approved and "Re-open" in approved
    pdf = head.get(url + "/summary.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    xlsx = head.get(url + "/summary.xlsx")
    assert xlsx.status_code == 200
    load_workbook(io.BytesIO(xlsx.data))  # opens


def _today(app: Flask) -> date:
    with app.app_context():
        return local_today()


def test_another_village_head_gets_404_everywhere(head, app):
    _approve(head, app)
    with app.app_context():
        version_id = db.session.scalars(sa.select(SummaryVersion.id)).first()
    other = _other_head(app)
    url = summary_url(app)
    for path in (url, url + "/summary.pdf", url + "/summary.xlsx",
                 f"/incentives/versions/{version_id}",
                 f"/incentives/versions/{version_id}.pdf",
                 f"/incentives/versions/{version_id}.xlsx", url + "/approve", url + "/reopen"):
        assert other.get(path).status_code == 404, path
    assert other.post(url + "/reopen", data={"reason": "x"}).status_code == 404
    assert other.post(url + "/budget", data={"budget": "1"}).status_code == 404
    # their own village is there, and an index without Lalibo
    assert "Lalibo" not in _text(other.get(f"/incentives/?kind=month&month={DEMO_PERIOD}"))


def test_other_puskesmas_coordinator_gets_404_and_own_coordinator_cannot_approve(app):
    lakudo = app.test_client()
    login(lakudo, "koordinator.lakudo")
    assert lakudo.get(summary_url(app)).status_code == 404
    own = app.test_client()
    login(own, "koordinator")
    assert own.get(summary_url(app)).status_code == 200
    assert own.post(summary_url(app) + "/approve").status_code == 403
    trainer = app.test_client()
    login(trainer, "pelatih")
    assert trainer.get(summary_url(app)).status_code == 403


# --- approval freezes; re-opening makes a new version -----------------------------------


def _change_district_base(app: Flask, amount: int) -> None:
    with app.app_context():
        admin = user_named("admin")
        scheme = db.session.scalars(sa.select(IncentiveScheme).where(
            IncentiveScheme.region_id == admin.district_id)).one()
        data = schemes.SchemeData(
            region_id=scheme.region_id, legal_basis=scheme.legal_basis,
            valid_from=scheme.valid_from, valid_until=scheme.valid_until, base_amount=amount,
            per_opening_day=scheme.per_opening_day, opening_day_cap=scheme.opening_day_cap,
            per_home_visit=scheme.per_home_visit, home_visit_cap=scheme.home_visit_cap,
            operational_amount=scheme.operational_amount,
            level_top_ups=scheme.top_up_by_level)
        schemes.update_scheme(admin, scheme, data, ("purwa", "madya", "utama"))
        db.session.commit()


def _version_rows(app: Flask) -> list[tuple]:
    with app.app_context():
        version = db.session.scalars(sa.select(SummaryVersion).join(IncentiveSummary).where(
            IncentiveSummary.period_start == DEMO_MONTH).order_by(SummaryVersion.number)).first()
        return [(r.cadre_id, r.base, r.total) for r in version.cadre_rows] + [
            ("grand", version.grand_total)]


def test_a_later_scheme_change_leaves_the_approved_figures(head, app):
    before = _grand_total(app)
    _approve(head, app)
    frozen = _version_rows(app)
    cadres = len(frozen) - 1
    _english(head)
    _change_district_base(app, 300_000)
    assert _grand_total(app) == before + cadres * 50_000  # the live draft moved
    assert _version_rows(app) == frozen
    page = _text(head.get(summary_url(app)))
    assert _rupiah_en(before) in page and _rupiah_en(before + cadres * 50_000) not in page
    pdf = " ".join(pdf_text(head.get(summary_url(app) + "/summary.pdf").data).split())
    assert _rupiah_en(before) in pdf


def test_reopening_keeps_the_old_version_readable_and_approving_makes_version_two(head, app):
    before = _grand_total(app)
    _approve(head, app)
    _english(head)
    url = summary_url(app)
    assert head.post(url + "/reopen", data={"reason": "  "}).status_code == 200  # reason required
    response = head.post(url + "/reopen", data={"reason": "Kegiatan Oktober belum lengkap"})
    assert response.status_code == 302
    _change_district_base(app, 300_000)
    with app.app_context():
        summary = db.session.scalars(sa.select(IncentiveSummary).where(
            IncentiveSummary.period_start == DEMO_MONTH)).one()
        assert summary.status == SummaryStatus.DRAFT
        first = summary.versions[0]
        first_id = first.id
        assert first.reopened_at and first.reopen_reason == "Kegiatan Oktober belum lengkap"
    old = _text(head.get(f"/incentives/versions/{first_id}"))
    assert _rupiah_en(before) in old and "Kegiatan Oktober belum lengkap" in old
    _approve(head, app)
    with app.app_context():
        versions = db.session.scalars(sa.select(SummaryVersion).join(IncentiveSummary).where(
            IncentiveSummary.period_start == DEMO_MONTH).order_by(SummaryVersion.number)).all()
        assert [(v.number, v.grand_total) for v in versions] == [
            (1, before), (2, _grand_total(app))]
        assert versions[1].grand_total > before and versions[1].reopened_at is None
    current = _text(head.get(url))
    assert "Version 1" in current and "Version 2" in current
    old_pdf = " ".join(pdf_text(head.get(f"/incentives/versions/{first_id}.pdf").data).split())
    assert _rupiah_en(before) in old_pdf


def test_an_approved_summary_refuses_changes_until_reopened(head, app):
    _approve(head, app)
    _english(head)
    url = summary_url(app)
    response = head.post(url + "/budget", data={"budget": "1000"})
    assert response.status_code == 200 and "re-open it to change it" in _text(response)
    assert head.post(url + "/approve").status_code == 200  # shown again, nothing new
    assert _count(app, SummaryVersion) == 2  # the demo's approved month's version and this


def test_excluding_a_cadre_with_a_reason_pays_nothing_and_can_be_undone(head, app):
    with app.app_context():
        draft = load_draft(_village("Lalibo"), Period.parse(DEMO_PERIOD))
        line = draft.result.cadres[0]
    before = _grand_total(app)
    _english(head)
    url = f"{summary_url(app)}/cadres/{line.cadre_id}"
    empty = head.post(url + "/exclude", data={"reason": ""})
    assert empty.status_code == 200 and _grand_total(app) == before
    assert head.post(url + "/exclude", data={"reason": "Pindah ke desa lain"}).status_code == 302
    assert _grand_total(app) == before - line.total
    response = head.get(summary_url(app))
    html, page = response.text, _text(response)
    assert "Pindah ke desa lain" in page and "Include again" in page
    # the phone's line of the cadre says it too, and opens to the reason and the undo
    phone = html[html.index('class="phone-only cadre-sections"'):]
    line_html = phone[phone.index('<li class="excluded">'):]
    line_html = line_html[:line_html.index("</li>")]
    assert "Excluded" in line_html and "Pindah ke desa lain" in line_html
    assert f"/cadres/{line.cadre_id}/include" in line_html
    _approve(head, app)
    with app.app_context():
        row = db.session.scalars(sa.select(SummaryVersion).order_by(SummaryVersion.id.desc())
                                 ).first().cadre_rows
        excluded = next(r for r in row if r.cadre_id == line.cadre_id)
        assert excluded.total == 0 and excluded.excluded_reason == "Pindah ke desa lain"


# --- bad input ----------------------------------------------------------------------------


def _scheme_form(app: Flask, **overrides: str) -> dict[str, str]:
    with app.app_context():
        district_id = user_named("admin").district_id
    data = {"region_id": str(district_id), "legal_basis": "Perbup Buton Tengah No. 3 Tahun 2027",
            "valid_from": "2027-01", "valid_until": "", "base_amount": "300.000",
            "level_madya": "", "level_utama": "", "level_purwa": "", "per_opening_day": "",
            "opening_day_cap": "", "per_home_visit": "", "home_visit_cap": "",
            "operational_amount": "400000"}
    data.update(overrides)
    return data


def test_the_admin_saves_a_valid_scheme(as_admin, app):
    count = _count(app, IncentiveScheme)
    with app.app_context():  # a village override next to the open-ended district scheme
        lakorua = _village("Lakorua").id
    response = as_admin.post("/incentives/schemes/new", data=_scheme_form(
        app, region_id=str(lakorua), legal_basis="Perdes Lakorua No. 2 Tahun 2026",
        valid_from="2026-11", valid_until="2027-12"))
    assert response.status_code == 302, _text(response)[:2000]
    assert _count(app, IncentiveScheme) == count + 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "incentive_scheme", AuditEntry.action == "create")) == 2


@pytest.mark.parametrize(("overrides", "message"), [
    ({"base_amount": "-250000"}, "An amount cannot be negative."),
    ({"level_madya": "-1"}, "An amount cannot be negative."),
    ({"operational_amount": "400.000,50"}, "Enter whole rupiah"),
    ({"valid_from": f"{add_months(SCHEME_FROM, 5):%Y-%m}"}, "already covers some of these months"),
    ({"valid_from": f"{add_months(SCHEME_FROM, -12):%Y-%m}",
      "valid_until": f"{SCHEME_FROM:%Y-%m}"}, "already covers some of these months"),
    ({"valid_from": "2027-05", "valid_until": "2027-02"}, "cannot be before the first"),
    ({"legal_basis": ""}, "This field is required"),
])
def test_bad_scheme_input_is_answered_and_nothing_saved(as_admin, app, overrides, message):
    _english(as_admin)
    count = _count(app, IncentiveScheme)
    response = as_admin.post("/incentives/schemes/new", data=_scheme_form(app, **overrides))
    assert response.status_code == 200
    text = _text(response)
    assert message in text, text[:3000]
    for value in overrides.values():  # the user's values are shown again
        assert value in response.get_data(as_text=True)
    assert _count(app, IncentiveScheme) == count


def test_a_village_head_sets_their_own_village_scheme_only(head, app):
    page = head.get("/incentives/schemes/new")
    assert page.status_code == 200
    options = re.findall(r'<option[^>]*value="(\d+)"', page.get_data(as_text=True))
    with app.app_context():
        lalibo, lakorua = _village("Lalibo").id, _village("Lakorua").id
    assert options == [str(lalibo)]
    count = _count(app, IncentiveScheme)
    other = head.post("/incentives/schemes/new", data=_scheme_form(
        app, region_id=str(lakorua), legal_basis="Perdes Lakorua 9"))
    assert other.status_code == 200 and _count(app, IncentiveScheme) == count
    own = head.post("/incentives/schemes/new", data=_scheme_form(
        app, region_id=str(lalibo), legal_basis="Perdes Lalibo No. 1 Tahun 2027"))
    assert own.status_code == 302 and _count(app, IncentiveScheme) == count + 1


def test_the_admin_edits_a_scheme_and_the_audit_records_the_change(as_admin, app):
    with app.app_context():
        scheme = db.session.scalars(sa.select(IncentiveScheme).order_by(IncentiveScheme.id)
                                    ).first()
        scheme_id, region_id = scheme.id, scheme.region_id
        old_base = scheme.base_amount
    url = f"/incentives/schemes/{scheme_id}/edit"
    page = as_admin.get(url)
    assert page.status_code == 200 and f'value="{old_base}"' in page.get_data(as_text=True)
    _english(as_admin)
    bad = as_admin.post(url, data=_scheme_form(app, region_id=str(region_id),
                                               base_amount="-5"))
    assert bad.status_code == 200 and "An amount cannot be negative." in _text(bad)
    with app.app_context():
        data = {name: getattr(db.session.get(IncentiveScheme, scheme_id), name)
                for name in ("legal_basis", "valid_from", "valid_until")}
    form = _scheme_form(app, region_id=str(region_id), legal_basis=data["legal_basis"],
                        valid_from=f"{data['valid_from']:%Y-%m}",
                        valid_until=f"{data['valid_until']:%Y-%m}" if data["valid_until"]
                        else "", base_amount=str(old_base + 10_000))
    response = as_admin.post(url, data=form)
    assert response.status_code == 302, _text(response)[:2000]
    with app.app_context():
        assert db.session.get(IncentiveScheme, scheme_id).base_amount == old_base + 10_000
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "incentive_scheme", AuditEntry.action == "update",
            AuditEntry.entity_id == scheme_id)).one()
        assert entry.changes["base_amount"] == [old_base, old_base + 10_000]


@pytest.mark.parametrize(("budget", "message"), [
    ("sembilan juta", "Enter whole rupiah"), ("9.000.000,00", "Enter whole rupiah"),
    ("-9000000", "An amount cannot be negative."), ("9e6", "Enter whole rupiah")])
def test_a_budget_line_that_is_not_a_number_is_answered_and_nothing_saved(
        head, app, budget, message):
    _english(head)
    response = head.post(summary_url(app) + "/budget", data={"budget": budget})
    assert response.status_code == 200
    assert message in _text(response) and budget in response.get_data(as_text=True)
    with app.app_context():
        summary = db.session.scalars(sa.select(IncentiveSummary).where(
            IncentiveSummary.period_start == DEMO_MONTH)).one()
        assert summary.budget_amount == DEMO_BUDGET


def test_a_budget_line_with_thousands_dots_is_saved_and_audited(head, app):
    response = head.post(summary_url(app) + "/budget", data={"budget": "Rp 12.500.000"})
    assert response.status_code == 302
    with app.app_context():
        summary = db.session.scalars(sa.select(IncentiveSummary).where(
            IncentiveSummary.period_start == DEMO_MONTH)).one()
        assert summary.budget_amount == 12_500_000
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "set_budget").order_by(AuditEntry.id.desc())).first()
        assert entry.changes["budget_amount"] == [DEMO_BUDGET, 12_500_000]
    assert _rupiah_id(12_500_000 - _grand_total(app)) in _text(head.get(summary_url(app)))


# --- partial months and flags through the database ----------------------------------------


# --- the rules through the database, on records the tests build (tests/factories.py) ----


@dataclass(frozen=True)
class Villages:
    """A district with the demo's scheme (from January of last year: Rp250.000 a month,
    Rp25.000 an opening day up to 2, Rp10.000 a home visit up to 8, Rp400.000 a posyandu,
    top-ups Madya Rp50.000 and Utama Rp100.000), a puskesmas serving two of its villages,
    a posyandu in the first, and its people."""

    district: Region
    village: Region
    other_village: Region
    posyandu: Posyandu
    admin: User
    head: User
    coordinator: User


@pytest.fixture
def villages(db_session) -> Villages:
    regency = make.district()
    kecamatan = make.subdistrict(parent=regency)
    village, other = make.village(parent=kecamatan), make.village(parent=kecamatan)
    puskesmas = make.puskesmas(villages=[village, other])
    admin = make.admin(regency)
    make.scheme(regency, actor=admin)
    return Villages(regency, village, other, make.posyandu(puskesmas_=puskesmas), admin,
                    make.village_head(village), make.coordinator(puskesmas))


def _line(village: Region, cadre_id: int, period: str):
    result = load_draft(village, Period.parse(period)).result
    return next(line for line in result.cadres if line.cadre_id == cadre_id)


def _first_of_this_month() -> date:
    return local_today().replace(day=1)


def test_who_may_set_a_scheme_for_which_place(villages):
    admin = villages.admin
    owners = permissions.scheme_owners(admin)
    assert [r.id for r in owners] == [villages.district.id, *sorted(
        (villages.village.id, villages.other_village.id),
        key=lambda i: db.session.get(Region, i).name)]
    assert all(permissions.may_manage_scheme(admin, r) for r in owners)
    assert permissions.scheme_owners(villages.head) == [villages.village]
    assert not permissions.may_manage_scheme(villages.head, villages.other_village)
    assert permissions.scheme_owners(villages.coordinator) == []


def test_the_service_refuses_negative_amounts_and_overlaps(villages):
    admin, district = villages.admin, villages.district
    scheme = db.session.scalars(sa.select(IncentiveScheme).where(
        IncentiveScheme.region_id == district.id)).one()
    since = date(local_today().year - 1, 1, 1)
    assert (scheme.valid_from, scheme.valid_until) == (since, None)
    data = schemes.SchemeData(region_id=district.id, legal_basis="Perbup X",
                              valid_from=date(2030, 1, 1), valid_until=None, base_amount=-1)
    with pytest.raises(ServiceError) as error:
        schemes.create_scheme(admin, data, ("madya",))
    assert error.value.field == "base_amount"
    overlap = schemes.SchemeData(region_id=district.id, legal_basis="Perbup X",
                                 valid_from=add_months(since, 2),
                                 valid_until=add_months(since, 3), base_amount=1)
    with pytest.raises(ServiceError) as error:
        schemes.create_scheme(admin, overlap, ("madya",))
    assert error.value.field == "valid_from"
    # a village override may cover the district's months (it replaces them)
    make.cadres(2, posyandu_=villages.posyandu)
    month = add_months(_first_of_this_month(), -1)
    override = schemes.SchemeData(region_id=villages.village.id, legal_basis="Perdes 2",
                                  valid_from=month, valid_until=month, base_amount=200_000)
    schemes.create_scheme(admin, override, ("madya",))
    draft = load_draft(villages.village, Period.containing(PeriodKind.MONTH, month))
    assert {line.base for line in draft.result.cadres} == {200_000}
    assert draft.result.posyandu[0].operational == 0


def test_a_cadre_who_joined_and_one_who_left_mid_month_are_paid_pro_rata(villages):
    month = add_months(_first_of_this_month(), -1)
    joined = make.cadre_at_level("madya", posyandu_=villages.posyandu,
                                 on=add_months(month, -2))
    left = make.cadre(posyandu_=villages.posyandu)
    # Last month: joined on the 16th (the days from the 16th), left on the 11th (end
    # excluded: 10 days). Worked by hand for each length of month, e.g. 31 days:
    # 250.000 × 16 / 31 = 129.032,26 → 129.032, 16 / 31 = 0,516 → 0,52;
    # 250.000 × 10 / 31 = 80.645,16 → 80.645, 10 / 31 = 0,32.
    month_days = days_in_month(month)
    joined_base, joined_months, left_base, left_months = {
        31: (129_032, "0.52", 80_645, "0.32"), 30: (125_000, "0.50", 83_333, "0.33"),
        29: (120_690, "0.48", 86_207, "0.34"), 28: (116_071, "0.46", 89_286, "0.36"),
    }[month_days]
    joined.start_date = joined.assignments[0].start_date = month.replace(day=16)
    left.status, left.inactive_since = CadreStatus.INACTIVE, month.replace(day=11)
    db.session.flush()
    lines = {line.cadre_id: line for line in load_draft(
        villages.village, Period.containing(PeriodKind.MONTH, month)).result.cadres}
    assert lines[joined.id].base == joined_base
    # Madya's 50.000 for the days from the 16th, e.g. 50.000 × 16 / 31 = 25.806
    assert lines[joined.id].level_top_up == round_half_up(50_000 * (month_days - 15),
                                                          month_days)
    assert lines[joined.id].months_active == Decimal(joined_months)
    assert lines[left.id].base == left_base and lines[left.id].inactive
    assert lines[left.id].months_active == Decimal(left_months)


def test_a_past_month_pays_the_level_of_its_days_not_the_level_of_today(villages):
    month = add_months(_first_of_this_month(), -5)
    promoted = month.replace(day=15)
    cadre = make.cadre_at_level("utama", posyandu_=villages.posyandu, on=promoted)
    history = db.session.execute(sa.select(LevelChange.changed_on, LevelChange.level_code)
                                 .where(LevelChange.cadre_id == cadre.id)).all()
    assert history == [(promoted, "utama")] and cadre.level_code == "utama"
    month_days = days_in_month(month)

    def top_up(first: date) -> int:  # Utama's 100.000 for the days from the promotion
        if first < month:
            return 0
        if first > month:
            return 100_000
        # e.g. from 15 May: 100.000 × 17 / 31 = 54.838,7 → 54.839
        return round_half_up(100_000 * (month_days - promoted.day + 1), month_days)

    before, during, after = (_line(villages.village, cadre.id, f"{add_months(month, n):%Y-%m}")
                             for n in (-1, 0, 1))
    assert (before.level_top_up, before.level_code) == (0, None)  # no level before
    assert (during.level_top_up, during.level_code) == (top_up(month), "utama")
    assert 0 < during.level_top_up < 100_000
    assert after.level_top_up == 100_000 and before.base == during.base == 250_000
    quarter = Period.containing(PeriodKind.QUARTER, promoted)
    # e.g. Q2 for 15 May: 0 + 54.839 + 100.000 = 154.839
    assert _line(villages.village, cadre.id, quarter.key).level_top_up == sum(
        map(top_up, quarter.months))


def test_a_change_in_the_middle_of_a_month_splits_the_top_up_by_days(villages):
    first = add_months(_first_of_this_month(), -3)
    promoted = first.replace(day=days_in_month(first) - 2)  # the third-last day
    cadre = make.cadre_at_level("utama", posyandu_=villages.posyandu, on=promoted)
    month, month_days = f"{promoted:%Y-%m}", days_in_month(promoted)
    # e.g. 29–31 August: 100.000 × 3 / 31 = 9.677,4 → 9.677
    split = round_half_up(100_000 * 3, month_days)
    assert 0 < _line(villages.village, cadre.id, month).level_top_up == split < 100_000
    # a later change (on the 20th of last month) leaves that month alone and splits the
    # later one: Utama 1–19, Madya from the 20th
    later = add_months(_first_of_this_month(), -1)
    db.session.add(LevelChange(cadre_id=cadre.id, level_code="madya", previous_code="utama",
                               changed_on=later.replace(day=20), framework_id="x",
                               framework_version="1"))
    cadre.level_code = "madya"
    db.session.flush()
    assert _line(villages.village, cadre.id, month).level_top_up == split
    later_days = days_in_month(later)
    line = _line(villages.village, cadre.id, f"{later:%Y-%m}")
    assert line.level_top_up == round_half_up(100_000 * 19 + 50_000 * (later_days - 19),
                                              later_days)
    assert line.level_code == "madya"


def test_the_demo_approved_its_past_month_under_the_level_by_day_rule(app):
    with app.app_context():
        version = db.session.scalars(sa.select(SummaryVersion).join(IncentiveSummary).where(
            IncentiveSummary.period_start == APPROVED_MONTH)).one()
        live = {line.cadre_id: line for line in load_draft(
            _village("Lalibo"), Period.parse(APPROVED_PERIOD)).result.cadres}
        assert {r.cadre_id: (r.level_code, r.level_top_up) for r in version.cadre_rows} == {
            cid: (line.level_code, line.level_top_up) for cid, line in live.items()}


# --- exports read back --------------------------------------------------------------------


def _workbook_totals(data: bytes) -> dict[str, object]:
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    heading = next(i for i, r in enumerate(rows) if r[0] == "No.")
    cadre_rows = []
    for row in rows[heading + 1:]:
        if row[0] is None:
            break
        cadre_rows.append(row)
    labels = {r[0]: r[1] for r in rows if r and isinstance(r[0], str)}
    return {"cadre_sum": sum(r[11] for r in cadre_rows), "rows": len(cadre_rows), **labels}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_pdf_and_the_workbook_show_the_same_totals(head, app, lang):
    head.post(summary_url(app) + "/budget", data={"budget": "9000000"})
    _approve(head, app)
    with app.app_context():
        version = db.session.scalars(sa.select(SummaryVersion).order_by(
            SummaryVersion.id.desc())).first()
        grand, cadre_total = version.grand_total, version.cadre_total
        operational, rows = version.operational_total, len(version.cadre_rows)
    head.post("/language", data={"lang": lang})
    money = _rupiah_id if lang == "id" else _rupiah_en
    pdf = head.get(summary_url(app) + "/summary.pdf")
    text = " ".join(pdf_text(pdf.data).split())
    for amount in (grand, cadre_total, operational, DEMO_BUDGET, DEMO_BUDGET - grand):
        assert money(amount).lstrip("-") in text, amount
    words = rupiah_in_words(grand, lang)
    assert words[:1].upper() + words[1:] in text
    assert "Kaur Keuangan" in text and "La Ode Karim" in text and "LALIBO" in text.upper()
    book = _workbook_totals(head.get(summary_url(app) + "/summary.xlsx").data)
    if lang == "en":
        assert book["Grand total"] == grand and book["Cadre incentives"] == cadre_total
        assert book["Posyandu operations"] == operational
        assert book["Budget minus grand total"] == DEMO_BUDGET - grand
    assert book["cadre_sum"] == cadre_total and book["rows"] == rows
    assert grand in book.values()


# --- activity: entry and import -----------------------------------------------------------


def test_an_opening_day_takes_only_cadres_serving_there_and_no_future_date(app):
    client = coordinator_in_english(app)
    with app.app_context():
        anggrek = posyandu_named("Anggrek")
        melati_cadre = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == posyandu_named("Melati").id)).first()
        own = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == anggrek.id).order_by(Cadre.id)).all()[:3]
        pid = anggrek.id
    url = f"/incentives/posyandu/{pid}/opening-days/new"
    days = _count(app, OpeningDay)
    free = DEMO_MONTH.replace(day=15).isoformat()  # the demo opens on the 8th and 22nd
    bad = client.post(url, data={"held_on": free, "cadres": [own[0], melati_cadre]})
    assert bad.status_code == 200 and _count(app, OpeningDay) == days
    future = client.post(url, data={"held_on": "2099-01-01", "cadres": own})
    assert "cannot be in the future" in _text(future) and _count(app, OpeningDay) == days
    good = client.post(url, data={"held_on": free, "cadres": own})
    assert good.status_code == 302 and _count(app, OpeningDay) == days + 1
    assert client.get(f"/incentives/activity?month={DEMO_PERIOD}").status_code == 200


def test_editing_an_opening_day_moves_it_and_refuses_a_taken_date(app):
    client = coordinator_in_english(app)
    with app.app_context():
        anggrek = posyandu_named("Anggrek")
        own = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == anggrek.id).order_by(Cadre.id)).all()[:2]
        pid = anggrek.id
    new = f"/incentives/posyandu/{pid}/opening-days/new"
    first, moved_to, taken_day = (DEMO_MONTH.replace(day=d) for d in (15, 16, 17))
    for held_on in (first, taken_day):
        assert client.post(new, data={"held_on": held_on.isoformat(),
                                      "cadres": own}).status_code == 302
    with app.app_context():
        day_id = db.session.scalar(sa.select(OpeningDay.id).where(
            OpeningDay.posyandu_id == pid, OpeningDay.held_on == first))
    days = _count(app, OpeningDay)
    moved = client.post(f"/incentives/opening-days/{day_id}",
                        data={"held_on": moved_to.isoformat(), "cadres": own[:1]})
    assert moved.status_code == 302 and _count(app, OpeningDay) == days
    with app.app_context():
        day = db.session.get(OpeningDay, day_id)
        assert day.held_on == moved_to and [c.id for c in day.cadres] == own[:1]
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "opening_day", AuditEntry.entity_id == day_id)
            .order_by(AuditEntry.id.desc())).first()
        assert entry.changes["held_on"] == [first.isoformat(), moved_to.isoformat()]
    taken = client.post(f"/incentives/opening-days/{day_id}",
                        data={"held_on": taken_day.isoformat(), "cadres": own})
    assert taken.status_code == 200 and "already has an opening day" in _text(taken)
    with app.app_context():
        assert db.session.get(OpeningDay, day_id).held_on == moved_to
        assert _count(app, OpeningDay) == days


# --- the period lock: activity of an approved period -----------------------------------

LOCKED = "cannot change until that summary is re-opened"


def _anggrek_day(app: Flask, held_on: date) -> tuple[int, list[int]]:
    with app.app_context():
        day = db.session.scalars(sa.select(OpeningDay).where(
            OpeningDay.posyandu_id == posyandu_named("Anggrek").id,
            OpeningDay.held_on == held_on)).one()
        return day.id, [c.id for c in day.cadres]


def _activity_state(app: Flask) -> tuple:
    with app.app_context():
        days = db.session.execute(
            sa.select(OpeningDay.id, OpeningDay.held_on, sa.func.count())
            .join(opening_day_cadres, opening_day_cadres.c.opening_day_id == OpeningDay.id)
            .group_by(OpeningDay.id, OpeningDay.held_on).order_by(OpeningDay.id)).all()
        visits = db.session.execute(sa.select(HomeVisitCount.cadre_id, HomeVisitCount.month,
                                              HomeVisitCount.visits)
                                    .order_by(HomeVisitCount.id)).all()
        return [tuple(d) for d in days], [tuple(v) for v in visits]


def test_the_activity_of_an_approved_month_is_locked_for_the_coordinator(app):
    client = coordinator_in_english(app)
    approved_day, served = _anggrek_day(app, APPROVED_MONTH.replace(day=8))
    draft_day, _draft_served = _anggrek_day(app, DEMO_MONTH.replace(day=8))
    with app.app_context():
        pid = posyandu_named("Anggrek").id
        visits = dict(db.session.execute(sa.select(HomeVisitCount.cadre_id, HomeVisitCount.visits)
                                         .where(HomeVisitCount.month == APPROVED_MONTH)).all())
    before = _activity_state(app)
    approved_on = APPROVED_MONTH.replace(day=8).isoformat()
    attempts = [
        client.post(f"/incentives/opening-days/{approved_day}",  # edit the list
                    data={"held_on": approved_on, "cadres": served[:1]}),
        client.post(f"/incentives/opening-days/{approved_day}",  # move it out of the month
                    data={"held_on": DEMO_MONTH.replace(day=9).isoformat(), "cadres": served}),
        client.post(f"/incentives/opening-days/{draft_day}",  # move a day into the month
                    data={"held_on": APPROVED_MONTH.replace(day=9).isoformat(),
                          "cadres": served}),
        client.post(f"/incentives/posyandu/{pid}/opening-days/new",  # add a day
                    data={"held_on": APPROVED_MONTH.replace(day=15).isoformat(),
                          "cadres": served}),
        client.post(f"/incentives/posyandu/{pid}/home-visits/{APPROVED_PERIOD}",
                    data={f"c{cid}": visits.get(cid, 0) + 1 for cid in served}),
        upload_activity(client, activity_book(
            [(APPROVED_MONTH.replace(day=15).isoformat(), "Anggrek", served[0], None)], [])),
        upload_activity(client, activity_book([], [(APPROVED_PERIOD, served[0], None, 1)])),
    ]
    for response in attempts:
        text = _text(response)
        assert response.status_code == 200 and LOCKED in text, text[:1500]
        assert "Only the village head can re-open it" in text and "/reopen" not in text
    removed = client.post(f"/incentives/opening-days/{approved_day}/delete")
    assert removed.status_code == 302
    assert removed.location.endswith(f"/opening-days/{approved_day}")
    page = _text(client.get(removed.location))
    assert LOCKED in page and "is locked until it is re-opened" in page
    assert _activity_state(app) == before  # nothing changed, nothing half-saved
    same = client.post(f"/incentives/posyandu/{pid}/home-visits/{APPROVED_PERIOD}",
                       data={f"c{cid}": visits.get(cid, 0) for cid in served})
    assert same.status_code == 302  # the same counts change nothing: not refused
    draft_ok = client.post(f"/incentives/opening-days/{draft_day}",
                           data={"held_on": DEMO_MONTH.replace(day=8).isoformat(),
                                 "cadres": served[:1]})
    assert draft_ok.status_code == 302  # a draft month stays open


def test_the_village_head_is_offered_the_reopening_and_may_change_after_it(head, app):
    _english(head)
    held_on = APPROVED_MONTH.replace(day=8)
    approved_day, served = _anggrek_day(app, held_on)
    response = head.post(f"/incentives/opening-days/{approved_day}",
                         data={"held_on": held_on.isoformat(), "cadres": served[:1]})
    reopen = f"/incentives/villages/{lalibo_id(app)}/{APPROVED_PERIOD}/reopen"
    assert response.status_code == 200 and LOCKED in _text(response)
    assert f'href="{reopen}"' in response.get_data(as_text=True)
    reason = f"Daftar kader {held_on:%d-%m-%Y} salah"
    assert head.post(reopen, data={"reason": reason}).status_code == 302
    again = head.post(f"/incentives/opening-days/{approved_day}",
                      data={"held_on": held_on.isoformat(), "cadres": served[:1]})
    assert again.status_code == 302
    assert _anggrek_day(app, held_on)[1] == served[:1]


def test_an_approved_quarter_locks_each_of_its_months(head, app):
    quarter = Period.containing(PeriodKind.QUARTER, DEMO_MONTH)
    _approve(head, app, quarter.key)
    client = coordinator_in_english(app)
    held_on = DEMO_MONTH.replace(day=8)
    draft_day, served = _anggrek_day(app, held_on)
    response = client.post(f"/incentives/opening-days/{draft_day}",
                           data={"held_on": held_on.isoformat(), "cadres": served[:1]})
    assert response.status_code == 200 and LOCKED in _text(response)
    assert f"Quarter {quarter.quarter} {quarter.start.year}" in _text(response)
    with app.app_context():
        other = db.session.scalars(
            sa.select(Posyandu).join(Region, Region.id == Posyandu.village_id)
            .where(Region.name == "Lantongau")).first()
        cadre_ids = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == other.id)).all()[:1]
        other_id = other.id
    elsewhere = client.post(f"/incentives/posyandu/{other_id}/opening-days/new",
                            data={"held_on": DEMO_MONTH.replace(day=15).isoformat(),
                                  "cadres": cadre_ids})
    assert elsewhere.status_code == 302  # another village's month is not locked


@pytest.mark.parametrize("month", ["2026-Q4", "2026", "bogus", "2026-13"])
def test_home_visits_of_anything_but_a_month_is_a_404(app, month):
    client = coordinator_in_english(app)
    with app.app_context():
        pid = posyandu_named("Anggrek").id
    url = f"/incentives/posyandu/{pid}/home-visits/{month}"
    assert client.get(url).status_code == 404
    assert client.post(url, data={}).status_code == 404


def test_an_import_with_bad_rows_reports_every_one_and_saves_nothing(app):
    client = coordinator_in_english(app)
    (a_id, a_name), (b_id, _b) = anggrek_cadres(app)[:2]
    with app.app_context():
        outsider = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == posyandu_named("Flamboyan").id)).first()
    day, next_day = (DEMO_MONTH.replace(day=d).isoformat() for d in (15, 16))
    data = activity_book(
        [(day, "Anggrek", a_id, a_name),                     # row 2: good
         (day, "Anggrek", b_id, "Someone Else"),             # row 3: name mismatch
         ("15 Oktober", "Anggrek", a_id, None),              # row 4: not a date
         (next_day, "Posyandu Hantu", a_id, None),           # row 5: unknown posyandu
         ("2099-01-01", "Anggrek", a_id, None),              # row 6: future
         (day, "Anggrek", a_id, None),                       # row 7: repeats row 2
         (day, "Anggrek", outsider, None)],                  # row 8: not in the area
        [(DEMO_PERIOD, a_id, a_name, 5),                     # row 2: good
         (DEMO_PERIOD, b_id, None, -3),                      # row 3: negative
         ("Oktober", b_id, None, 2),                         # row 4: not a month
         (DEMO_PERIOD, b_id, None, "lima")])                 # row 5: not a number
    days, visits = _count(app, OpeningDay), _count(app, HomeVisitCount)
    with app.app_context():
        stored = db.session.scalar(sa.select(HomeVisitCount.visits).where(
            HomeVisitCount.cadre_id == a_id, HomeVisitCount.month == DEMO_MONTH))
    response = upload_activity(client, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html and "9 rows to correct" in html
    rows = re.findall(r'data-label="Row" class="num">(\d+)<', html)
    assert rows == ["3", "4", "5", "6", "7", "8", "3", "4", "5"]
    assert "Same as row 2" in html and "does not match" in html
    assert (_count(app, OpeningDay), _count(app, HomeVisitCount)) == (days, visits)
    with app.app_context():
        assert db.session.scalar(sa.select(HomeVisitCount.visits).where(
            HomeVisitCount.cadre_id == a_id, HomeVisitCount.month == DEMO_MONTH)) == stored


def test_a_good_import_saves_everything_and_twice_changes_nothing(app):
    client = coordinator_in_english(app)
    (a_id, a_name), (b_id, b_name) = anggrek_cadres(app)[:2]
    template = client.get("/incentives/activity/template.xlsx")
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.data)).sheetnames[:2] == ["Opening days",
                                                                       "Home visits"]
    held_on = DEMO_MONTH.replace(day=15)  # the demo opens on the 8th and 22nd
    data = activity_book([(held_on.isoformat(), "Anggrek", a_id, a_name),
                          # a date cell, any case, the cadre number as pages show it
                          (held_on, "anggrek", cadre_number(b_id), b_name)],
                          [(DEMO_PERIOD, a_id, a_name, 17),
                           (f"{FIRST_MONTH:%Y-%m}", b_id, None, 0)])  # a month not approved
    days, imports = _count(app, OpeningDay), _imports(app)
    with app.app_context():
        old_visits = db.session.scalar(sa.select(HomeVisitCount.visits).where(
            HomeVisitCount.cadre_id == a_id, HomeVisitCount.month == DEMO_MONTH))
    response = upload_activity(client, data)
    assert response.status_code == 302, _text(response)[:2000]
    assert _count(app, OpeningDay) == days + 1
    with app.app_context():
        day = db.session.scalars(sa.select(OpeningDay).where(
            OpeningDay.held_on == held_on)).one()
        assert sorted(c.id for c in day.cadres) == sorted([a_id, b_id])
        assert db.session.scalar(sa.select(HomeVisitCount.visits).where(
            HomeVisitCount.cadre_id == a_id, HomeVisitCount.month == DEMO_MONTH)) == 17
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "import").order_by(AuditEntry.id.desc())).first()
        added = entry.changes["opening_days_added"][1]
        assert added == {f"{day.posyandu_id} {held_on}": sorted([a_id, b_id])}
        assert entry.changes["home_visits"][1][DEMO_PERIOD][str(a_id)] == [old_visits, 17]
    assert _imports(app) == imports + 1
    assert upload_activity(client, data).status_code == 302
    assert _count(app, OpeningDay) == days + 1
    assert _imports(app) == imports + 1  # nothing changed the second time: no entry


def _imports(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "import"))


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"not a workbook", "kegiatan.xlsx", "not an Excel workbook"),
    (b"a,b", "kegiatan.csv", "Choose an Excel workbook"),
    (activity_book([], []), "kegiatan.xlsx", "no rows to import")])
def test_an_unreadable_file_is_answered(app, data, name, message):
    response = upload_activity(coordinator_in_english(app), data, name)
    assert response.status_code == 200 and message in _text(response)


def test_home_visits_grid_refuses_a_negative_count(app):
    client = coordinator_in_english(app)
    a_id = anggrek_cadres(app)[0][0]
    with app.app_context():
        pid = posyandu_named("Anggrek").id
        stored = db.session.scalar(sa.select(HomeVisitCount.visits).where(
            HomeVisitCount.cadre_id == a_id, HomeVisitCount.month == DEMO_MONTH))
    url = f"/incentives/posyandu/{pid}/home-visits/{DEMO_PERIOD}"
    assert client.get(url).status_code == 200
    response = client.post(url, data={f"c{a_id}": "-2"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(HomeVisitCount.visits).where(
            HomeVisitCount.cadre_id == a_id, HomeVisitCount.month == DEMO_MONTH)) == stored
    assert client.post(url, data={f"c{a_id}": "4"}).status_code == 302


# --- district view ------------------------------------------------------------------------


def test_the_district_view_totals_villages_and_kecamatan_and_the_approved_share(head, app):
    admin = app.test_client()
    login(admin, "admin")
    _english(admin)
    grand = _grand_total(app)
    url = f"/incentives/district?kind=month&month={DEMO_PERIOD}"
    before = _text(admin.get(url))
    assert "0 of " in before and _rupiah_en(grand) in before
    _approve(head, app)
    with app.app_context():
        overview = district_overview(user_named("admin"), Period.parse(DEMO_PERIOD))
        villages = [v for k in overview.kecamatan for v in k.villages]
        lalibo = next(v for v in villages if v.name == "Lalibo")
        assert lalibo.approved and lalibo.total == grand and lalibo.version == 1
        assert overview.approved == 1 and overview.villages == len(villages) > 1
        assert overview.approved_percent == 100 // len(villages)
        assert overview.total == sum(k.total for k in overview.kecamatan)
        assert sum(v.insured for v in villages) == overview.insured <= overview.cadres
    page = _text(admin.get(url))
    assert f"{overview.approved_percent} %" in page and "Approved, version 1" in page
    coordinator = app.test_client()
    login(coordinator, "koordinator")
    assert coordinator.get(url).status_code == 403


def test_the_demo_holds_an_approved_month_and_a_draft_ready_for_the_head(app):
    with app.app_context():
        summaries = {s.period_start: s for s in db.session.scalars(sa.select(IncentiveSummary))}
        assert summaries[APPROVED_MONTH].status == SummaryStatus.APPROVED
        assert summaries[DEMO_MONTH].status == SummaryStatus.DRAFT
        assert summaries[DEMO_MONTH].budget_amount == DEMO_BUDGET
        result = load_draft(_village("Lalibo"), Period.parse(DEMO_PERIOD)).result
        assert result.months_without_scheme == () and len(result.cadres) == 23
        assert 0 < result.grand_total <= DEMO_BUDGET


def test_approval_by_service_is_refused_to_others(app):
    with app.app_context(), pytest.raises(ServiceError):
        approve_summary(user_named("koordinator"), _village("Lalibo"),
                        Period.parse(DEMO_PERIOD))


# --- queries do not grow with villages, cadres or approvals -------------------------------


def test_summary_and_district_pages_run_a_fixed_number_of_queries(head, app):
    admin = app.test_client()
    login(admin, "admin")
    with app.app_context():  # Lantongau: 18 cadres, Lakorua: 9, neither with a summary yet
        lantongau, lakorua = _village("Lantongau").id, _village("Lakorua").id
    pages = [f"/incentives/villages/{lantongau}/{DEMO_PERIOD}",
             f"/incentives/villages/{lakorua}/{DEMO_PERIOD}", summary_url(app) + "/summary.pdf",
             summary_url(app)]

    def measure(client: FlaskClient, urls: list[str]) -> list[int]:
        counts = []
        for url in urls:
            with count_queries(app) as statements:
                assert client.get(url).status_code == 200, url
            counts.append(len(statements))
        return counts

    many, few, pdf, lalibo = measure(admin, pages)
    assert many == few and lalibo < 25 and pdf < 40
    district = f"/incentives/district?kind=month&month={DEMO_PERIOD}"
    _approve(head, app)  # one village read from its frozen version, the others live
    one = measure(admin, [district])
    other = _other_head(app)
    assert other.post(f"/incentives/villages/{lantongau}/{DEMO_PERIOD}/approve").status_code == 302
    assert measure(admin, [district]) == one  # two approved: the same queries
    assert measure(admin, pages)[3] < 25


def test_the_workbook_keeps_a_formula_like_name_as_text(head, app):
    cadre_id, _name = anggrek_cadres(app)[0]
    with app.app_context():
        db.session.get(Cadre, cadre_id).full_name = '=HYPERLINK("http://x.example","klik")'
        db.session.commit()
    book = load_workbook(io.BytesIO(head.get(summary_url(app) + "/summary.xlsx").data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert len(cells) == 1 and cells[0].data_type == "s"


def test_a_budget_below_the_total_is_flagged_on_the_summary_and_before_approval(head, app):
    _english(head)
    url = summary_url(app)
    assert "over budget" not in _text(head.get(url))  # the demo's Rp9.000.000 is enough
    assert head.post(url + "/budget", data={"budget": "1000"}).status_code == 302
    assert "over budget" in _text(head.get(url))
    assert "is over the budget line by" in _text(head.get(url + "/approve"))


def test_only_the_village_head_is_offered_approve_and_reopen(head, app):
    url = summary_url(app)
    coordinator = coordinator_in_english(app)
    _english(head)
    assert "Approve…" in _text(head.get(url)) and "Approve…" not in _text(coordinator.get(url))
    _approve(head, app)
    assert "Re-open…" in _text(head.get(url)) and "Approve…" not in _text(head.get(url))
    assert "Re-open…" not in _text(coordinator.get(url))
