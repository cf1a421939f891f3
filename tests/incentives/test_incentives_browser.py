"""The village head reviews and approves last month's incentive summary on a phone-sized
screen in headless Chromium, CSRF on; every incentives page fits 360 px."""

from __future__ import annotations

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import IncentiveSummary, OpeningDay, SummaryStatus
from tests.core import test_browser
from tests.core.test_browser import PHONE, _fits_the_phone

# The live server and the browser of test_browser.py (module-scoped fixtures), and its skip.
live, browser, pytestmark = test_browser.live, test_browser.browser, test_browser.pytestmark


def _sign_in(chromium, base: str, username: str, password: str):
    page = chromium.new_page(viewport=PHONE)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def test_village_head_approves_on_a_phone(live, browser):
    base, app = live
    page = _sign_in(browser, base, "kades.lalibo", "kades-demo")
    page.goto(f"{base}/incentives/")
    assert "/incentives/villages/" in page.url
    _fits_the_phone(page)
    assert page.locator("text=Rp9.000.000").count() >= 1
    assert page.locator("button[data-print]").is_visible()  # shown by static/js/app.js
    page.click("a.button.primary[href$='/approve']")
    _fits_the_phone(page)
    page.click("main form button[type=submit], main form input[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/approve"))
    _fits_the_phone(page)
    assert page.locator("a[href$='/reopen']").count() == 1
    with app.app_context():
        statuses = db.session.scalars(sa.select(IncentiveSummary.status)).all()
        assert statuses.count(SummaryStatus.APPROVED) == 2  # the demo's and this one
    for path in ("/incentives/schemes", "/incentives/activity", "/incentives/activity/import"):
        page.goto(base + path)
        _fits_the_phone(page)
    page.close()


def test_coordinator_and_admin_pages_fit_the_phone(live, browser):
    base, app = live
    with app.app_context():
        day = db.session.scalar(sa.select(OpeningDay.id).order_by(OpeningDay.id))
    page = _sign_in(browser, base, "koordinator", "koordinator-demo")
    for path in ("/incentives/", "/incentives/activity", f"/incentives/opening-days/{day}"):
        page.goto(base + path)
        _fits_the_phone(page)
    page.close()
    page = _sign_in(browser, base, "admin", "admin-demo")
    for path in ("/incentives/district", "/incentives/schemes/new"):
        page.goto(base + path)
        _fits_the_phone(page)
    page.close()
