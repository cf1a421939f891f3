"""A live site for race and fault tests: a real HTTP server on a database of its own.

The ordinary tests run inside one rolled-back transaction, so they cannot show what
two requests released together do to each other. These tests need real commits on
separate connections: :func:`live_site` copies a migrated demo database (a PostgreSQL
``TEMPLATE`` copy, or a copy of the SQLite file), serves it with Werkzeug's threaded
server on a free loopback port, and :func:`race` releases requests together from
threads behind a barrier.

Use the ``live`` fixture (``conftest.py``)::

    def test_x(live):
        trainer = live.client("pelatih")
        responses = race(6, lambda i: trainer.post("/path", data={...}))
"""

from __future__ import annotations

import itertools
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

T = TypeVar("T")
_counter = itertools.count(1)


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def _admin_engine(url: str) -> sa.Engine:
    """A connection to the server's maintenance database, outside any transaction."""
    return sa.create_engine(make_url(url).set(database="postgres"),
                            isolation_level="AUTOCOMMIT")


def clone_database(template_url: str, tag: str) -> str:
    """A new database with the template's content; returns its URL."""
    if is_postgres(template_url):
        source = make_url(template_url)
        name = f"{source.database}_{tag}"
        engine = _admin_engine(template_url)
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
        engine.dispose()
        return source.set(database=name).render_as_string(hide_password=False)
    path = make_url(template_url).database
    assert path
    target = path.replace(".db", f"_{tag}.db")
    shutil.copyfile(path, target)
    return f"sqlite:///{target}"


def drop_database(url: str) -> None:
    if is_postgres(url):
        engine = _admin_engine(url)
        with engine.connect() as conn:
            conn.exec_driver_sql(
                f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        engine.dispose()


def sibling_url(test_url: str, suffix: str, directory: str) -> str:
    """A second database beside the test database: ``<name>_<suffix>`` on PostgreSQL,
    ``<directory>/<suffix>.db`` on SQLite."""
    if is_postgres(test_url):
        source = make_url(test_url)
        return source.set(database=f"{source.database}_{suffix}").render_as_string(
            hide_password=False)
    return f"sqlite:///{directory}/{suffix}.db"


def template_url_for(test_url: str, directory: str) -> str:
    """Where the session's live template lives, beside the test database."""
    return sibling_url(test_url, "live", directory)


def create_template(url: str, build: Callable[[str], None]) -> None:
    """(Re)create the template database empty, then let ``build`` migrate and fill it."""
    if is_postgres(url):
        engine = _admin_engine(url)
        name = make_url(url).database
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
    build(url)


class Client:
    """One person's browser: a cookie jar against the live site, redirects not followed."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.session.get(self.base_url + path, timeout=60, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.session.post(self.base_url + path, timeout=60, **kwargs)


@dataclass
class LiveSite:
    """A served app and its own database (committed for real)."""

    app: Flask
    url: str
    base_url: str
    passwords: dict[str, str] = field(default_factory=dict)

    def client(self, username: str | None = None) -> Client:
        """A new browser, signed in as ``username`` through the real form if given."""
        browser = Client(self.base_url)
        if username is not None:
            from ilp_training.demo.seed import DEMO_USERS

            password = self.passwords.get(username) or next(
                u.password for u in DEMO_USERS if u.username == username)
            response = browser.post("/login", data={"username": username,
                                                     "password": password})
            assert response.status_code == 302, response.text[:500]
        return browser

    @contextmanager
    def context(self) -> Iterator[Flask]:
        """An app context on the live database, for setting up and checking records."""
        with self.app.app_context():
            yield self.app


def _closed_at_once(app: Flask) -> Callable[..., list[bytes]]:
    """``app`` whose every response is read whole and closed before the server writes it.

    Werkzeug's threaded server closes a response only after it has read what is left of
    the request; when the client has reset the connection (a browser leaving a page
    drops its pending requests) that read raises first and the response is never closed:
    a static file stays open until the garbage collector warns (``ResourceWarning``,
    an error in this suite) in whichever test is running then. The site's responses are
    small and none streams, so reading them whole costs nothing here."""
    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


def loopback_server(app: Flask, port: int = 0) -> Any:
    """A threaded Werkzeug server for ``app`` on loopback ``port`` (0: a free one), whose
    responses are always closed (:func:`_closed_at_once`)."""
    return make_server("127.0.0.1", port, _closed_at_once(app), threaded=True)


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields the base URL."""
    server = loopback_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def live_site(template_url: str, make_app: Callable[..., Flask],
              **config: object) -> Iterator[LiveSite]:
    """A site on its own copy of the template database (``config`` overrides the app's
    settings), served in a thread; the copy is dropped afterwards."""
    from ilp_training.core.extensions import db

    url = clone_database(template_url, next_tag())
    site_app = make_app(url, **config)
    try:
        with serve(site_app) as base_url:
            yield LiveSite(site_app, url, base_url)
    finally:
        with site_app.app_context():
            db.engine.dispose()
        drop_database(url)


def race(count: int, call: Callable[[int], T]) -> list[T]:
    """Run ``call(0)`` … ``call(count - 1)`` in threads released together by a barrier;
    the results in order (an exception in a thread is raised here)."""
    barrier = threading.Barrier(count)

    def released(index: int) -> T:
        barrier.wait(timeout=30)
        return call(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(released, range(count)))


def next_tag() -> str:
    return f"t{next(_counter)}"
