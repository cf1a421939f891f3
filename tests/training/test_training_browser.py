"""The training pages on a phone-sized screen (360 px) in headless Chromium: a coordinator
plans a training, fills it from the planning list, records a day of attendance and the
tests; every page fits the screen and its controls are at least 44 px tall."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import Posyandu, TrainingEvent
from tests.browser import MARKS, PHONE, fits_the_phone

pytestmark = MARKS


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", f"{username}-demo")
    _submit(page, "#submit")


def _submit(page, selector: str) -> None:
    """Click and wait for the next page to load (a redirect or the form shown again)."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()


def _fits(page) -> None:
    page.wait_for_load_state()
    fits_the_phone(page)


def test_coordinator_runs_a_training_on_a_phone(browser_site, browser):
    base, app = browser_site
    with app.app_context():
        today = local_today()
        anggrek = db.session.scalar(sa.select(Posyandu.id).where(Posyandu.name == "Anggrek"))
        demo = db.session.scalar(sa.select(TrainingEvent.id).where(
            TrainingEvent.title.startswith("Penyegaran Paket D")))
    page = browser.new_page(viewport=PHONE)
    _login(page, base, "koordinator")
    for url in ("/trainings/", "/trainings/planning", "/trainings/district",
                f"/posyandu/{anggrek}/trainings", f"/trainings/{demo}"):
        page.goto(base + url)
        assert page.url.endswith(url)
        _fits(page)

    page.goto(f"{base}/trainings/new")
    _fits(page)
    page.check("input[name=type][value=refresher]")
    page.fill("#title", "Penyegaran di HP")
    page.fill("#venue", "Aula")
    start = today - timedelta(days=1)
    page.fill("#start_date", start.isoformat())
    page.fill("#end_date", (start - timedelta(days=3)).isoformat())  # before the start
    page.click("summary:has-text('Usia Sekolah')")
    page.check("input[name=skills][value=D1]")
    _submit(page, "#submit")
    assert page.locator("#end_date").input_value() == (start - timedelta(days=3)).isoformat()
    assert page.locator("#title").input_value() == "Penyegaran di HP"
    _fits(page)
    page.fill("#end_date", today.isoformat())
    _submit(page, "#submit")
    assert "/participants" in page.url
    _fits(page)
    event_url = page.url.removesuffix("/participants")

    page.goto(f"{base}/trainings/planning")
    group = page.locator("section.group", has=page.locator("span.mono", has_text="D"))
    group.locator("select[name=event]").select_option(index=0)
    with page.expect_navigation():
        group.locator("button[type=submit]").click()
    assert page.url == event_url
    _fits(page)

    page.goto(f"{event_url}/attendance?day={start.isoformat()}")
    _fits(page)
    boxes = page.locator("input[name=present]")
    assert boxes.count() >= 2
    boxes.nth(0).check()
    _submit(page, "#submit")
    assert page.locator("input[name=present]").nth(0).is_checked()
    page.goto(f"{event_url}/tests")
    _fits(page)
    page.locator("input[name^=post-]").nth(0).fill("101")
    _submit(page, "#submit")
    assert page.locator("input[name^=post-]").nth(0).input_value() == "101"
    _fits(page)
    for url in ("/finish", "/cancel", "/edit"):
        page.goto(event_url + url)
        _fits(page)
    page.goto(f"{event_url}/participants")
    before = page.locator("a.button.danger[href*='/remove']").count()
    with page.expect_navigation():
        page.locator("a.button.danger[href*='/remove']").first.click()
    _fits(page)  # the confirmation page
    _submit(page, "#submit")
    assert page.url.endswith("/participants")
    assert page.locator("a.button.danger[href*='/remove']").count() == before - 1
    page.close()
