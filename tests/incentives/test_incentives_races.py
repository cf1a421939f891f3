"""Incentive records under requests released together against a live server
(``tests/live.py``): the same opening day, home visits for a new month, a budget line for a
new period, the same exclusion, approvals and re-opens of one summary. Every loser gets
the ordinary answer (never a 500) and exactly one record is stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import DEMO_DAY, posyandu_named

from ilp_training.core.extensions import db
from ilp_training.incentives.rules import add_months
from ilp_training.models import (
    AuditEntry,
    Cadre,
    HomeVisitCount,
    IncentiveSummary,
    OpeningDay,
    Region,
    RegionLevel,
    SummaryExclusion,
    SummaryStatus,
    SummaryVersion,
)
from tests.live import race

pytestmark = pytest.mark.dates

# The demo's months, as of its load day DEMO_DAY (conftest), which moves with the clock:
NEW_MONTH = DEMO_DAY  # the month of the load day: no summary, no activity yet
DRAFT_MONTH = add_months(NEW_MONTH, -1)  # the draft with a budget line
APPROVED_MONTH = add_months(NEW_MONTH, -2)  # the approved month
FIRST_MONTH = add_months(NEW_MONTH, -3)  # the first month of activity, no summary
APPROVED, DRAFT, NEW = (f"{m:%Y-%m}" for m in (APPROVED_MONTH, DRAFT_MONTH, NEW_MONTH))


def _lalibo(live) -> int:
    with live.context():
        return db.session.scalar(sa.select(Region.id).where(
            Region.level == RegionLevel.VILLAGE, Region.name == "Lalibo"))


def _anggrek(live) -> tuple[int, list[int]]:
    with live.context():
        anggrek = posyandu_named("Anggrek")
        cadres = db.session.scalars(sa.select(Cadre.id).where(
            Cadre.posyandu_id == anggrek.id).order_by(Cadre.id)).all()
        return anggrek.id, list(cadres[:3])


def _count(live, stmt: sa.Select) -> int:
    with live.context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def _codes(responses) -> list[int]:
    codes = sorted(r.status_code for r in responses)
    assert 500 not in codes, [r.text[:300] for r in responses if r.status_code == 500]
    return codes


def _english(client):
    client.post("/language", data={"lang": "en"})
    return client


def test_the_same_opening_day_submitted_at_once_is_stored_once(live):
    pid, cadres = _anggrek(live)
    clients = [live.client("koordinator") for _ in range(5)]
    responses = race(5, lambda i: clients[i].post(
        f"/incentives/posyandu/{pid}/opening-days/new",
        data={"held_on": NEW_MONTH.replace(day=12).isoformat(), "cadres": cadres}))
    assert _codes(responses) == [302] * 5  # the losers replace the list with the same one
    assert _count(live, sa.select(OpeningDay.id).where(
        OpeningDay.posyandu_id == pid, OpeningDay.held_on == NEW_MONTH.replace(day=12))) == 1


def test_home_visits_for_a_new_month_at_once_are_stored_once(live):
    pid, cadres = _anggrek(live)
    clients = [live.client("koordinator") for _ in range(5)]
    responses = race(5, lambda i: clients[i].post(
        f"/incentives/posyandu/{pid}/home-visits/{NEW}",
        data={f"c{c}": 4 for c in cadres}))
    assert _codes(responses) == [302] * 5
    assert _count(live, sa.select(HomeVisitCount.id).where(
        HomeVisitCount.cadre_id.in_(cadres), HomeVisitCount.month == NEW_MONTH)) == 3


def test_a_budget_line_for_a_new_period_at_once_makes_one_summary(live):
    village = _lalibo(live)
    clients = [live.client("kades.lalibo") for _ in range(5)]
    responses = race(5, lambda i: clients[i].post(
        f"/incentives/villages/{village}/{NEW}/budget", data={"budget": "7.500.000"}))
    assert _codes(responses) == [302] * 5
    assert _count(live, sa.select(IncentiveSummary.id).where(
        IncentiveSummary.village_id == village,
        IncentiveSummary.period_start == NEW_MONTH)) == 1


def test_the_same_exclusion_at_once_is_stored_once(live):
    village = _lalibo(live)
    _pid, cadres = _anggrek(live)
    clients = [_english(live.client("kades.lalibo")) for _ in range(5)]
    responses = race(5, lambda i: clients[i].post(
        f"/incentives/villages/{village}/{DRAFT}/cadres/{cadres[0]}/exclude",
        data={"reason": "Pindah"}))
    assert _codes(responses) == [200] * 4 + [302]
    assert all("already excluded" in r.text for r in responses if r.status_code == 200)
    assert _count(live, sa.select(SummaryExclusion.id).where(
        SummaryExclusion.cadre_id == cadres[0])) == 1


def test_five_approvals_at_once_make_one_version(live):
    village = _lalibo(live)
    clients = [_english(live.client("kades.lalibo")) for _ in range(5)]
    responses = race(5, lambda i: clients[i].post(
        f"/incentives/villages/{village}/{DRAFT}/approve"))
    assert _codes(responses) == [200] * 4 + [302]
    assert all("already approved" in r.text for r in responses if r.status_code == 200)
    assert _count(live, sa.select(SummaryVersion.id).join(IncentiveSummary).where(
        IncentiveSummary.period_start == DRAFT_MONTH)) == 1
    assert _count(live, sa.select(AuditEntry.id).where(
        AuditEntry.entity == "incentive_summary", AuditEntry.action == "approve")) == 2


def test_three_reopens_at_once_reopen_once(live):
    village = _lalibo(live)
    clients = [_english(live.client("kades.lalibo")) for _ in range(3)]
    responses = race(3, lambda i: clients[i].post(
        f"/incentives/villages/{village}/{APPROVED}/reopen", data={"reason": f"Alasan {i}"}))
    assert _codes(responses) == [200, 200, 302]
    assert all("not approved" in r.text for r in responses if r.status_code == 200)
    assert _count(live, sa.select(AuditEntry.id).where(
        AuditEntry.entity == "incentive_summary", AuditEntry.action == "reopen")) == 1
    with live.context():
        summary = db.session.scalars(sa.select(IncentiveSummary).where(
            IncentiveSummary.village_id == village,
            IncentiveSummary.period_start == APPROVED_MONTH)).one()
        assert summary.status == SummaryStatus.DRAFT
        winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
        assert summary.versions[0].reopen_reason == f"Alasan {winner}"


def test_an_activity_change_and_the_approval_at_once_never_leave_a_stale_version(live):
    """Either the change is in the approved version or it is refused as locked: the
    approved figures always equal the activity stored (run a few times to meet both)."""
    from ilp_training.incentives.rules import Period
    from ilp_training.incentives.services.summaries import load_draft

    village = _lalibo(live)
    pid, cadres = _anggrek(live)
    with live.context():
        days = db.session.execute(sa.select(OpeningDay.id, OpeningDay.held_on).where(
            OpeningDay.posyandu_id == pid, OpeningDay.held_on.between(
                FIRST_MONTH, NEW_MONTH - timedelta(days=1))).order_by(OpeningDay.held_on)).all()
    head, coordinator = live.client("kades.lalibo"), live.client("koordinator")
    # the first day of the first month and the last of the draft month: neither approved
    for key, (day_id, held_on) in ((f"{FIRST_MONTH:%Y-%m}", days[0]), (DRAFT, days[-1])):
        responses = race(2, lambda i, key=key, day_id=day_id, held_on=held_on: (
            head.post(f"/incentives/villages/{village}/{key}/approve") if i == 0 else
            coordinator.post(f"/incentives/opening-days/{day_id}", data={
                "held_on": held_on.isoformat(), "cadres": cadres[:1]})))
        assert responses[0].status_code == 302
        assert responses[1].status_code in (200, 302)
        with live.context():
            version = db.session.scalars(sa.select(SummaryVersion).join(IncentiveSummary).where(
                IncentiveSummary.village_id == village,
                IncentiveSummary.period_start == Period.parse(key).start)).one()
            region = db.session.get(Region, village)
            assert version.grand_total == load_draft(region, Period.parse(key)).result.grand_total
