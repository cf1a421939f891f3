"""The village head reviews and approves last month's incentive summary on a phone-sized
screen in headless Chromium, CSRF on; every incentives page fits 360 px."""

from __future__ import annotations

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import IncentiveSummary, OpeningDay, SummaryStatus
from tests.browser import MARKS, fits_the_phone, sign_in

pytestmark = MARKS


def test_village_head_approves_on_a_phone(browser_site, browser):
    base, app = browser_site
    page = sign_in(browser, base, "kades.lalibo", "kades-demo")
    page.goto(f"{base}/incentives/")
    assert "/incentives/villages/" in page.url
    fits_the_phone(page)
    assert page.locator("text=Rp9.000.000").count() >= 1
    assert page.locator("button[data-print]").is_visible()  # shown by static/js/app.js
    page.click("a.button.primary[href$='/approve']")
    fits_the_phone(page)
    page.click("main form button[type=submit], main form input[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/approve"))
    fits_the_phone(page)
    assert page.locator("a[href$='/reopen']").count() == 1
    with app.app_context():
        statuses = db.session.scalars(sa.select(IncentiveSummary.status)).all()
        assert statuses.count(SummaryStatus.APPROVED) == 2  # the demo's and this one
    for path in ("/incentives/schemes", "/incentives/activity", "/incentives/activity/import"):
        page.goto(base + path)
        fits_the_phone(page)
    page.close()


def test_coordinator_and_admin_pages_fit_the_phone(browser_site, browser):
    base, app = browser_site
    with app.app_context():
        day = db.session.scalar(sa.select(OpeningDay.id).order_by(OpeningDay.id))
    page = sign_in(browser, base, "koordinator", "koordinator-demo")
    for path in ("/incentives/", "/incentives/activity", f"/incentives/opening-days/{day}"):
        page.goto(base + path)
        fits_the_phone(page)
    page.close()
    page = sign_in(browser, base, "admin", "admin-demo")
    for path in ("/incentives/district", "/incentives/schemes/new"):
        page.goto(base + path)
        fits_the_phone(page)
    page.close()
