"""A trainer scores a cadre on a phone-sized screen in headless Chromium (Playwright,
Debian's chromium), against the real site served on localhost with CSRF on."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ilp_training.core.extensions import db
from ilp_training.models import Cadre, CadreSkill, Posyandu
from tests.browser import CSP_VIOLATIONS, MARKS, PHONE, fits_the_phone

pytestmark = MARKS


def _purwa_without_d(app) -> tuple[int, str]:
    with app.app_context():
        anggrek = db.session.scalar(sa.select(Posyandu.id).where(Posyandu.name == "Anggrek"))
        for cadre in db.session.scalars(sa.select(Cadre).where(
                Cadre.posyandu_id == anggrek, Cadre.level_code == "purwa").order_by(Cadre.id)):
            codes = set(db.session.scalars(sa.select(CadreSkill.skill_code).where(
                CadreSkill.cadre_id == cadre.id)))
            if not any(code.startswith("D") for code in codes):
                return cadre.id, cadre.full_name
    raise AssertionError("no Purwa cadre without package D")


def _anggrek_line(page, base: str) -> str:
    """The level line of Posyandu Anggrek's card on the roster."""
    page.goto(f"{base}/roster")
    fits_the_phone(page)
    card = page.locator(".place-levels li").filter(
        has=page.locator("h3 a", has_text="Anggrek"))
    return card.locator("p").first.inner_text()


def test_trainer_assesses_on_a_phone_and_the_level_follows(browser_site, browser):
    base, app = browser_site
    cadre_id, _name = _purwa_without_d(app)
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/login")
    fits_the_phone(page)
    page.fill("#username", "pelatih")
    page.fill("#password", "pelatih-demo")
    page.click("#submit")
    before = _anggrek_line(page, base)
    assert before.startswith("1 Utama, 4 Madya, 9 Purwa"), before
    page.goto(f"{base}/cadres/{cadre_id}")
    assert "Purwa" in page.inner_text(".level-line")
    fits_the_phone(page)
    page.click("text=Nilai di posyandu ini")
    fits_the_phone(page)
    page.check(f"input[name=cadres][value='{cadre_id}']")
    page.click("#submit")
    session_url = page.url
    for skill in ("D1", "D2", "D3"):
        page.goto(f"{session_url}/skills/{skill}")
        fits_the_phone(page)
        for select in page.query_selector_all(f"select[name^='score-{cadre_id}-']"):
            select.select_option("2")
        page.click("#submit")
        assert "penilaian tersimpan" in page.inner_text("main")
    page.goto(f"{base}/cadres/{cadre_id}")
    assert "Madya" in page.inner_text(".level-line")
    fits_the_phone(page)
    after = _anggrek_line(page, base)
    assert after.startswith("1 Utama, 5 Madya, 8 Purwa"), after
    page.close()


def test_a_failed_submit_keeps_what_was_entered(browser_site, browser):
    base, app = browser_site
    cadre_id, _name = _purwa_without_d(app)
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/login")
    page.fill("#username", "koordinator")
    page.fill("#password", "koordinator-demo")
    page.click("#submit")
    with app.app_context():
        anggrek = db.session.scalar(sa.select(Posyandu.id).where(Posyandu.name == "Anggrek"))
    page.goto(f"{base}/posyandu/{anggrek}/assessments/new")
    page.check(f"input[name=cadres][value='{cadre_id}']")
    page.click("#submit")
    page.goto(f"{page.url}/skills/E1")
    first = page.query_selector(f"select[name^='score-{cadre_id}-']").get_attribute("name")
    page.select_option(f"select[name='{first}']", "2")  # one indicator only: refused
    page.fill(f"input[name=note-{cadre_id}]", "diamati di posyandu")
    page.click("#submit")
    assert "Belum ada yang disimpan" in page.inner_text("main")
    assert page.input_value(f"input[name=note-{cadre_id}]") == "diamati di posyandu"
    assert page.eval_on_selector(f"select[name='{first}']", "e => e.value") == "2"
    page.close()


def _small_links(page) -> list[str]:
    """Visible links and disclosure toggles in the page body under 44 px tall."""
    return page.evaluate("""() => [...document.querySelectorAll('main a, main summary')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map(e => e.outerHTML.slice(0, 100))""")


@pytest.mark.parametrize(("username", "paths"), [
    ("koordinator", ["/roster", "/roster?level=madya&assessed=trained",
                     "/roster?level=utama&assessed=never", "/roster/gaps"]),
    ("admin", ["/roster", "/roster/district", "/roster/gaps"]),
])
def test_roster_pages_fit_a_phone(browser_site, browser, username, paths):
    base, _app = browser_site
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", f"{username}-demo")
    page.click("#submit")
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        fits_the_phone(page)
        assert _small_links(page) == [], path
        if "/gaps" in path or "/district" in path:  # the wide matrix scrolls in its own box
            assert page.evaluate("""() => { const box = document.querySelector('.gap-wrap');
                return box.scrollWidth > box.clientWidth; }""")
    page.close()


def test_the_pages_keep_working_under_the_security_policy(browser_site, browser):
    """The policy is on (no inline script or style), the watcher sees a refusal, and the
    behaviours moved out of the templates still work: the settings target opens on
    change, the level badges take their colours from /levels.css."""
    base, _app = browser_site
    page = browser.new_page(viewport=PHONE)
    response = page.goto(f"{base}/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate("document.body.setAttribute('style', 'color: red')")  # refused
    page.wait_for_timeout(200)
    assert any("inline style" in v for v in CSP_VIOLATIONS), CSP_VIOLATIONS
    CSP_VIOLATIONS.clear()
    page.fill("#username", "admin")
    page.fill("#password", "admin-demo")
    page.click("#submit")
    page.goto(f"{base}/certificates/settings")
    fits_the_phone(page)
    second = page.eval_on_selector("#target", "s => s.options[1].value")
    with page.expect_navigation():
        page.select_option("#target", second)
    assert f"target={second.replace(':', '%3A')}" in page.url
    page.goto(f"{base}/roster")
    fits_the_phone(page)
    colours = page.eval_on_selector_all(
        ".badge.level", "bs => bs.map(b => getComputedStyle(b).getPropertyValue('--pin'))")
    assert colours and all(c.strip().startswith("#") for c in colours), colours
    page.close()
