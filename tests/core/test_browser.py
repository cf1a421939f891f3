"""A trainer scores a cadre on a phone-sized screen in headless Chromium (Playwright,
Debian's chromium), against the real site served on localhost with CSRF on."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.serving import make_server

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.demo.seed import load_demo
from ilp_training.models import Cadre, CadreSkill, Posyandu

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.dates, pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("REQUIRE_BROWSER"),
    reason="chromium is not installed (apt-get install chromium); CI sets REQUIRE_BROWSER",
)]  # dates: depends on the clock (CI runs it again at a month's last evening, a year ahead)
PHONE = {"width": 360, "height": 780}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    """The site on a free localhost port, with its own migrated demo database."""
    from conftest import FAST_HASH, other_app

    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    with other_app(url, WTF_CSRF_ENABLED=True, TESTING=False) as app:
        with app.app_context():
            upgrade()
            load_demo(local_today(), FAST_HASH)  # as `make run` loads it: the clock's day
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", app
        finally:
            server.shutdown()
            thread.join(timeout=5)


# What Chromium reported as blocked by the Content-Security-Policy, on any page of any
# browser test; _fits_the_phone (called on nearly every page) and the end of the module
# assert that nothing was.
CSP_VIOLATIONS: list[str] = []


class _PolicyWatchingBrowser:
    """The browser, whose pages report every CSP violation into CSP_VIOLATIONS (from the
    console, where Chromium logs each refusal)."""

    def __init__(self, chromium: object) -> None:
        self._chromium = chromium

    def new_page(self, **kwargs: object) -> object:
        page = self._chromium.new_page(**kwargs)
        page.on("console", lambda message: CSP_VIOLATIONS.append(
            f"{page.url}: {message.text}") if "Content Security Policy" in message.text
            else None)
        return page

    def __getattr__(self, name: str) -> object:
        return getattr(self._chromium, name)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        CSP_VIOLATIONS.clear()
        yield _PolicyWatchingBrowser(chromium)
        chromium.close()
    assert CSP_VIOLATIONS == []


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


def _fits_the_phone(page) -> None:
    """No horizontal scrolling, every control at least 44 px tall, and nothing the
    security policy had to block."""
    page.wait_for_load_state()  # after a click, the next page may still be loading
    assert CSP_VIOLATIONS == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small = page.evaluate("""() => [...document.querySelectorAll('main button, main select,'
        + ' main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main .button')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map(e => e.outerHTML.slice(0, 80))""")
    assert small == []


def _anggrek_line(page, base: str) -> str:
    """The level line of Posyandu Anggrek's card on the roster."""
    page.goto(f"{base}/roster")
    _fits_the_phone(page)
    card = page.locator(".place-levels li").filter(
        has=page.locator("h3 a", has_text="Anggrek"))
    return card.locator("p").first.inner_text()


def test_trainer_assesses_on_a_phone_and_the_level_follows(live, browser):
    base, app = live
    cadre_id, _name = _purwa_without_d(app)
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/login")
    _fits_the_phone(page)
    page.fill("#username", "pelatih")
    page.fill("#password", "pelatih-demo")
    page.click("#submit")
    before = _anggrek_line(page, base)
    assert before.startswith("1 Utama, 4 Madya, 9 Purwa"), before
    page.goto(f"{base}/cadres/{cadre_id}")
    assert "Purwa" in page.inner_text(".level-line")
    _fits_the_phone(page)
    page.click("text=Nilai di posyandu ini")
    _fits_the_phone(page)
    page.check(f"input[name=cadres][value='{cadre_id}']")
    page.click("#submit")
    session_url = page.url
    for skill in ("D1", "D2", "D3"):
        page.goto(f"{session_url}/skills/{skill}")
        _fits_the_phone(page)
        for select in page.query_selector_all(f"select[name^='score-{cadre_id}-']"):
            select.select_option("2")
        page.click("#submit")
        assert "penilaian tersimpan" in page.inner_text("main")
    page.goto(f"{base}/cadres/{cadre_id}")
    assert "Madya" in page.inner_text(".level-line")
    _fits_the_phone(page)
    after = _anggrek_line(page, base)
    assert after.startswith("1 Utama, 5 Madya, 8 Purwa"), after
    page.close()


def test_a_failed_submit_keeps_what_was_entered(live, browser):
    base, app = live
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
def test_roster_pages_fit_a_phone(live, browser, username, paths):
    base, _app = live
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", f"{username}-demo")
    page.click("#submit")
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        _fits_the_phone(page)
        assert _small_links(page) == [], path
        if "/gaps" in path or "/district" in path:  # the wide matrix scrolls in its own box
            assert page.evaluate("""() => { const box = document.querySelector('.gap-wrap');
                return box.scrollWidth > box.clientWidth; }""")
    page.close()


def test_the_pages_keep_working_under_the_security_policy(live, browser):
    """The policy is on (no inline script or style), the watcher sees a refusal, and the
    behaviours moved out of the templates still work: the settings target opens on
    change, the level badges take their colours from /levels.css."""
    base, _app = live
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
    _fits_the_phone(page)
    second = page.eval_on_selector("#target", "s => s.options[1].value")
    with page.expect_navigation():
        page.select_option("#target", second)
    assert f"target={second.replace(':', '%3A')}" in page.url
    page.goto(f"{base}/roster")
    _fits_the_phone(page)
    colours = page.eval_on_selector_all(
        ".badge.level", "bs => bs.map(b => getComputedStyle(b).getPropertyValue('--pin'))")
    assert colours and all(c.strip().startswith("#") for c in colours), colours
    page.close()
