"""Village incentive summaries: the draft computed from the records, the village head's
review (budget line, exclusions), approval into a frozen version, and re-opening.

The arithmetic is :func:`ilp_training.incentives.rules.compute_summary`; this module
loads its plain inputs and stores its results. The rules here:

- **Who is listed**: every cadre with an assignment at a posyandu of the village during
  the period; the stretch starts no earlier than the cadre's start date and ends at
  the assignment's end or, for an inactive cadre, at ``inactive_since`` (end excluded).
  The level top-up follows the level in force on each day
  (:func:`.competency.levels_in_force`, from the level history ``level_changes``),
  never the level of today.
- **Activity**: opening days served at the village's posyandu; home visits of the cadre.
- **Scheme**: the one in force each month (:mod:`.incentive_schemes`).
- **Review**: only the village's own head
  (:func:`ilp_training.incentives.permissions.may_approve_summary`) sets the budget line,
  excludes (with a reason) or re-includes a cadre, approves and re-opens; a draft only,
  never an approved summary.
- **Approval** copies every row and total into a :class:`SummaryVersion` (number 1, 2,
  …): later changes to schemes, activity or levels never alter it. Re-opening marks the
  version re-opened (it stays readable) and makes the summary a draft again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ilp_training.core import audit
from ilp_training.core.database import changed_rows
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.incentives.permissions import may_approve_summary
from ilp_training.incentives.rules import (
    CadreInput,
    Period,
    PosyanduInput,
    SummaryInput,
    SummaryResult,
    Terms,
    compute_summary,
)
from ilp_training.incentives.services.activity import serving_cadres
from ilp_training.incentives.services.schemes import schemes_in_force, terms_of
from ilp_training.models import (
    Cadre,
    CadreStatus,
    HomeVisitCount,
    IncentiveScheme,
    IncentiveSummary,
    OpeningDay,
    Posyandu,
    Region,
    SummaryCadreRow,
    SummaryExclusion,
    SummaryPosyanduRow,
    SummaryStatus,
    SummaryVersion,
    User,
    opening_day_cadres,
    utcnow,
)
from ilp_training.overview import rollup_hooks
from ilp_training.scoring.competency import levels_in_force

MAX_BUDGET = 10**14  # Rp100 triliun: anything above is a typing slip


@dataclass(frozen=True)
class Draft:
    """A village's live summary: the inputs, the result, the scheme of each month."""

    data: SummaryInput
    result: SummaryResult
    schemes: dict[date, IncentiveScheme | None]
    summary: IncentiveSummary | None


def _stretches(villages: Sequence[Region], period: Period
               ) -> tuple[dict[int, list[tuple[int, str]]], dict[int, dict[int, list]]]:
    """Posyandu ``(id, name)`` by village, and by village and cadre the service stretches
    ``(cadre, start, end, posyandu name)`` clipped by start date and inactivity."""
    rows = db.session.execute(
        sa.select(Posyandu.id, Posyandu.name, Posyandu.village_id)
        .where(Posyandu.village_id.in_([v.id for v in villages]))).all()
    posyandu = {pid: (name, vid) for pid, name, vid in rows}
    by_village: dict[int, list[tuple[int, str]]] = {v.id: [] for v in villages}
    for pid, (name, vid) in posyandu.items():
        by_village[vid].append((pid, name))
    stretches: dict[int, dict[int, list]] = {v.id: {} for v in villages}
    for pid, items in serving_cadres(posyandu, period.start, period.end).items():
        name, vid = posyandu[pid]
        for cadre, start, end in items:
            if cadre.start_date is not None:
                start = max(start, cadre.start_date)
            if cadre.status == CadreStatus.INACTIVE and cadre.inactive_since is not None:
                end = min(end or cadre.inactive_since, cadre.inactive_since)
            stretches[vid].setdefault(cadre.id, []).append((cadre, start, end, name))
    return by_village, stretches


def _activity(period: Period, cadre_ids: set[int]
              ) -> tuple[dict[tuple[int, int, date], int], dict[tuple[int, date], int]]:
    """Opening days served ``{(village, cadre, month): n}`` (counted in SQL) and home
    visits ``{(cadre, month): n}`` in the period."""
    year, month = sa.extract("year", OpeningDay.held_on), sa.extract("month", OpeningDay.held_on)
    served = db.session.execute(
        sa.select(Posyandu.village_id, opening_day_cadres.c.cadre_id, year, month,
                  sa.func.count())
        .join(OpeningDay, OpeningDay.id == opening_day_cadres.c.opening_day_id)
        .join(Posyandu, Posyandu.id == OpeningDay.posyandu_id)
        .where(OpeningDay.held_on.between(period.start, period.end),
               opening_day_cadres.c.cadre_id.in_(cadre_ids))
        .group_by(Posyandu.village_id, opening_day_cadres.c.cadre_id, year, month)
    ).all()
    visits = db.session.execute(
        sa.select(HomeVisitCount.cadre_id, HomeVisitCount.month, HomeVisitCount.visits)
        .where(HomeVisitCount.month.between(period.start, period.end),
               HomeVisitCount.cadre_id.in_(cadre_ids))).all()
    return ({(vid, cid, date(int(y), int(m), 1)): n for vid, cid, y, m, n in served},
            {(cid, m): n for cid, m, n in visits})


def summaries_of(village_ids: Sequence[int], period: Period, *, lock: bool = False
                 ) -> dict[int, IncentiveSummary]:
    """The stored summary rows (with exclusions) of these villages for ``period``.

    ``lock``: read them afresh with ``SELECT … FOR UPDATE`` (PostgreSQL; SQLite's writes
    are serialised anyway), so a review action waits for a concurrent approval or
    re-opening and then sees its outcome."""
    stmt = (sa.select(IncentiveSummary)
            .where(IncentiveSummary.village_id.in_(village_ids),
                   IncentiveSummary.period_kind == period.kind,
                   IncentiveSummary.period_start == period.start)
            .options(sa.orm.selectinload(IncentiveSummary.exclusions)))
    if lock:
        stmt = stmt.with_for_update(of=IncentiveSummary).execution_options(
            populate_existing=True)
    return {s.village_id: s for s in db.session.scalars(stmt).all()}


def _change_status(summary: IncentiveSummary, old: SummaryStatus, new: SummaryStatus) -> bool:
    """Move ``summary`` from ``old`` to ``new`` in one conditional UPDATE; ``False`` when
    its status was no longer ``old`` (a concurrent request changed it first: on
    PostgreSQL the UPDATE waits for that request's row lock, then finds nothing to
    change). The one place where a summary's status changes."""
    changed = changed_rows(
        sa.update(IncentiveSummary)
        .where(IncentiveSummary.id == summary.id, IncentiveSummary.status == old)
        .values(status=new).execution_options(synchronize_session=False))
    if changed != 1:
        return False
    sa.orm.attributes.set_committed_value(summary, "status", new)
    rollup_hooks.summary_status_changed(summary, old, new)  # the UPDATE bypassed the ORM
    return True


def load_drafts(villages: Sequence[Region], period: Period) -> dict[int, Draft]:
    """The live summary of each village for ``period`` (a fixed number of queries)."""
    by_village, stretches = _stretches(villages, period)
    cadre_ids = {cid for per in stretches.values() for cid in per}
    served, visits = _activity(period, cadre_ids)
    levels = {cadre_id: tuple(spans) for cadre_id, spans
              in levels_in_force(cadre_ids, period.start, period.end).items()}
    summaries = summaries_of([v.id for v in villages], period)
    in_force = schemes_in_force(villages, period)
    terms_cache: dict[int, Terms] = {}
    drafts = {}
    for village in villages:
        summary = summaries.get(village.id)
        excluded = {e.cadre_id: e.reason for e in summary.exclusions} if summary else {}
        schemes = in_force[village.id]
        terms = {m: (terms_cache.setdefault(s.id, terms_of(s)) if s else None)
                 for m, s in schemes.items()}
        cadres = [
            CadreInput(
                cadre_id=cid, name=items[0][0].full_name, posyandu=items[-1][3],
                level_code=items[0][0].level_code,
                service=tuple((start, end) for _c, start, end, _n in items),
                opening_days={m: served[(village.id, cid, m)] for m in period.months
                              if (village.id, cid, m) in served},
                home_visits={m: visits[(cid, m)] for m in period.months if (cid, m) in visits},
                bpjs_enrolled=items[0][0].bpjs_tk_enrolled,
                inactive=items[0][0].status == CadreStatus.INACTIVE,
                excluded_reason=excluded.get(cid), levels=levels.get(cid, ()),
            )
            for cid, items in stretches[village.id].items()
        ]
        data = SummaryInput(
            period=period, terms=terms, cadres=cadres,
            posyandu=[PosyanduInput(pid, name) for pid, name in by_village[village.id]],
            budget=summary.budget_amount if summary else None,
        )
        drafts[village.id] = Draft(data, compute_summary(data), schemes, summary)
    return drafts


def load_draft(village: Region, period: Period) -> Draft:
    return load_drafts([village], period)[village.id]


def _summary_for_review(actor: User, village: Region, period: Period) -> IncentiveSummary:
    """The village's summary row (created on the first action), refused to anyone but the
    village's head and when already approved."""
    if not may_approve_summary(actor, village):
        raise ServiceError(_l("Only the head of this village can review its summary."))
    summary = summaries_of([village.id], period, lock=True).get(village.id)
    if summary is None:
        summary = IncentiveSummary(village=village, period_kind=period.kind,
                                   period_start=period.start, status=SummaryStatus.DRAFT)
        db.session.add(summary)
        db.session.flush()
    if summary.status == SummaryStatus.APPROVED:
        raise ServiceError(_l("This summary is approved; re-open it to change it."))
    return summary


def set_budget(actor: User, village: Region, period: Period, amount: int | None
               ) -> IncentiveSummary:
    """Record the APBDes budget line for the period (whole rupiah ≥ 0, or ``None``)."""
    if amount is not None and not 0 <= amount <= MAX_BUDGET:
        raise ServiceError(_l("Enter the budget as a whole number of rupiah, 0 or more."),
                           "budget")
    summary = _summary_for_review(actor, village, period)
    old, summary.budget_amount = summary.budget_amount, amount
    db.session.flush()
    if old != amount:
        audit.record(actor, "set_budget", "incentive_summary", summary.id,
                     {"budget_amount": [old, amount], "period": [None, period.key]})
    return summary


def exclude_cadre(actor: User, village: Region, period: Period, cadre: Cadre,
                  reason: str) -> SummaryExclusion:
    """Leave ``cadre`` out of the draft (paid nothing), with a required reason."""
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError(_l("Give a reason."), "reason")
    summary = _summary_for_review(actor, village, period)
    listed = {line.cadre_id for line in load_draft(village, period).result.cadres}
    if cadre.id not in listed:
        raise ServiceError(_l("This cadre is not in the summary."))
    if any(e.cadre_id == cadre.id for e in summary.exclusions):
        raise ServiceError(_l("This cadre is already excluded."))
    exclusion = SummaryExclusion(cadre_id=cadre.id, reason=reason[:200])
    summary.exclusions.append(exclusion)
    db.session.flush()
    audit.record(actor, "exclude", "incentive_summary", summary.id,
                 {"cadre_id": [None, cadre.id], "reason": [None, exclusion.reason],
                  "period": [None, period.key]})
    return exclusion


def include_cadre(actor: User, village: Region, period: Period, cadre: Cadre) -> None:
    """Undo an exclusion."""
    summary = _summary_for_review(actor, village, period)
    found = next((e for e in summary.exclusions if e.cadre_id == cadre.id), None)
    if found is None:
        raise ServiceError(_l("This cadre is not excluded."))
    summary.exclusions.remove(found)
    db.session.flush()
    audit.record(actor, "include", "incentive_summary", summary.id,
                 {"cadre_id": [cadre.id, None], "reason": [found.reason, None],
                  "period": [None, period.key]})


def _scheme_record(month: date, scheme: IncentiveScheme | None) -> dict[str, object]:
    if scheme is None:
        return {"month": month.isoformat(), "scheme_id": None}
    return {"month": month.isoformat(), "scheme_id": scheme.id,
            "legal_basis": scheme.legal_basis, "base": scheme.base_amount,
            "level_top_ups": scheme.top_up_by_level, "per_opening_day": scheme.per_opening_day,
            "opening_day_cap": scheme.opening_day_cap, "per_home_visit": scheme.per_home_visit,
            "home_visit_cap": scheme.home_visit_cap, "operational": scheme.operational_amount}


def legal_bases(schemes: dict[date, IncentiveScheme | None]) -> list[str]:
    """The distinct legal bases of the schemes used, in month order."""
    return list(dict.fromkeys(s.legal_basis for s in schemes.values() if s is not None))


def approve_summary(actor: User, village: Region, period: Period) -> SummaryVersion:
    """Approve the draft: freeze every figure into a new version (see the rules).

    The village's row is held ``FOR NO KEY UPDATE`` first (PostgreSQL): a concurrent
    change of its activity (which holds it ``FOR SHARE``, :func:`.activity.ensure_unlocked`)
    either commits before the draft is computed, or waits and finds the period locked."""
    if may_approve_summary(actor, village):
        db.session.execute(sa.select(Region.id).where(Region.id == village.id)
                           .with_for_update(key_share=True))
    summary = _summary_for_review(actor, village, period)
    if not _change_status(summary, SummaryStatus.DRAFT, SummaryStatus.APPROVED):
        raise ServiceError(_l("This summary is already approved."))
    draft = load_draft(village, period)
    result = draft.result
    version = SummaryVersion(
        summary=summary, number=len(summary.versions) + 1, approved_by=actor,
        approved_by_name=actor.display_name, approved_at=utcnow(),
        legal_basis="; ".join(legal_bases(draft.schemes))[:500],
        terms=[_scheme_record(m, s) for m, s in draft.schemes.items()],
        months_without_scheme=[m.isoformat() for m in result.months_without_scheme],
        budget_amount=result.budget, cadre_total=result.cadre_total,
        operational_total=result.operational_total, grand_total=result.grand_total,
        uninsured=result.uninsured,
    )
    for position, line in enumerate(result.cadres, start=1):
        version.cadre_rows.append(SummaryCadreRow(
            position=position, cadre_id=line.cadre_id, full_name=line.name,
            posyandu_name=line.posyandu, level_code=line.level_code,
            months_active_x100=int(line.months_active * 100), days_served=line.days_served,
            home_visits=line.home_visits, base=line.base, level_top_up=line.level_top_up,
            opening_day_top_up=line.opening_day_top_up,
            home_visit_top_up=line.home_visit_top_up, total=line.total,
            bpjs_enrolled=line.bpjs_enrolled, inactive=line.inactive,
            no_activity=line.no_activity, over_cap=line.over_cap,
            excluded_reason=line.excluded_reason))
    for position, p in enumerate(result.posyandu, start=1):
        version.posyandu_rows.append(SummaryPosyanduRow(
            position=position, posyandu_id=p.posyandu_id, name=p.name, months=p.months,
            operational=p.operational))
    db.session.add(version)
    db.session.flush()
    audit.record(actor, "approve", "incentive_summary", summary.id, {
        "status": ["draft", "approved"], "version": [None, version.number],
        "grand_total": [None, result.grand_total], "period": [None, period.key]})
    return version


def reopen_summary(actor: User, village: Region, period: Period, reason: str
                   ) -> SummaryVersion:
    """Re-open an approved summary: its version stays as it was, marked re-opened with
    who, when and why; the next approval makes a new version."""
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError(_l("Give a reason."), "reason")
    if not may_approve_summary(actor, village):
        raise ServiceError(_l("Only the head of this village can review its summary."))
    summary = summaries_of([village.id], period).get(village.id)
    if summary is None or not _change_status(summary, SummaryStatus.APPROVED,
                                             SummaryStatus.DRAFT):
        raise ServiceError(_l("This summary is not approved: there is nothing to re-open."))
    db.session.refresh(summary, ["versions"])  # as of the UPDATE, after any rival's commit
    version = summary.versions[-1]
    version.reopened_by, version.reopened_at = actor, utcnow()
    version.reopen_reason = reason[:200]
    db.session.flush()
    audit.record(actor, "reopen", "incentive_summary", summary.id, {
        "status": ["approved", "draft"], "version": [version.number, None],
        "reason": [None, version.reopen_reason], "period": [None, period.key]})
    return version
