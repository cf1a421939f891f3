"""Guard: hostile values into every field of every form the site renders, for each role.

Each role's pages are discovered by following the links from the home page (at most a
few pages per endpoint); every ``<form>`` on them is read with the standard library's
HTML parser. Each form is then sent once per (field, hostile value), the other fields
keeping the values the page offered (in a long grid, the fields after the first few of a
kind are sampled: about sixteen of them get one value each, in turn), plus once with the
digits of its field names replaced by ``²``. Every submission runs inside a SAVEPOINT
that is rolled back afterwards, so each starts from the demo data and none changes what
the next one sees.

Asserted: no response is a 5xx, and a refused submission (a POST answered with anything
but a redirect) stored nothing (row counts of every table but the rate and sign-in
tables are unchanged). The number of submissions is printed and recorded as the test's
``submissions`` property.

Values above 2^63 (ids beyond the database's integer range) are left out for now: ids in
URLs and checkbox lists are checked by the id-range work.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import sqlalchemy as sa
from conftest import login
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import MethodNotAllowed, NotFound

from ilp_training.core.extensions import db

ROLES = (None, "admin", "koordinator", "pelatih", "kades.lalibo")
PAGES_PER_ENDPOINT = 2
SKIPPED_ACTIONS = {"/logout"}  # would sign the client out (nothing to refuse there)
DOWNLOADS = (".pdf", ".xlsx", ".csv", ".json", ".jwt")  # no forms in them
FULL_FIELDS_PER_KIND = 4  # fields of a kind in a form that get every value
GRID_SAMPLE = 16  # of the others, about this many get one value each
# Submitted once (values as offered) to reach the forms behind them: a session's scoring
# grids, a training's attendance and test scores.
OPENING = ("scoring.new_session", "training.participants")
NOT_COUNTED = {"rate_events", "user_sessions"}  # written by any request, refused or not

LONG = "x" * 100_000
TEXT = ["", LONG, "Wa\x00Nul", "a\x07\x1bb", "ab\u202ecd", "Ani 😀", "²", "-1", "1e309",
        "0001-01-01", "9999-12-31"]
NUMBER = ["", "²", "٣", "-1", "1e309", LONG, "a\x07"]
DATE = ["", "0001-01-01", "9999-12-31", "²", "2026-02-30", "a\x07"]
MONTH = ["", "0001-01", "9999-12", "²", "a\x07"]
CHOICE = ["", "²", "-1", "1e309", "999999999", "Wa\x00Nul", "a\x07"]
MANY_IDS = [str(i) for i in range(1, 40_001)]


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    values: dict[str, list[str]] = field(default_factory=dict)  # the page's values
    options: dict[str, list[str]] = field(default_factory=dict)  # choices offered

    endpoint: str = ""

    def key(self) -> tuple[object, ...]:
        """The same form of another record (``/cadres/47/edit``, ``/cadres/48/edit``) is
        sent once: same endpoint, same field names but for the ids in them."""
        names = {"".join("#" if c.isdigit() else c for c in n) for n, _k in self.fields}
        return (self.method, self.endpoint, tuple(sorted(names)))


class _Page(HTMLParser):
    """The links and forms of a page."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.links, self.forms = url, [], []
        self._form: Form | None = None
        self._select: tuple[str, bool] | None = None
        self._selected: list[str] = []
        self._first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            self._form = Form(urljoin(self.url, a.get("action") or self.url),
                              (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input":
            self._input(self._form, a)
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._form.fields.append((a["name"], "submit"))
        elif tag == "select":
            self._select, self._selected, self._first = (a["name"], "multiple" in a), [], None
        elif tag == "option" and self._select:
            name, value = self._select[0], a.get("value", "")
            self._form.options.setdefault(name, []).append(value)
            if self._first is None and value:
                self._first = value
            if "selected" in a:
                self._selected.append(value)
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields.append((a["name"], "textarea"))
            self._form.values[a["name"]] = [""]

    def _input(self, form: Form, a: dict[str, str]) -> None:
        name, kind = a["name"], a.get("type", "text")
        if kind in {"checkbox", "radio"}:
            form.options.setdefault(name, []).append(a.get("value", "on"))
            if (name, kind) not in form.fields:
                form.fields.append((name, kind))
            if "checked" in a or (kind == "radio" and name not in form.values):
                form.values.setdefault(name, [])
                if kind == "radio":
                    form.values[name] = [a.get("value", "on")]
                else:
                    form.values[name].append(a.get("value", "on"))
            return
        if kind == "file":
            return
        if (kind == "text" and a.get("inputmode") in {"numeric", "decimal"}) or kind == "number":
            kind = "number"
        form.fields.append((name, kind))
        if kind != "submit":
            form.values[name] = [a.get("value", "")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            name, multiple = self._select
            self._form.fields.append((name, "multiple" if multiple else "select"))
            self._form.values[name] = self._selected or ([self._first] if self._first else [])
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form.values[self._textarea][0] += data


def _endpoint(app: Flask, url: str, method: str = "GET") -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in {"", "localhost"} or parts.path.endswith(DOWNLOADS):
        return None
    try:
        endpoint, _args = app.url_map.bind("localhost").match(parts.path, method)
    except (NotFound, MethodNotAllowed):
        return None
    except Exception:  # a redirect rule
        return None
    return endpoint


def _records_behind_forms(app: Flask) -> list[str]:
    """Make what the demo lacks for some forms, and name the pages that show them: an
    issued certificate (revoke), an inactive cadre (reactivate), the demo's approved month
    (re-open). Made inside the test's transaction, before the baseline is taken."""
    from ilp_training.cadres import services as cadres
    from ilp_training.certificates.services import issuing as certificates
    from ilp_training.core.curricula import framework_on
    from ilp_training.core.i18n import local_today
    from ilp_training.models import Cadre, IncentiveSummary, Posyandu, SummaryStatus, User

    with app.app_context():
        today = local_today()
        admin = db.session.scalars(sa.select(User).where(User.username == "admin")).one()
        anggrek = sa.select(Cadre).join(Posyandu).where(Posyandu.name == "Anggrek")
        madya = db.session.scalars(anggrek.where(Cadre.level_code == "madya")
                                   .order_by(Cadre.id)).first()
        cert = certificates.issue_certificate(admin, madya, framework_on(today), "id",
                                              today).certificate
        leaving = db.session.scalars(anggrek.where(Cadre.id != madya.id)
                                     .order_by(Cadre.id.desc())).first()
        cadres.deactivate_cadre(admin, leaving, "pindah", today, today)
        approved = db.session.scalars(sa.select(IncentiveSummary).where(
            IncentiveSummary.status == SummaryStatus.APPROVED)).first()
        summary = f"/incentives/villages/{approved.village_id}/{approved.period_start:%Y-%m}"
        db.session.commit()
        return [f"http://localhost{path}" for path in (
            f"/certificates/{cert.id}", f"/cadres/{leaving.id}/reactivate", summary,
            f"{summary}/reopen")]


def _crawl(app: Flask, client: FlaskClient, seeds: list[str]) -> list[Form]:
    """The forms on the pages a role reaches from the home page, the sign-in page and
    ``seeds``; then, once each, the pages that a form in :data:`OPENING` leads to (its
    values as offered, kept for the whole test: e.g. an assessment session with its
    scoring grids)."""
    seen_urls: set[str] = set()
    per_endpoint: dict[str, int] = {}
    forms: dict[tuple[object, ...], Form] = {}
    _visit(app, client, ["http://localhost/", "http://localhost/login",
                         "http://localhost/v/check", *seeds], seen_urls, per_endpoint, forms)
    opened: set[str] = set()
    while True:
        form = next((f for f in forms.values() if f.endpoint in OPENING
                     and f.endpoint not in opened and f.method == "post"), None)
        if form is None:
            return list(forms.values())
        opened.add(form.endpoint)
        data = {**form.values, **{n: form.options[n][:3] for n, kind in form.fields
                                   if kind == "checkbox" and not form.values.get(n)}}
        response = client.post(form.action, data=data)
        if response.status_code in {302, 303}:  # look again at what changed
            _visit(app, client, [urljoin(form.action, response.location)], set(), {}, forms)


def _visit(app: Flask, client: FlaskClient, queue: list[str], seen_urls: set[str],
           per_endpoint: dict[str, int], forms: dict[tuple[object, ...], Form]) -> None:
    while queue:
        url = queue.pop(0).split("#")[0]
        endpoint = _endpoint(app, url)
        if url in seen_urls or endpoint is None or endpoint == "static":
            continue
        if per_endpoint.get(endpoint, 0) >= PAGES_PER_ENDPOINT:
            continue
        seen_urls.add(url)
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code in {301, 302, 303}:
            queue.append(urljoin(url, response.location))
            continue
        if response.mimetype != "text/html":
            continue
        page = _Page(url)
        page.feed(response.get_data(as_text=True))
        queue.extend(page.links)
        for form in page.forms:
            form.endpoint = _endpoint(app, form.action, form.method.upper()) or form.action
            if urlsplit(form.action).path not in SKIPPED_ACTIONS:
                forms.setdefault(form.key(), form)


def _hostile(kind: str, form: Form, name: str, foreign: dict[str, set[str]],
             flooded: set[tuple[str, str]]) -> list[list[str]]:
    """The hostile value lists for one field (a list per submission); 40,000 ids go into
    each check box list once, for the first role that has it."""
    if kind == "submit":
        return [["Wa\x00Nul"], ["a\x07"]]
    if kind in {"select", "radio", "checkbox", "multiple"}:
        others = sorted(foreign.get(name, set()) - set(form.options.get(name, [])))
        values = [[v] for v in CHOICE] + [[v] for v in others[:1]]
        if kind in {"checkbox", "multiple"} and (form.endpoint, name) not in flooded:
            flooded.add((form.endpoint, name))
            values.append(MANY_IDS)
        return values
    pool = {"number": NUMBER, "date": DATE, "month": MONTH}.get(kind, TEXT)
    return [[v] for v in pool]


def _submissions(forms: list[Form], foreign: dict[str, set[str]],
                 flooded: set[tuple[str, str]]) -> Iterator[tuple[Form, dict[str, list[str]]]]:
    for form in forms:
        base = {n: list(v) for n, v in form.values.items()}
        counts = Counter(kind for _name, kind in form.fields)
        of_kind: Counter[str] = Counter()
        for name, kind in form.fields:
            pool = _hostile(kind, form, name, foreign, flooded)
            index = of_kind[kind]
            of_kind[kind] += 1
            if index >= FULL_FIELDS_PER_KIND:  # a long grid: some fields, one value each
                stride = max(1, (counts[kind] - FULL_FIELDS_PER_KIND) // GRID_SAMPLE)
                if (index - FULL_FIELDS_PER_KIND) % stride:
                    continue
                pool = [pool[index % len(pool)]]
            for values in pool:
                yield form, {**base, name: values}
        renamed = {"".join("²" if c.isdigit() else c for c in n): v for n, v in base.items()}
        if renamed != base:
            yield form, renamed


def _fingerprint(connection: sa.Connection) -> tuple[int, ...]:
    tables = [t for t in db.metadata.sorted_tables if t.name not in NOT_COUNTED]
    query = sa.select(*[sa.select(sa.func.count()).select_from(t).scalar_subquery()
                        for t in tables])
    return tuple(connection.execute(query).one())


def _send(client: FlaskClient, form: Form, data: dict[str, list[str]]):
    if form.method == "post":
        return client.post(form.action, data=data)
    return client.get(form.action.split("?")[0], query_string=data)  # as a browser does


def test_hostile_values_in_every_form_answer_4xx_and_store_nothing(app, record_property,
                                                                   monkeypatch):
    started = time.monotonic()
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://ilp.example.go.id")
    seeds = _records_behind_forms(app)
    with app.app_context():
        connection = db.session.get_bind()
    clients: dict[str | None, FlaskClient] = {}
    forms: dict[str | None, list[Form]] = {}
    foreign: dict[str, set[str]] = {}
    for role in ROLES:
        client = clients[role] = app.test_client()
        if role:
            login(client, role)
        forms[role] = _crawl(app, client, seeds)
        for form in forms[role]:
            for name, values in form.options.items():
                foreign.setdefault(name, set()).update(v for v in values if v)
    reached = {form.endpoint for role_forms in forms.values() for form in role_forms}
    behind_records = {"certificates.revoke", "cadres.reactivate", "incentives.reopen"}
    assert behind_records <= reached, behind_records - reached
    baseline = _fingerprint(connection)
    crawled = time.monotonic() - started
    tried, failures, flooded = 0, [], set()
    for role in ROLES:
        for form, data in _submissions(forms[role], foreign, flooded):
            savepoint = connection.begin_nested()
            try:
                response = _send(clients[role], form, data)
                tried += 1
                what = (role, form.method, urlsplit(form.action).path,
                        {k: (v[:3] if len(v) > 3 else [x[:40] for x in v])
                         for k, v in data.items()}, response.status_code)
                if response.status_code >= 500:
                    failures.append(("5xx", *what))
                elif (form.method == "post" and response.status_code not in {301, 302, 303}
                      and _fingerprint(connection) != baseline):
                    failures.append(("stored while refused", *what))
            finally:
                savepoint.rollback()
    seconds = time.monotonic() - started
    record_property("submissions", tried)
    summary = (f"hostile submissions tried: {tried} in {seconds:.0f} s ({crawled:.0f} s "
               "to find the forms) "
               f"({sum(len(f) for f in forms.values())} forms, {len(ROLES)} roles incl. "
               f"anonymous); failures: {len(failures)}")
    print(summary)
    assert tried > 1000 and not failures, summary + "\n" + "\n".join(
        repr(f)[:600] for f in failures[:40])


def test_the_guard_reads_fields_selects_and_textareas():
    page = _Page("http://localhost/x")
    page.feed('<form method="post" action="/y"><input name="a" value="1">'
              '<input type="checkbox" name="c" value="3" checked><input type="checkbox" '
              'name="c" value="4"><select name="s"><option value="">-</option>'
              '<option value="7">seven</option></select><textarea name="t">hi</textarea>'
              '<input type="date" name="d" value="2026-01-02"><button name="go">Go</button>'
              '</form><a href="/z">z</a>')
    (form,) = page.forms
    assert form.action == "http://localhost/y" and form.method == "post"
    assert form.values == {"a": ["1"], "c": ["3"], "s": ["7"], "t": ["hi"],
                           "d": ["2026-01-02"]}
    assert dict(form.fields) == {"a": "text", "c": "checkbox", "s": "select",
                                 "t": "textarea", "d": "date", "go": "submit"}
    assert page.links == ["http://localhost/z"]
