"""Cadre incentive arithmetic: periods, schemes and the village summary. Pure Python.

No Flask, SQLAlchemy or ``ilp_training`` import (``tests/test_incentives.py`` checks
it): the service layer loads plain :class:`SummaryInput` data and stores the frozen
:class:`SummaryResult`. All money is whole rupiah in ``int``; no ``float`` anywhere.

The rule, month by month (every period is a run of calendar months):

1. *Days served*: the days of the month on which the cadre served at a posyandu of the
   village. Service stretches are half-open ``[start, end)``: the day of a move or of
   deactivation belongs to the new posyandu / to inactivity.
2. *Base* and *level top-up* are monthly amounts paid pro rata:
   ``amount × days served ÷ days in the month``, rounded half up to the rupiah (so
   Rp250.001 for 15 of 30 days is Rp125.001; a full month is paid in full). The level
   top-up follows the level *in force on each day served* (the level history, not the
   level of today): ``Σ top-up(level) × days served at that level ÷ days in the month``,
   rounded half up once per month (Utama +100.000 from the 15th of a 31-day month after
   14 days without a level: 100.000 × 17 ÷ 31 = 54.838,7 → Rp54.839).
3. *Activity top-ups*: ``rate × min(count, cap)`` for opening days served and for home
   visits (no cap when the cap is ``None``); counted only in months with at least one
   day served at the village. A count above its cap flags the row.
4. *Operational*: the scheme's amount for every posyandu of the village, per month.
5. A month with no scheme in force pays nothing and is listed in ``months_without_scheme``.

Each component is rounded per month, then the months are added, so a quarter or a year is
exactly the sum of its months. An excluded cadre keeps the activity figures but is paid
nothing. *Months active* is ``Σ days served ÷ days in month``, rounded half up to 0.01
(shown only, never used for money).
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction


class PeriodKind(enum.StrEnum):
    """How long a summary period is."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}
_KEY = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])))?$")


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s month. The site's
    one is ``core/dates.add_months``; this module imports nothing of the site, so it
    keeps its own (``tests/core/test_dates.py`` holds the two equal)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def days_in_month(month: date) -> int:
    """Number of days of ``month``'s calendar month."""
    return calendar.monthrange(month.year, month.month)[1]


@dataclass(frozen=True)
class Period:
    """A month, quarter or calendar year, starting on ``start`` (a first day of month).

    Its key is ``2026-10`` (month), ``2026-Q4`` (quarter) or ``2026`` (year).
    """

    kind: PeriodKind
    start: date

    @classmethod
    def parse(cls, key: str) -> Period:
        """The period a key names; ``ValueError`` for anything else."""
        match = _KEY.match(key.strip())
        if match is None:
            raise ValueError(f"not a period: {key!r}")
        year, month, quarter = int(match[1]), match[2], match[3]
        if not 2000 <= year <= 2100:
            raise ValueError(f"year out of range: {year}")
        if month is not None:
            if not 1 <= int(month) <= 12:
                raise ValueError(f"not a month: {month}")
            return cls(PeriodKind.MONTH, date(year, int(month), 1))
        if quarter is not None:
            return cls(PeriodKind.QUARTER, date(year, 3 * int(quarter) - 2, 1))
        return cls(PeriodKind.YEAR, date(year, 1, 1))

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        """The month, quarter or year (``kind``) that ``day`` falls in."""
        first_month = {PeriodKind.MONTH: day.month, PeriodKind.QUARTER:
                       (day.month - 1) // 3 * 3 + 1, PeriodKind.YEAR: 1}[kind]
        return cls(kind, date(day.year, first_month, 1))

    @classmethod
    def month_before(cls, day: date) -> Period:
        """The calendar month before ``day``'s month (the usual summary to approve)."""
        return cls(PeriodKind.MONTH, add_months(day.replace(day=1), -1))

    @property
    def months(self) -> tuple[date, ...]:
        """First days of the months of the period, in order."""
        return tuple(add_months(self.start, i) for i in range(_MONTHS[self.kind]))

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        return add_months(self.start, _MONTHS[self.kind]) - timedelta(days=1)

    @property
    def quarter(self) -> int:
        """1–4: the quarter the period starts in."""
        return (self.start.month - 1) // 3 + 1

    @property
    def key(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{self.quarter}"
        return f"{self.start.year}"


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator ÷ denominator`` rounded half up to an integer (both ≥ 0, denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class Terms:
    """The amounts of one incentive scheme, in whole rupiah.

    ``level_top_ups`` maps a level code to its monthly top-up; ``*_cap`` is the most
    opening days / home visits paid per cadre per month (``None``: no cap).
    """

    base: int
    per_opening_day: int = 0
    opening_day_cap: int | None = None
    per_home_visit: int = 0
    home_visit_cap: int | None = None
    operational: int = 0
    level_top_ups: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CadreInput:
    """One cadre who served at a posyandu of the village.

    ``service``: half-open stretches ``[start, end)`` at the village (``end`` ``None``:
    still serving); ``opening_days`` / ``home_visits``: counts by first day of month.
    ``levels``: the level history as steps ``(since, code)`` in date order: from
    ``since`` on, ``code`` is in force (``None``: no level) until the next step; days
    before the first step have no level. With no steps, ``level_code`` is in force
    throughout (a cadre without a recorded change).
    """

    cadre_id: int
    name: str
    posyandu: str
    level_code: str | None
    service: tuple[tuple[date, date | None], ...]
    opening_days: Mapping[date, int] = field(default_factory=dict)
    home_visits: Mapping[date, int] = field(default_factory=dict)
    bpjs_enrolled: bool = False
    inactive: bool = False
    excluded_reason: str | None = None
    levels: tuple[tuple[date, str | None], ...] = ()


@dataclass(frozen=True)
class PosyanduInput:
    posyandu_id: int
    name: str


@dataclass(frozen=True)
class SummaryInput:
    """Everything one village summary needs; ``terms`` maps each month of the period to
    the scheme in force then (``None``: none), ``budget`` is the APBDes line (or ``None``)."""

    period: Period
    terms: Mapping[date, Terms | None]
    cadres: Sequence[CadreInput]
    posyandu: Sequence[PosyanduInput]
    budget: int | None = None


@dataclass(frozen=True)
class CadreLine:
    """One cadre's figures for the period (amounts in rupiah)."""

    cadre_id: int
    name: str
    posyandu: str
    level_code: str | None
    months_active: Decimal
    days_served: int
    home_visits: int
    base: int
    level_top_up: int
    opening_day_top_up: int
    home_visit_top_up: int
    total: int
    bpjs_enrolled: bool
    inactive: bool
    no_activity: bool
    over_cap: bool
    excluded_reason: str | None = None


@dataclass(frozen=True)
class PosyanduLine:
    posyandu_id: int
    name: str
    months: int
    operational: int


@dataclass(frozen=True)
class SummaryResult:
    """The village summary: rows, totals, the budget difference (``budget − grand total``,
    negative when over budget) and the months that had no scheme."""

    cadres: tuple[CadreLine, ...]
    posyandu: tuple[PosyanduLine, ...]
    cadre_total: int
    operational_total: int
    grand_total: int
    budget: int | None
    difference: int | None
    uninsured: int
    months_without_scheme: tuple[date, ...]

    @property
    def over_budget(self) -> bool:
        """A budget line is set and the grand total is above it."""
        return self.difference is not None and self.difference < 0


def _served(service: Sequence[tuple[date, date | None]], month: date) -> set[int]:
    """The days (ordinals) of ``month`` covered by the half-open stretches in ``service``."""
    first, after = month, add_months(month, 1)
    days: set[int] = set()
    for start, end in service:
        lo, hi = max(start, first), min(end or after, after)
        days.update(range(lo.toordinal(), hi.toordinal()))
    return days


def days_served(service: Sequence[tuple[date, date | None]], month: date) -> int:
    """Distinct days of ``month`` covered by the half-open stretches in ``service``."""
    return len(_served(service, month))


def days_by_level(cadre: CadreInput, month: date) -> dict[str | None, int]:
    """The days of ``month`` the cadre served, counted by the level in force on each day
    (``cadre.levels``, see :class:`CadreInput`), in the order the levels came."""
    days = _served(cadre.service, month)
    if not days:
        return {}
    if not cadre.levels:
        return {cadre.level_code: len(days)}
    after = add_months(month, 1).toordinal()
    bounds: list[tuple[int, str | None]] = [(month.toordinal(), None)]  # before: no level
    bounds += [(max(since.toordinal(), month.toordinal()), code)
               for since, code in cadre.levels if since.toordinal() < after]
    counts: dict[str | None, int] = {}
    for (lo, code), (hi, _next) in zip(bounds, [*bounds[1:], (after, None)], strict=True):
        served = sum(1 for d in days if lo <= d < hi)
        if served:  # re-inserted, so the last key is the level of the last day served
            counts[code] = counts.pop(code, 0) + served
    return counts


def _capped(count: int, cap: int | None) -> int:
    return count if cap is None else min(count, cap)


def cadre_line(cadre: CadreInput, period: Period,
               terms: Mapping[date, Terms | None]) -> CadreLine | None:
    """The cadre's row under the rule of the module docstring; ``None`` when the cadre
    served no day of the period at the village. Its ``level_code`` is the level in
    force on the last day the cadre served in the period."""
    base = level = opening = visits = days_total = visits_total = 0
    active = Fraction(0)
    over_cap = False
    shown = cadre.level_code if not cadre.levels else None
    for month in period.months:
        by_level, length = days_by_level(cadre, month), days_in_month(month)
        served = sum(by_level.values())
        if served == 0:
            continue
        shown = list(by_level)[-1]
        active += Fraction(served, length)
        days, homes = cadre.opening_days.get(month, 0), cadre.home_visits.get(month, 0)
        days_total, visits_total = days_total + days, visits_total + homes
        t = terms.get(month)
        if t is None:
            continue
        over_cap |= _capped(days, t.opening_day_cap) < days
        over_cap |= _capped(homes, t.home_visit_cap) < homes
        base += round_half_up(t.base * served, length)
        level += round_half_up(sum(t.level_top_ups.get(code or "", 0) * days
                                   for code, days in by_level.items()), length)
        opening += t.per_opening_day * _capped(days, t.opening_day_cap)
        visits += t.per_home_visit * _capped(homes, t.home_visit_cap)
    if active == 0:
        return None
    if cadre.excluded_reason:
        base = level = opening = visits = 0
    hundredths = round_half_up(active.numerator * 100, active.denominator)
    return CadreLine(
        cadre_id=cadre.cadre_id, name=cadre.name, posyandu=cadre.posyandu,
        level_code=shown, months_active=Decimal(hundredths) / 100,
        days_served=days_total, home_visits=visits_total, base=base, level_top_up=level,
        opening_day_top_up=opening, home_visit_top_up=visits,
        total=base + level + opening + visits, bpjs_enrolled=cadre.bpjs_enrolled,
        inactive=cadre.inactive, no_activity=days_total == 0 and visits_total == 0,
        over_cap=over_cap, excluded_reason=cadre.excluded_reason or None,
    )


def compute_summary(data: SummaryInput) -> SummaryResult:
    """The village summary for ``data.period`` (rule: see the module docstring).

    Rows are ordered by posyandu then name; ``uninsured`` counts the listed cadres not
    enrolled in BPJS Ketenagakerjaan (excluded ones included: cover is not pay).
    """
    lines = [cadre_line(c, data.period, data.terms) for c in data.cadres]
    rows = tuple(sorted((line for line in lines if line is not None),
                        key=lambda r: (r.posyandu.casefold(), r.name.casefold(), r.cadre_id)))
    in_force = {m: t for m in data.period.months if (t := data.terms.get(m)) is not None}
    covered = list(in_force)
    operational = sum(t.operational for t in in_force.values())
    posyandu = tuple(
        PosyanduLine(p.posyandu_id, p.name, len(covered), operational)
        for p in sorted(data.posyandu, key=lambda p: (p.name.casefold(), p.posyandu_id))
    )
    cadre_total = sum(r.total for r in rows)
    operational_total = sum(p.operational for p in posyandu)
    grand = cadre_total + operational_total
    return SummaryResult(
        cadres=rows, posyandu=posyandu, cadre_total=cadre_total,
        operational_total=operational_total, grand_total=grand, budget=data.budget,
        difference=None if data.budget is None else data.budget - grand,
        uninsured=sum(1 for r in rows if not r.bpjs_enrolled),
        months_without_scheme=tuple(m for m in data.period.months if m not in covered),
    )


_GROUPED = re.compile(r"^\d{1,3}([.,])\d{3}(\1\d{3})*$")


def parse_rupiah(text: str) -> int:
    """A whole, non-negative rupiah amount typed by a person: digits, optionally ``Rp``
    and thousands separators (``250.000``, ``250,000``, ``Rp 250.000``).

    ``ValueError("negative")`` for a minus sign, ``ValueError("format")`` for anything
    else (decimals, letters, mixed separators, an empty text).
    """
    cleaned = text.strip().removeprefix("Rp").removeprefix("rp").replace(" ", "")
    cleaned = cleaned.replace("\u00a0", "")
    if cleaned.startswith("-"):
        raise ValueError("negative")
    if cleaned.isdigit() and cleaned.isascii():
        return int(cleaned)
    if _GROUPED.match(cleaned):
        return int(re.sub(r"[.,]", "", cleaned))
    raise ValueError("format")
