"""Scoring a posyandu day with no signal, in Debian's Chromium on a 360 px phone with a
persistent profile (so that closing and reopening the browser is a restart): make
Anggrek available offline, lose the connection, reload, score 14 cadres on three skills
in both modes, restart the browser, come back online (the sign-in ended with the
browser: sign in again, the outbox is kept), sync with the answer of the second request
lost on the way, resume, and find exactly those assessments on the server; a second
sync stores nothing. The same journey under an emulated slow 3G connection. And the
phone's grading (static/js/offline-grade.js) against the engine on generated scores."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil

import pytest
import sqlalchemy as sa

from assessments import grade_skill
from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import Assessment, AssessmentSession, Cadre, Posyandu
from tests.browser import Site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.dates, pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("REQUIRE_BROWSER"),
    reason="chromium is not installed (apt-get install chromium); CI sets REQUIRE_BROWSER",
)]
PHONE = {"width": 360, "height": 780}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
GRID_SKILLS, FULL_SKILL = ("D1", "D2"), "D3"
# DevTools' "Slow 3G": 2 s latency, 400 kbit/s down and up (bytes per second here).
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000,
           "uploadThroughput": 50_000}


CSP_VIOLATIONS: list[str] = []


def _phone(context, slow: bool):
    page = context.pages[0] if context.pages else context.new_page()
    page.on("console", lambda message: CSP_VIOLATIONS.append(message.text)
            if "Content Security Policy" in message.text else None)
    if slow:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    page.set_default_timeout(60_000)
    return page


def _open(playwright, profile, slow: bool):
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, viewport=PHONE, args=ARGS)
    return context, _phone(context, slow)


def _sign_in(page, base: str, next_path: str = "") -> None:
    page.goto(f"{base}/login{next_path}")
    page.fill("#username", "pelatih")
    page.fill("#password", "pelatih-demo")
    page.click("#submit")


def _ready(page) -> None:
    page.wait_for_selector("body[data-offline-ready]", state="attached")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _waiting(page) -> int:
    return int(page.get_attribute("#outbox-count", "data-waiting"))


def _anggrek_line(page, base: str) -> str:
    page.goto(f"{base}/roster")
    card = page.locator(".place-levels li").filter(
        has=page.locator("h3 a", has_text="Anggrek"))
    return card.locator("p").first.inner_text()


def _score_offline(page, cadre_count: int) -> None:
    """One sitting: D1 and D2 for every cadre in the grid, D3 cadre by cadre."""
    page.click("a[href^='#start/']")
    page.click("#start-form button[type=submit]")
    page.wait_for_selector("a[data-skill='D1']")
    for code in GRID_SKILLS:
        page.click(f"a[data-skill='{code}']")
        page.wait_for_selector(".cadre-row")
        assert page.locator(".cadre-row").count() == cadre_count
        for select in page.query_selector_all("#screen select.score"):
            select.select_option("2")
        assert page.locator("[data-outcome='competent']").count() == cadre_count
        _fits(page)
        page.click("#screen .crumbs a")
        page.wait_for_selector("a[data-cadre]")
    for index in range(cadre_count):
        page.locator("a[data-cadre]").nth(index).click()
        page.click(f"details[data-skill='{FULL_SKILL}'] summary")
        for select in page.query_selector_all(
                f"details[data-skill='{FULL_SKILL}'] select.score"):
            select.select_option("2")
        block = page.locator(f"details[data-skill='{FULL_SKILL}'] [data-outcome]")
        assert block.get_attribute("data-outcome") == "competent"
        # the grid's entries show here too, read from the phone's storage
        assert page.locator("details[data-skill='D1'] [data-outcome='competent']").count() == 1
        _fits(page)
        page.click("#screen .crumbs a")
        page.wait_for_selector("a[data-cadre]")


def _tap_sync(page) -> object:
    page.evaluate("document.querySelector('#sync-status').removeAttribute('data-done')")
    page.click("#sync")
    page.wait_for_selector("#sync-status[data-done]", state="attached")
    done = page.get_attribute("#sync-status", "data-done")
    return done if done == "failed" else json.loads(done)


def _server_rows(app) -> list[tuple[int, str]]:
    with app.app_context():
        return db.session.execute(sa.select(Assessment.cadre_id, Assessment.skill_code)
                                  .join(AssessmentSession)
                                  .where(AssessmentSession.offline_id.is_not(None))).all()


def _journey(site: Site, tmp_path, slow: bool, p) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with site.app.app_context():
        anggrek = db.session.scalar(sa.select(Posyandu).where(Posyandu.name == "Anggrek"))
        cadres = db.session.scalar(sa.select(sa.func.count()).select_from(Cadre).where(
            Cadre.posyandu_id == anggrek.id, Cadre.status == "active"))
        anggrek_id = anggrek.id
    assert cadres == 14
    profile = tmp_path / "profile"
    with contextlib.nullcontext():  # Playwright runs for the session (tests/browser.py)
        context, page = _open(p, profile, slow)
        _sign_in(page, site.base)
        before = _anggrek_line(page, site.base)
        assert before.startswith("1 Utama, 4 Madya, 9 Purwa"), before
        page.goto(f"{site.base}/offline/")
        _ready(page)
        _fits(page)
        page.check(f"#prepare-form input[name=posyandu][value='{anggrek_id}']")
        page.click("#prepare-submit")
        page.wait_for_selector("#kept-list [data-bundle]")
        assert "Anggrek" in page.inner_text("#prepare-status")
        # no signal at all: the site is down and the phone is offline
        site.stop()
        context.set_offline(True)
        page.reload()
        _ready(page)
        assert "Anggrek" in page.inner_text("#kept-list")
        _score_offline(page, cadres)
        page.click("#screen .crumbs a")  # home
        page.wait_for_selector("#outbox-count[data-waiting]")
        assert _waiting(page) == cadres * 3
        context.close()

        # the browser restarted, still without signal: nothing is lost
        context, page = _open(p, profile, slow)
        context.set_offline(True)
        page.goto(f"{site.base}/offline/")
        _ready(page)
        assert _waiting(page) == cadres * 3
        # back online: the sign-in ended with the browser, the outbox stays
        site.start()
        context.set_offline(False)
        if slow:  # the emulation of the new page follows the context's offline switch
            _phone(context, slow)
        # the connection's return starts a sync by itself (where the browser reports it
        # back online), else a tap does: it finds that the sign-in ended
        try:
            page.wait_for_selector("#sync-status[data-done='failed']", state="attached",
                                   timeout=15_000)
        except PlaywrightTimeout:
            assert _tap_sync(page) == "failed"
        assert page.locator("#sync-status a").count() == 1  # "sign in again"
        assert _waiting(page) == cadres * 3
        _sign_in(page, site.base, "?next=/offline/")
        page.wait_for_url("**/offline/")
        _ready(page)
        assert _waiting(page) == cadres * 3
        # signing out now warns first; staying keeps everything
        warnings = []
        page.once("dialog", lambda dialog: (warnings.append(dialog.message), dialog.dismiss()))
        page.click(".menu-toggle summary")  # sign-out is in the phone's menu
        page.click("form[data-outbox-warning] button")
        page.wait_for_timeout(500)
        assert warnings and str(cadres * 3) in warnings[0]
        assert page.url.endswith("/offline/") and _waiting(page) == cadres * 3

        # the answer to the second request is lost on the way: the server stored it
        calls = []

        def cut_second(route):
            calls.append(route.request.url)
            if len(calls) == 2:
                route.fetch()
                route.abort()
            else:
                route.continue_()

        page.route("**/api/v1/offline-sittings", cut_second)
        assert _tap_sync(page) == "failed"
        assert len(_server_rows(site.app)) == cadres * 3  # both requests reached it
        assert _waiting(page) == cadres * 3 - 25
        resumed = _tap_sync(page)
        assert resumed == {"stored": 0, "already_stored": cadres * 3 - 25, "refused": 0}
        page.unroute("**/api/v1/offline-sittings")
        rows = _server_rows(site.app)
        assert len(rows) == len(set(rows)) == cadres * 3
        assert {code for _cadre, code in rows} == {*GRID_SKILLS, FULL_SKILL}
        assert _waiting(page) == 0
        again = _tap_sync(page)
        assert again == {"stored": 0, "already_stored": 0, "refused": 0}
        assert len(_server_rows(site.app)) == cadres * 3
        after = _anggrek_line(page, site.base)
        assert after != before and "Madya" in after, after
        context.close()
    assert CSP_VIOLATIONS == []


def test_a_posyandu_day_scored_offline_is_synced_once(site, tmp_path, playwright_session):
    _journey(site, tmp_path, False, playwright_session)


def test_the_same_journey_on_a_slow_3g_connection(site, tmp_path, playwright_session):
    _journey(site, tmp_path, True, playwright_session)


def _score_sets(framework, count: int, seed: int) -> list[tuple[str, dict[str, int]]]:
    """Random score sets for every skill, plus for each skill the sets around its pass
    mark: all at the top, one critical below it, one plain indicator below it."""
    rng = random.Random(seed)
    values = list(framework.scale.values)
    top = framework.scale.max
    sets = []
    for skill in framework.skills:
        codes = [i.code for i in skill.indicators]
        sets.append((skill.code, dict.fromkeys(codes, top)))
        for indicator in skill.indicators:
            for low in values[:-1]:
                sets.append((skill.code, {**dict.fromkeys(codes, top), indicator.code: low}))
        sets.extend((skill.code, {c: rng.choice(values) for c in codes})
                    for _ in range(count))
    return sets


def test_the_phone_grades_as_the_engine(site, playwright_session):

    with site.app.test_request_context():
        framework = framework_on(local_today())
    sets = _score_sets(framework, 40, seed=16)
    expected = []
    for code, scores in sets:
        result = grade_skill(framework, code, scores)
        expected.append([result.competent, result.percent_floor, list(result.unmet_critical)])
    with contextlib.nullcontext(playwright_session) as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{site.base}/login")
        page.fill("#username", "pelatih")
        page.fill("#password", "pelatih-demo")
        page.click("#submit")
        page.goto(f"{site.base}/offline/")
        _ready(page)
        bundle = page.evaluate("""async () => (await fetch(
            '/api/v1/posyandu/' + document.querySelector('input[name=posyandu]').value
            + '/offline-bundle')).json()""")
        got = page.evaluate("""([framework, sets]) => {
            const skills = {};
            framework.packages.forEach(p => p.skills.forEach(s => { skills[s.code] = s; }));
            const values = framework.scale.map(o => o.value);
            return sets.map(([code, scores]) => {
                const r = window.ILPGrade.grade(skills[code], values, scores);
                return [r.competent, r.percentFloor, r.unmetCritical];
            });
        }""", [bundle["framework"], sets])
        browser.close()
    assert len(sets) > 1000
    assert sum(e[0] for e in expected) > 25 and sum(not e[0] for e in expected) > 25
    assert got == expected
