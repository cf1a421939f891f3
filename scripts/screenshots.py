"""The README's phone screenshots, made again from the demo (``make screenshots``).

Starts the demo on a fresh SQLite database (in a temporary folder, on the fixed day
``TODAY``, by default 2026-12-01), serves it on a free localhost port, and photographs at
360 × 740 with Playwright and Debian's chromium (never a downloaded browser):

- ``docs/screenshots/scoring-grid.png``: the trainer (``pelatih``) scores skill B3 for
  five cadres of Posyandu Anggrek, the first one scored (one screen, the save button
  kept at its foot);
- ``docs/screenshots/village-summary.png``: the village head's (``kades.lalibo``)
  incentive summary of Desa Lalibo, every cadre's line closed;
- ``docs/screenshots/verification.png``: the public page of a certificate issued to a
  Madya cadre of Anggrek.

The other two are the whole page. Usage:
``python scripts/screenshots.py [--out DIR] [--only NAME]``; prints each file with its size
and the page's height in CSS pixels.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="ilp-screenshots-"))
os.environ.setdefault("HUEY_SQLITE_PATH", str(WORK / "huey.db"))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from ilp_training import create_app  # noqa: E402
from ilp_training.core.extensions import db  # noqa: E402
from ilp_training.core.i18n import local_today  # noqa: E402
from ilp_training.demo.seed import load_demo  # noqa: E402

PHONE = {"width": 360, "height": 740}
PASSWORDS = {"pelatih": "pelatih-demo", "kades.lalibo": "kades-demo"}
FAST_HASH = "pbkdf2:sha256:1000"


def demo_site(today: str) -> Flask:
    """The demo on a new SQLite file, migrated and loaded as ``make run`` loads it."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{WORK / 'demo.db'}", "SECRET_KEY": "screenshots",
        "PASSWORD_HASH_METHOD": FAST_HASH, "TODAY": today, "TESTING": False,
    })
    with app.app_context():
        upgrade()
        load_demo(local_today(), FAST_HASH)
        db.session.commit()
    return app


def issue_certificate(app: Flask, base: str) -> str:
    """A certificate for the first Madya cadre of Anggrek; its verification code."""
    from ilp_training.certificates.services import issuing
    from ilp_training.core.curricula import framework_on
    from ilp_training.models import Cadre, Posyandu, User

    with app.test_request_context("/", base_url=base, method="POST"):
        today = local_today()
        admin = db.session.scalars(sa.select(User).where(User.username == "admin")).one()
        madya = db.session.scalars(sa.select(Cadre).join(Posyandu).where(
            Posyandu.name == "Anggrek", Cadre.level_code == "madya").order_by(Cadre.id)).first()
        issued = issuing.issue_certificate(admin, madya, framework_on(today), "id", today)
        db.session.commit()
        return issued.certificate.verify_code


def anggrek(app: Flask) -> int:
    from ilp_training.models import Posyandu

    with app.app_context():
        return db.session.scalar(sa.select(Posyandu.id).where(Posyandu.name == "Anggrek"))


def signed_in(browser, base: str, username: str):
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("#submit")
    page.wait_for_url(f"{base}/")
    return page


def shoot(page, out: Path, name: str, full_page: bool = True) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
          f"{path.stat().st_size // 1024} KiB, {height} px tall", flush=True)


def scoring_grid(browser, base: str, app: Flask, out: Path) -> None:
    page = signed_in(browser, base, "pelatih")
    page.goto(f"{base}/posyandu/{anggrek(app)}/assessments/new")
    boxes = page.locator("input[name=cadres]")
    for i in range(min(5, boxes.count())):
        boxes.nth(i).check()
    page.click("#submit")
    page.goto(f"{page.url}/skills/B3")
    page.wait_for_load_state()
    first = page.locator("select[name^='score-']").first.get_attribute("name").split("-")[1]
    for select in page.locator(f"select[name^='score-{first}-']").all():
        select.select_option("2")
    # One screen with the grid's first cadre scored and the save button kept in view.
    page.locator("form.scoring").evaluate(
        "form => window.scrollTo(0, form.getBoundingClientRect().top + scrollY - 90)")
    shoot(page, out, "scoring-grid", full_page=False)
    page.close()


def village_summary(browser, base: str, _app: Flask, out: Path) -> None:
    page = signed_in(browser, base, "kades.lalibo")
    page.goto(f"{base}/incentives/")
    page.wait_for_load_state()
    shoot(page, out, "village-summary")
    page.close()


def verification(browser, base: str, app: Flask, out: Path) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/v/{issue_certificate(app, base)}")
    shoot(page, out, "verification")
    page.close()


SHOTS = {"scoring-grid": scoring_grid, "village-summary": village_summary,
         "verification": verification}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", choices=sorted(SHOTS), action="append")
    parser.add_argument("--today", default=os.environ.get("TODAY") or "2026-12-01T10:00")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    app = demo_site(args.today)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            for name in args.only or SHOTS:
                SHOTS[name](browser, base, app, args.out)
            browser.close()
    finally:
        server.shutdown()
        thread.join(timeout=5)
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
