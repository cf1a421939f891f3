"""Calendar arithmetic on plain dates (no clock: "today" is ``i18n.local_today``)."""

from __future__ import annotations

from datetime import date


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s month (``count`` may
    be negative): ``add_months(date(2026, 12, 15), 1) == date(2027, 1, 1)``."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)
