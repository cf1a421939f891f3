"""What the browser tests share: one live site for all of them, one headless Chromium
(Playwright, Debian's chromium), the phone's size and the checks every page must pass.

The site is served once per test session on a free localhost port, with CSRF on and its
own migrated demo database, loaded as ``make run`` loads it (as of the clock's day); its
commits are real, so a browser test leaves its changes for the ones after it and must
not depend on what another one did. The fixtures are registered in ``conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.demo.seed import load_demo
from tests.live import loopback_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE = {"width": 360, "height": 780}

MARKS = [pytest.mark.dates, pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("REQUIRE_BROWSER"),
    reason="chromium is not installed (apt-get install chromium); CI sets REQUIRE_BROWSER",
)]
"""A browser module's ``pytestmark``: skipped without chromium unless REQUIRE_BROWSER is
set; dates: depends on the clock (CI runs it again at a month's last evening, a year
ahead)."""

# What Chromium reported as blocked by the Content-Security-Policy, on any page of any
# browser test; fits_the_phone (called on nearly every page) and the end of the session
# assert that nothing was.
CSP_VIOLATIONS: list[str] = []


@pytest.fixture(scope="session")
def browser_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    """(base URL, app) of the site all browser tests share."""
    from conftest import FAST_HASH, other_app

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'browser.db'}"
    with other_app(url, WTF_CSRF_ENABLED=True, TESTING=False) as app:
        with app.app_context():
            upgrade()
            load_demo(local_today(), FAST_HASH)  # as `make run` loads it: the clock's day
            db.session.commit()
        server = loopback_server(app)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", app
        finally:
            server.shutdown()
            thread.join(timeout=5)


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


class Site:
    """The app served on one loopback port that can be stopped (no connection at all)
    and started again on the same port: the offline journeys' site."""

    def __init__(self, app: Flask) -> None:
        self.app, self.port, self._server, self._thread = app, 0, None, None

    def start(self) -> None:
        self._server = loopback_server(self.app, self.port)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(name="site")
def restartable_site(tmp_path) -> Iterator[Site]:
    """A demo site of its own (SQLite under ``tmp_path``, CSRF on), served by :class:`Site`."""
    from conftest import FAST_HASH, other_app

    url = f"sqlite:///{tmp_path / 'live.db'}"
    with other_app(url, WTF_CSRF_ENABLED=True, TESTING=False) as app:
        with app.app_context():
            upgrade()
            load_demo(local_today(), FAST_HASH)
            db.session.commit()
        served = Site(app)
        served.start()
        try:
            yield served
        finally:
            served.stop()


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[object]:
    """Playwright, started once: its sync API cannot be started again while it runs, so
    a test that needs its own browser (the offline journey's persistent profile) launches
    it from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_session) -> Iterator[object]:
    """Headless Chromium for the whole session."""
    chromium = playwright_session.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"])
    CSP_VIOLATIONS.clear()
    yield _PolicyWatchingBrowser(chromium)
    chromium.close()
    assert CSP_VIOLATIONS == []


def fits_the_phone(page) -> None:
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


def sign_in(browser, base: str, username: str, password: str | None = None):
    """A new phone-sized page signed in as a demo user (password ``<name>-demo`` style)."""
    from ilp_training.demo.seed import DEMO_USERS

    if password is None:
        password = next(u.password for u in DEMO_USERS if u.username == username)
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#submit")
    page.wait_for_url(lambda url: "/login" not in url)
    return page
