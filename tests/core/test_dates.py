"""Month arithmetic: one function for the site (``core/dates.add_months``)."""

from __future__ import annotations

from datetime import date

import pytest

from ilp_training.core.dates import add_months


@pytest.mark.parametrize(("day", "count", "month"), [
    (date(2026, 12, 15), 1, date(2027, 1, 1)),
    (date(2026, 12, 1), 0, date(2026, 12, 1)),
    (date(2026, 1, 31), -1, date(2025, 12, 1)),
    (date(2026, 3, 31), -14, date(2025, 1, 1)),
    (date(2026, 11, 30), 13, date(2027, 12, 1)),
    (date(2024, 2, 29), 12, date(2025, 2, 1)),
])
def test_add_months_gives_the_first_day_of_the_month(day, count, month):
    assert add_months(day, count) == month


def test_the_incentive_arithmetic_counts_months_the_same_way():
    """``incentives/rules.py`` imports nothing of the site, so it keeps its own copy."""
    from ilp_training.incentives import rules

    days = [date(year, month, day) for year in (2025, 2026) for month in range(1, 13)
            for day in (1, 28)]
    for day in days:
        for count in range(-25, 26):
            assert rules.add_months(day, count) == add_months(day, count)
