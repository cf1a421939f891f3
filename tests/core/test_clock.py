"""The one clock: "today" comes from ``i18n.local_now``, which the TODAY setting fixes."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from conftest import TODAY, make_app

from ilp_training.core.i18n import local_now, local_today


def test_the_suite_runs_on_the_fixed_clock(app):
    fixed = datetime.fromisoformat(TODAY)
    with app.app_context():
        now = local_now()
        assert (now if fixed.tzinfo else now.replace(tzinfo=None)) == fixed


@pytest.mark.parametrize(("setting", "today"), [
    ("2026-11-30T23:30", date(2026, 11, 30)),            # read in the site's zone
    ("2026-11-30T16:30:00+00:00", date(2026, 12, 1)),    # UTC afternoon: Makassar's next day
    ("2027-02-28", date(2027, 2, 28)),
])
def test_a_fixed_day_is_read_in_the_site_zone(database_url, setting, today):
    site = make_app(database_url, TODAY=setting)
    with site.app_context():
        assert local_today() == today
        assert local_now().utcoffset().total_seconds() == 8 * 3600


def test_an_unreadable_setting_stops_the_start(monkeypatch):
    from ilp_training.core.config import settings_from_env

    monkeypatch.setenv("TODAY", "yesterday")
    with pytest.raises(ValueError, match="TODAY"):
        settings_from_env("/tmp")
