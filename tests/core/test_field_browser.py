"""What the field test of issue 15 saw, walked again in headless Chromium (Playwright,
Debian's chromium) against the real site with CSRF on: namesakes told apart from the
posyandu to the scoring grid, the trainer's way in from the posyandu, the pustu on the
puskesmas page, the village head's incentives navigation, and English curriculum names on
the certificate and public pages with translated history on the profile."""

from __future__ import annotations

import os
import re
import shutil

import pytest
import sqlalchemy as sa

from ilp_training.cadres import cadre_number
from ilp_training.core.extensions import db
from ilp_training.models import Cadre, Posyandu

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.dates, pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("REQUIRE_BROWSER"),
    reason="chromium is not installed (apt-get install chromium); CI sets REQUIRE_BROWSER",
)]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def _sign_in(browser, base: str, username: str, password: str, viewport=PHONE):
    page = browser.new_page(viewport=viewport)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_load_state()
    return page


def _no_overflow(page) -> None:
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def _small(page, selector: str) -> list[str]:
    """Visible elements matching ``selector`` under 44 px tall (touch targets)."""
    return page.evaluate("""s => [...document.querySelectorAll(s)]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map(e => e.outerHTML.slice(0, 100))""", selector)


def _namesakes(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Cadre.id).join(Posyandu).where(
            Posyandu.name == "Kenanga", Cadre.full_name == "Wa Lina Saleh").order_by(Cadre.id)))


def test_trainer_tells_namesakes_apart_from_posyandu_to_grid(browser_site, browser):
    base, app = browser_site
    ids = _namesakes(app)
    numbers = [cadre_number(i) for i in ids]
    assert len(ids) == 2
    page = _sign_in(browser, base, "pelatih", "pelatih-demo")
    page.click(".menu-toggle summary")  # the phone's menu, behind its button
    page.click("nav.site-nav >> text=Posyandu")
    page.click("main >> a:text-is('Kenanga')")
    _no_overflow(page)
    rows = page.locator("main tbody tr").filter(has_text="Wa Lina Saleh").all_inner_texts()
    assert len(rows) == 2 and all(any(n in r for r in rows) for n in numbers), rows
    # the levels of the posyandu's cadres are on the page
    assert page.locator("main tbody .badge.level, main tbody .badge.muted").count() >= 9
    assert _small(page, "main .actions .button, main tbody a") == []
    page.click("text=Nilai di posyandu ini")
    _no_overflow(page)
    labels = page.locator("label.check").filter(has_text="Wa Lina Saleh").all_inner_texts()
    assert sorted(re.sub(r"\s+", " ", t).strip() for t in labels) == sorted(
        f"Wa Lina Saleh · {n}" for n in numbers), labels
    for cadre_id in ids:
        page.check(f"input[name=cadres][value='{cadre_id}']")
    page.click("#submit")
    page.wait_for_load_state()
    session_url = page.url
    links = page.locator(".skill-links a").filter(has_text="Wa Lina Saleh").all_inner_texts()
    assert sorted(" ".join(t.split()) for t in links) == sorted(
        f"Wa Lina Saleh {n}" for n in numbers)
    page.goto(f"{session_url}/skills/A1")
    _no_overflow(page)
    heads = page.locator("table.grid th[scope=row]").all_inner_texts()
    assert sorted(" ".join(t.split()) for t in heads) == sorted(
        f"Wa Lina Saleh {n}" for n in numbers)
    page.close()


def test_coordinator_finds_the_pustu_from_the_start_page(browser_site, browser):
    base, _app = browser_site
    page = _sign_in(browser, base, "koordinator", "koordinator-demo", DESKTOP)
    cards = " ".join(page.locator(".cards").inner_text().split())
    assert "1 pustu" in cards and "8 posyandu ILP" in cards and "74 kader aktif" in cards
    page.click(".cards >> text=pustu")
    page.wait_for_load_state()
    assert "Puskesmas Mawasangka Tengah" in page.inner_text("h1")
    section = page.locator("section.pustu").filter(has_text="Pustu Lantongau")
    text = " ".join(section.inner_text().split())
    assert "Melayani: Lantongau" in text
    assert "Posyandu Cempaka" in text and "Posyandu Mawar" in text
    page.set_viewport_size(PHONE)
    _no_overflow(page)
    assert _small(page, "section.pustu a, main td a, .cards a") == []
    section.locator("a", has_text="Posyandu Mawar").click()
    page.wait_for_load_state()
    assert "Posyandu Mawar" in page.inner_text("h1")
    page.close()


def test_village_head_reaches_schemes_and_activity(browser_site, browser):
    base, _app = browser_site
    page = _sign_in(browser, base, "kades.lalibo", "kades-demo")
    page.click(".menu-toggle summary")  # the phone's menu, behind its button
    page.click("nav.site-nav >> text=Insentif")
    page.wait_for_load_state()
    assert "Lalibo" in page.inner_text("h1")
    assert _small(page, "nav.section-nav a") == []
    summary_url = page.url
    page.click("nav.section-nav >> text=Skema insentif")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Skema insentif"
    page.click("nav.section-nav >> text=Catatan kegiatan")
    page.wait_for_load_state()
    assert "Catatan kegiatan" in page.inner_text("h1")
    _no_overflow(page)
    page.goto(summary_url)
    page.click("p.crumbs a")
    page.wait_for_load_state()
    assert page.url != summary_url and "Insentif kader" in page.inner_text("h1")
    page.close()


def test_english_reader_sees_english_names_and_translated_history(browser_site, browser):
    base, app = browser_site
    from ilp_training.certificates.services.issuing import is_due

    with app.app_context():  # a Madya cadre whose certificate is due (the site is shared)
        cadre_id = next(c.id for c in db.session.scalars(sa.select(Cadre).join(Posyandu).where(
            Posyandu.name == "Anggrek", Cadre.level_code == "madya").order_by(Cadre.id))
            if is_due(c))
    page = _sign_in(browser, base, "koordinator", "koordinator-demo", DESKTOP)
    try:
        _read_in_english(page, base, cadre_id)
    finally:  # the language chosen is saved: back to Indonesian for the other tests
        page.goto(f"{base}/")
        page.click("header >> button:text-is('ID')")
        page.wait_for_load_state()
        page.close()


def _read_in_english(page, base: str, cadre_id: int) -> None:
    page.goto(f"{base}/cadres/{cadre_id}")
    history = page.locator("ul.timeline").last.inner_text()
    assert "dinilai pada" in history and "(skill" not in history and "competent" not in history
    page.click("header >> button:text-is('EN')")
    page.wait_for_load_state()
    history = page.locator("ul.timeline").last.inner_text()
    assert "assessed" in history and "(skill" not in history
    page.locator("form[action$='/certificate'] >> #submit").first.click()
    page.wait_for_load_state()
    facts = " ".join(page.inner_text("dl.facts").split())
    assert "Posyandu management" in facts and "Pengelolaan Posyandu" not in facts, facts
    page.click("text=Public authenticity check")
    page.wait_for_load_state()
    facts = " ".join(page.inner_text("dl.facts").split())
    assert "Posyandu management" in facts and "Pengelolaan Posyandu" not in facts, facts
    assert "Puskesmas Mawasangka Tengah" in facts
