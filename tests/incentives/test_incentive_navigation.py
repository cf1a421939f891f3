"""Every incentives page a role may open is reached by links from the area's pages; the
village head's "Incentives" and its breadcrumb no longer loop back to the summary
(issue 15, item 5)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import login

pytestmark = pytest.mark.dates

# What each role may open in the area (the views' decorators): pages, not downloads.
REACHABLE = {
    "kades.lalibo": {"incentives.summary", "incentives.index", "incentives.scheme_list",
                     "incentives.scheme_new", "incentives.activity_month",
                     "incentives.opening_day_new", "incentives.home_visits",
                     "incentives.import_upload"},
    "koordinator": {"incentives.index", "incentives.summary", "incentives.scheme_list",
                    "incentives.activity_month", "incentives.opening_day_new",
                    "incentives.home_visits", "incentives.import_upload"},
    "admin": {"incentives.index", "incentives.summary", "incentives.scheme_list",
              "incentives.scheme_new", "incentives.district"},
}


def _links(html: str) -> set[str]:
    return {href for href in re.findall(r'href="([^"#]+)"', html)
            if href.startswith("/incentives") and not re.search(r"\.(pdf|xlsx)$", href)}


def _walk(client, app, start: str) -> set[str]:
    """The endpoints of every incentives page reached by links from ``start`` (breadth
    first; two pages of each endpoint are enough to follow its links)."""
    seen, todo, visits = set(), [start], {}
    adapter = app.url_map.bind("localhost")
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        endpoint = adapter.match(urlsplit(url).path, method="GET")[0]
        if visits.get(endpoint, 0) >= 2:
            continue
        response = client.get(url)
        if response.status_code == 302:
            todo.append(urljoin(url, response.location))
            continue
        assert response.status_code == 200, url
        visits[endpoint] = visits.get(endpoint, 0) + 1
        todo.extend(h.replace("&amp;", "&") for h in _links(response.text) - seen)
    return set(visits)


@pytest.mark.parametrize("username", sorted(REACHABLE))
def test_each_role_reaches_every_incentives_page_it_may_see(client, app, username):
    login(client, username)
    assert REACHABLE[username] <= _walk(client, app, "/incentives/")


def test_village_head_breadcrumb_leads_off_the_summary(client):
    login(client, "kades.lalibo")
    summary = client.get("/incentives/", follow_redirects=True)
    crumb = re.search(r'<p class="crumbs"><a href="([^"]+)"', summary.text).group(1)
    page = client.get(crumb.replace("&amp;", "&"))
    assert page.status_code == 200  # the period's page, not a redirect back
    assert 'href="/incentives/schemes"' in page.text
    assert 'href="/incentives/activity"' in page.text
    nav = re.search(r'<nav class="tabs section-nav".*?</nav>', summary.text, re.S).group(0)
    assert "/incentives/schemes" in nav and "/incentives/activity" in nav
