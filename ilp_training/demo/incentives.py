"""Demo cadre welfare for Buton Tengah: a district incentive scheme, three months of
activity at the two posyandu of Desa Lalibo (Anggrek and Melati), the summary of the month
before last approved by the village head, and last month's summary left as a draft with
its budget line, ready for the village head (``kades.lalibo``) to review and approve.

The approved month is computed by the services at approval, under the level-by-day
rule (a month's level top-up follows the level history of ``level_changes``, day by day),
so it is loaded after the demo assessments that make that history.

The legal basis is a plausible demo reference, not a real regulation. Built through the
services (audit entries included). Deterministic: no random draws. Activity patterns
leave one cadre without any activity and put one over the home-visit cap, so the flags
show.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from ilp_training.core.dates import add_months
from ilp_training.core.extensions import db
from ilp_training.incentives.rules import Period, PeriodKind
from ilp_training.incentives.services import activity, schemes
from ilp_training.incentives.services import summaries as incentives
from ilp_training.models import (
    Posyandu,
    Region,
    RegionLevel,
    User,
)

DEMO_VILLAGE = "Lalibo"
BUDGET = 9_000_000  # Rp9 juta, last month's APBDes line for cadre incentives
OPENING_DAYS = (8, 22)  # the posyandu opens twice a month (two ILP sessions)


def _scheme(admin: User, district: Region, first: date) -> None:
    schemes.create_scheme(admin, schemes.SchemeData(
        region_id=district.id,
        legal_basis=f"Perbup Buton Tengah No. 15 Tahun {first.year} (demo)",
        valid_from=first, valid_until=None, base_amount=250_000,
        per_opening_day=25_000, opening_day_cap=2, per_home_visit=10_000, home_visit_cap=8,
        operational_amount=400_000, level_top_ups={"madya": 50_000, "utama": 100_000},
    ), level_codes=("purwa", "madya", "utama"))


def _activity(coordinator: User, posyandu: Posyandu, month: date, today: date) -> None:
    """Two opening days and a month of home visits: cadre ``n`` (by name order) misses
    the second day when ``n % 3 == 1``; the last cadre has no activity at all; the first
    made 10 visits (over the cap of 8)."""
    last = add_months(month, 1) - timedelta(days=1)
    cadres = activity.cadres_serving_on(posyandu, month, last)
    working = cadres[:-1]
    for day in OPENING_DAYS:
        held_on = month.replace(day=day)
        served = [c.id for n, c in enumerate(working) if day == OPENING_DAYS[0] or n % 3 != 1]
        activity.record_opening_day(coordinator, posyandu, held_on, served, today)
    counts = {c.id: 10 if n == 0 else (n * 3) % 7 + 1 for n, c in enumerate(working)}
    activity.set_home_visits(coordinator, posyandu, month, counts, today)


def load_demo_incentives(admin: User, coordinator: User, head: User, today: date) -> int:
    """Add the demo welfare records (the caller commits); returns the opening days made."""
    district = db.session.get_one(Region, admin.district_id)
    last_month = Period.month_before(today)
    months = [add_months(last_month.start, -2), add_months(last_month.start, -1),
              last_month.start]
    _scheme(admin, district, months[0].replace(month=1))
    village = db.session.scalars(sa.select(Region).where(
        Region.level == RegionLevel.VILLAGE, Region.name == DEMO_VILLAGE)).one()
    posyandu = db.session.scalars(sa.select(Posyandu).where(Posyandu.village_id == village.id)
                                  .order_by(Posyandu.name)).all()
    for month in months:
        for p in posyandu:
            _activity(coordinator, p, month, today)
    before_last = Period(PeriodKind.MONTH, months[1])
    incentives.set_budget(head, village, before_last, BUDGET)
    incentives.approve_summary(head, village, before_last)
    incentives.set_budget(head, village, last_month, BUDGET)
    return len(months) * len(posyandu) * len(OPENING_DAYS)
