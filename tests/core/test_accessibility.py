"""Every page each demo role reaches by links, on a 360 px phone in headless Chromium:
no serious or critical axe-core finding, no horizontal scrolling, every control at least
44 × 44 px, nothing blocked by the security policy.

axe-core is vendored under ``tests/vendor/axe-core/`` (pinned, with its licence; see the
README there) and given to each page by the browser context's init script, which the
page's Content-Security-Policy does not govern: the policy stays on while the pages are
swept, so a page that needs inline script or style fails here too. The site never serves
axe-core.

The crawl starts at the start page (the sign-in page for the anonymous visitor), follows
same-origin ``GET`` links breadth first, and opens at most ``PER_PATTERN`` pages per URL
pattern (ids and period keys folded, the query's keys kept) and ``MAX_PAGES`` per role; it
skips sign-out and the language switch (both are ``POST`` forms, never links) and the
downloads (``.pdf``, ``.xlsx``, ``.csv``, ``.json``, ``.jwt``).

Target size: every visible ``a``, ``button``, ``input``, ``select``, ``textarea`` and
``summary`` is at least 44 px wide and tall (a check box or radio button counts by its
label, which toggles it); an element moved out of sight to the left (``.sr`` text, the
heading row of a table shown as cards on a phone) is no pointer target. The one
exception is WCAG 2.5.8's inline one: a link laid out ``display: inline`` inside a block
whose text outside its links and buttons has a letter or digit, i.e. a link in a
sentence, whose height the line of text decides."""

from __future__ import annotations

import os
import re
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
import sqlalchemy as sa

from ilp_training.core.extensions import db
from tests.browser import CHROMIUM, CSP_VIOLATIONS

pytestmark = [pytest.mark.dates, pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("REQUIRE_BROWSER"),
    reason="chromium is not installed (apt-get install chromium); CI sets REQUIRE_BROWSER",
)]

AXE = Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
PER_PATTERN = 2
MAX_PAGES = 90
SKIP = re.compile(r"\.(pdf|xlsx|csv|json|jwt)$|^/static/|^/levels\.css$|/logout$")
ROLES = {"admin": "admin-demo", "koordinator": "koordinator-demo",
         "pelatih": "pelatih-demo", "kades.lalibo": "kades-demo"}

# The checks run in the page: axe-core's serious and critical findings, the document's
# horizontal overflow, and the controls under 44 px (the exception as stated above).
CHECK_PAGE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  const findings = result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 3).map(n => n.target.join(' '))
      .join(' | '));
  const root = document.documentElement;
  const overflow = root.scrollWidth > root.clientWidth ? [root.scrollWidth] : [];
  const ownText = (block) => {
    const copy = block.cloneNode(true);
    copy.querySelectorAll('a, button').forEach(e => e.remove());
    return /[\\p{L}\\p{N}]/u.test(copy.textContent);
  };
  const inSentence = (e) => {
    if (e.tagName !== 'A' || getComputedStyle(e).display !== 'inline') return false;
    let block = e.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    return block !== null && ownText(block);
  };
  const small = [];
  for (const e of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (!e.checkVisibility({visibilityProperty: true})) continue;
    const target = (e.type === 'checkbox' || e.type === 'radio') && e.labels.length
      ? e.labels[0] : e;
    const box = target.getBoundingClientRect();
    if (box.right <= 0) continue;  // moved out of sight (.sr, a phone table's heading row)
    if (box.width >= 43.5 && box.height >= 43.5) continue;
    if (inSentence(e)) continue;
    small.push(`${Math.round(box.width)}×${Math.round(box.height)} `
      + e.outerHTML.slice(0, 90));
  }
  return {findings, overflow, small};
}"""

LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => a.href)"""


def pattern(url: str) -> str:
    """The URL's shape: numbers and period keys folded, the query's keys sorted."""
    parts = urlsplit(url)
    path = re.sub(r"/\d{4}(-(\d{2}|Q\d|\d{4}))?(?=/|$)", "/<period>", parts.path)
    path = re.sub(r"/\d+(?=/|\.|$)", "/<id>", path)
    path = re.sub(r"/skills/[^/]+$", "/skills/<code>", path)
    path = re.sub(r"/v/[^/]+$", "/v/<code>", path)
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return path + ("?" + "&".join(keys) if keys else "")


def sweep(context, base: str, start: str) -> tuple[list[str], dict[str, list[str]]]:
    """Open the pages reached from ``start``; return the pages and the problems by page."""
    page = context.new_page()
    seen: set[str] = set()
    per_pattern: dict[str, int] = {}
    queue = deque([base + start])
    swept: list[str] = []
    problems: dict[str, list[str]] = {}
    while queue and len(swept) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        shape = pattern(url)
        if per_pattern.get(shape, 0) >= PER_PATTERN:
            continue
        per_pattern[shape] = per_pattern.get(shape, 0) + 1
        response = page.goto(url)
        path = url[len(base):]
        assert response is not None and response.status == 200, (path, response and
                                                                  response.status)
        swept.append(path)
        checked = page.evaluate(CHECK_PAGE)
        found = ([f"axe {f}" for f in checked["findings"]]
                 + [f"overflow: {w} px wide" for w in checked["overflow"]]
                 + [f"small: {s}" for s in checked["small"]])
        if found:
            problems[path] = found
        for link in page.evaluate(LINKS):
            link = urldefrag(link).url
            if link.startswith(base) and not SKIP.search(urlsplit(link).path) \
                    and link not in seen:
                queue.append(link)
    page.close()
    return swept, problems


def _issue_a_certificate(base: str, app) -> str:
    """One issued certificate (the demo has none): its pages and public page get swept."""
    from ilp_training.certificates.services import issuing
    from ilp_training.core.curricula import framework_on
    from ilp_training.core.i18n import local_today
    from ilp_training.models import Cadre, Certificate, Posyandu, User

    with app.test_request_context("/", base_url=base, method="POST"):  # QR address
        code = db.session.scalar(sa.select(Certificate.verify_code).limit(1))
        if code:
            return code
        today = local_today()
        admin = db.session.scalars(sa.select(User).where(User.username == "admin")).one()
        madya = db.session.scalars(sa.select(Cadre).join(Posyandu).where(
            Posyandu.name == "Anggrek", Cadre.level_code == "madya").order_by(Cadre.id)).first()
        cert = issuing.issue_certificate(admin, madya, framework_on(today), "id", today)
        db.session.commit()
        return cert.certificate.verify_code


def _context(browser, base: str):
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(path=str(AXE))
    context.on("console", lambda message: CSP_VIOLATIONS.append(message.text)
               if "Content Security Policy" in message.text else None)
    return context


def _sign_in(context, base: str, username: str) -> None:
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", ROLES[username])
    page.click("#submit")
    page.wait_for_url(f"{base}/")
    page.close()


def _switch_language(context, base: str, language: str) -> None:
    """Through the header's menu, as a person on a phone does; saved on the user."""
    page = context.new_page()
    page.goto(f"{base}/")
    page.click(".menu-toggle summary")
    page.click(f"#site-nav button[name=lang][value={language}]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language
    page.close()


def _report(role: str, swept: list[str], problems: dict[str, list[str]]) -> str:
    lines = [f"{role}: {len(problems)} of {len(swept)} pages with problems"]
    for path, found in problems.items():
        lines += [path] + [f"    {f}" for f in found]
    return "\n".join(lines)


@pytest.mark.parametrize("username", list(ROLES))
def test_every_page_a_role_reaches_passes_on_a_phone(browser_site, browser, username):
    base, app = browser_site
    _issue_a_certificate(base, app)
    context = _context(browser, base)
    _sign_in(context, base, username)
    swept, problems = sweep(context, base, "/")
    context.close()
    print(_report(username, swept, problems))
    assert len(swept) >= 5, swept
    assert problems == {}, _report(username, swept, problems)
    assert CSP_VIOLATIONS == []


def test_the_trainer_s_scoring_pages_pass_on_a_phone(browser_site, browser):
    """The sitting, its grids and the cadre-by-cadre form, which a form (not a link) opens:
    the trainer starts a sitting at Anggrek, then the sweep goes on from its page."""
    base, app = browser_site
    from ilp_training.models import Posyandu

    with app.app_context():
        anggrek = db.session.scalar(sa.select(Posyandu.id).where(Posyandu.name == "Anggrek"))
    context = _context(browser, base)
    _sign_in(context, base, "pelatih")
    page = context.new_page()
    page.goto(f"{base}/posyandu/{anggrek}/assessments/new")
    for box in page.locator("input[name=cadres]").all()[:3]:
        box.check()
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/assessment-sessions/\d+$"))
    start = page.url[len(base):]
    page.close()
    swept, problems = sweep(context, base, start)
    context.close()
    print(_report("pelatih (a sitting)", swept, problems))
    assert any("/skills/" in path for path in swept), swept
    assert problems == {}, _report("pelatih (a sitting)", swept, problems)
    assert CSP_VIOLATIONS == []


def test_the_coordinator_s_pages_pass_in_english(browser_site, browser):
    base, _app = browser_site
    context = _context(browser, base)
    _sign_in(context, base, "koordinator")
    _switch_language(context, base, "en")
    swept, problems = sweep(context, base, "/")
    # Back to Indonesian: the choice is saved on the user, whom other tests sign in as.
    _switch_language(context, base, "id")
    context.close()
    print(_report("koordinator (en)", swept, problems))
    assert problems == {}, _report("koordinator (en)", swept, problems)
    assert CSP_VIOLATIONS == []


def test_the_public_pages_pass_on_a_phone(browser_site, browser):
    """The anonymous visitor: sign-in, the verification of an issued certificate, the
    upload check, the offline verifier."""
    base, app = browser_site
    code = _issue_a_certificate(base, app)
    context = _context(browser, base)
    swept, problems = [], {}
    for start in ("/login", f"/v/{code}", "/v/check", "/verify/"):
        more, found = sweep(context, base, start)
        swept += more
        problems.update(found)
    context.close()
    print(_report("anonymous", swept, problems))
    assert problems == {}, _report("anonymous", swept, problems)
    assert CSP_VIOLATIONS == []


# --- The phone layouts: the compact header, the village summary -------------------------

WIDE = {"width": 1280, "height": 800}
SCREENS = 4.5  # the village summary of Lalibo, every cadre closed: 2,995 px with its section menu


def test_the_header_is_one_row_on_a_phone_and_its_menu_opens(browser_site, browser):
    base, _app = browser_site
    context = _context(browser, base)
    _sign_in(context, base, "pelatih")
    page = context.new_page()
    page.goto(f"{base}/posyandu/")
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] <= 60  # one row: the 44 px button and its margin
    assert page.locator(".site-header .place").inner_text() == "Posyandu"
    assert not page.locator("#site-nav").is_visible()
    page.click(".menu-toggle summary")
    assert page.locator("#site-nav").is_visible()
    assert page.evaluate(CHECK_PAGE) == {"findings": [], "overflow": [], "small": []}
    links = page.locator("#site-nav a, #site-nav button")
    assert links.count() >= 6
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, links.nth(i).inner_text()
    assert page.locator("#site-nav a[aria-current=page]").inner_text() == "Posyandu"
    page.click("#site-nav a[href='/roster']")
    page.wait_for_url(f"{base}/roster")
    assert page.locator(".site-header .place").inner_text() == "Daftar kader"
    assert not page.locator("#site-nav").is_visible()  # a new page starts closed
    page.set_viewport_size(WIDE)  # a wide screen shows the whole menu, no button
    assert page.locator("#site-nav").is_visible()
    assert not page.locator(".menu-toggle").is_visible()
    assert not page.locator(".site-header .place").is_visible()
    context.close()
    assert CSP_VIOLATIONS == []


BROKEN_WORDS = """(word) => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const at = node.data.indexOf(word);
    if (at < 0 || !node.parentElement.checkVisibility()) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + word.length);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (tops.size > 1) broken.push(node.parentElement.outerHTML.slice(0, 80));
  }
  return broken;
}"""


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_village_summary_fits_a_few_phone_screens(browser_site, browser, language):
    """Lalibo's summary (23 cadres at Anggrek and Melati): the totals and the budget line
    first, one section per posyandu, one line per cadre that opens to its figures; the
    whole page within four and a half screens of 740 px (it was 19,000 px); the desktop
    table and print unchanged."""
    base, _app = browser_site
    context = _context(browser, base)
    _sign_in(context, base, "kades.lalibo")
    _switch_language(context, base, language)
    page = context.new_page()
    page.goto(f"{base}/incentives/")
    assert "/incentives/villages/" in page.url
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"village summary at 360 px ({language}): {height} px")
    assert height <= SCREENS * PHONE["height"], height
    lines = page.locator(".cadre-lines details")
    assert lines.count() == 23
    assert all(not lines.nth(i).get_attribute("open") for i in range(lines.count()))
    sections = page.locator(".cadre-section h3")
    assert sections.all_inner_texts() == ["Posyandu Anggrek", "Posyandu Melati"]
    totals = page.locator(".cards.totals").bounding_box()
    assert totals["y"] + totals["height"] <= sections.first.bounding_box()["y"]
    assert totals["y"] < PHONE["height"]  # the totals and the budget line on the first screen
    assert re.search(r"Rp9[.,]000[.,]000", page.locator(".cards.totals").inner_text())
    assert not page.locator("table.incentives").is_visible()
    assert page.evaluate(BROKEN_WORDS, "Ketenagakerjaan") == []
    first = lines.first
    figures = first.locator(".cadre-figures")
    assert not figures.is_visible()
    first.locator("summary").click()
    assert figures.is_visible()
    assert "BPJS Ketenagakerjaan" in figures.inner_text()
    assert page.evaluate(BROKEN_WORDS, "Ketenagakerjaan") == []
    assert page.evaluate(CHECK_PAGE) == {"findings": [], "overflow": [], "small": []}
    page.emulate_media(media="print")  # print keeps the table
    assert page.locator("table.incentives").is_visible()
    assert not page.locator(".cadre-sections").is_visible()
    page.emulate_media(media="screen")
    page.set_viewport_size(WIDE)  # the desktop keeps the table
    assert page.locator("table.incentives").is_visible()
    assert not page.locator(".cadre-sections").is_visible()
    assert page.locator("table.incentives tbody tr").count() == 23
    _switch_language(context, base, "id")
    context.close()
    assert CSP_VIOLATIONS == []
