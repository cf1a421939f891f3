"""Test fixtures: a real database (SQLite by default, ``TEST_DATABASE_URL`` for
PostgreSQL), migrated once per session; each test runs inside a transaction that is
rolled back, with SAVEPOINTs for the commits of the code under test.

Two databases: ``app`` is loaded with the demo district (for journeys through the demo,
the browser tests and the sweeps over every page); ``empty_app`` and ``db_session`` are
migrated and empty, for rule tests that build what they need with ``tests/factories.py``.
A module whose tests all build their own records may override ``app`` with ``empty_app``
(then ``client`` is the empty database's too).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

from ilp_training import create_app
from ilp_training.core.extensions import db
from ilp_training.demo.seed import load_demo
from ilp_training.models import Cadre, Posyandu, User
from tests.browser import (  # noqa: F401  (the browser tests' fixtures; site: one that restarts)
    browser,
    browser_site,
    playwright_session,
    restartable_site,
)

FAST_HASH = "pbkdf2:sha256:1000"

# The suite runs on a fixed clock, never the real date. CI runs the date-sensitive tests
# (marker ``dates``) again at a month's last evening and a year ahead by setting
# TEST_TODAY; the demo data is loaded as of DEMO_DAY, the first day of the month before
# that day, so data and clock move together.
TODAY = os.environ.get("TEST_TODAY") or "2026-12-01T10:00"


def _demo_day(today: str) -> date:
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(today)
    if moment.tzinfo is not None:  # the site's clock reads it in the site's zone
        moment = moment.astimezone(ZoneInfo("Asia/Makassar"))
    first = moment.date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


DEMO_DAY = _demo_day(TODAY)


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _reset(url: str) -> None:
    """Start from an empty database: PostgreSQL's schema is dropped and re-created."""
    if url.startswith("sqlite"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


# The demo district, whose key every test app has (signed credentials, issue 19).
DEMO_ISSUER = "74.14"


def key_dir(*codes: str) -> str:
    """A fresh CREDENTIAL_KEYS_DIR with a key for each regency code, signing since 2000
    (so a test that moves the clock back still signs)."""
    import tempfile
    from datetime import UTC

    from ilp_training.credentials.keys import KeyStore

    directory = tempfile.mkdtemp(prefix="ilp-keys-")
    for code in codes:
        KeyStore(directory).create(code, datetime(2000, 1, 1, tzinfo=UTC))
    return directory


def make_app(url: str, **overrides: object) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "SERVER_NAME": None,
        "TODAY": TODAY,
        "HUEY_IMMEDIATE": True,  # background tasks run at once, on the test's database
    }
    if "CREDENTIAL_KEYS_DIR" not in overrides:  # each app its own keys, the demo's one
        config["CREDENTIAL_KEYS_DIR"] = key_dir(DEMO_ISSUER)
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where the session's databases live (the demo one, and the others beside it)."""
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def database_url(test_database_url: str) -> str:
    """The migrated demo database."""
    _reset(test_database_url)
    _build_demo(test_database_url)
    return test_database_url


def _build_demo(url: str) -> None:
    """Migrate the database at ``url`` and load the demo data as of :data:`DEMO_DAY`."""
    app = make_app(url)
    with app.app_context():
        upgrade()
        load_demo(DEMO_DAY, FAST_HASH)
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session")
def empty_database_url(test_database_url: str,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database without the demo, beside the test database."""
    from tests import live

    url = live.sibling_url(test_database_url, "empty", str(tmp_path_factory.mktemp("empty")))
    live.create_template(url, _migrate)
    yield url
    live.drop_database(url)


def _migrate(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_template(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated demo database that each live test copies (see ``tests/live.py``)."""
    from tests import live

    url = live.template_url_for(database_url, str(tmp_path_factory.mktemp("live")))
    live.create_template(url, _build_demo)
    yield url
    live.drop_database(url)


@pytest.fixture
def live(live_template: str) -> Iterator[object]:
    """A live site on its own copy of the demo database, served over real HTTP in a
    thread; its commits are real (``tests/live.py``). Not to be combined with the ``app``
    fixture, whose rolled-back transaction would take over the session."""
    from tests import live as live_module

    with live_module.live_site(live_template, make_app) as site:
        yield site


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = make_app(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def empty_app(empty_database_url: str) -> Iterator[Flask]:
    """The site on a migrated database without the demo: a test builds its records with
    ``tests/factories.py`` (in an app context, committed before its requests), and they
    are rolled back after it like everything under ``app``."""
    app = make_app(empty_database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def empty_client(empty_app: Flask) -> FlaskClient:
    return empty_app.test_client()


@pytest.fixture
def db_session(empty_app: Flask) -> Iterator[scoped_session]:
    """An app context on the empty database for the whole test, for rule tests that call
    services and factories without HTTP (the client would share the context's ``g``)."""
    with empty_app.app_context():
        yield db.session


@dataclass(frozen=True)
class People:
    """Login names of one user per role, bound to one small district (``people``)."""

    admin: str
    coordinator: str
    trainer: str
    head: str
    puskesmas: str  # the name of the coordinator's and trainer's puskesmas
    village: str  # the village head's village, served by that puskesmas
    district: str


@pytest.fixture
def people(empty_app: Flask) -> People:
    """On the empty database: a district, a puskesmas serving one village, and an admin,
    a coordinator, a trainer and a village head there (password ``factories.PASSWORD``)."""
    from tests import factories as make

    with empty_app.app_context():
        puskesmas = make.puskesmas()
        village = puskesmas.villages[0]
        district = make.district_of(puskesmas)
        result = People(
            admin=make.admin(district).username,
            coordinator=make.coordinator(puskesmas).username,
            trainer=make.trainer(puskesmas).username,
            head=make.village_head(village).username,
            puskesmas=puskesmas.name, village=village.name, district=district.name)
        db.session.commit()
    return result


@contextmanager
def other_app(url: str, **overrides: object) -> Iterator[Flask]:
    """A second app (other settings) whose connections are closed afterwards."""
    app = make_app(url, **overrides)
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest) -> Iterator[None]:
    """Roll back everything a test did, including the commits of the views."""
    names = [n for n in ("empty_app", "app") if n in request.fixturenames]
    if not names:
        yield
        return
    app: Flask = request.getfixturevalue(names[0])
    # a module may override ``app`` with ``empty_app``; the demo and the empty database
    # together in one test would leave one of them without its rollback
    assert len(names) == 1 or request.getfixturevalue("app") is app, \
        "a test uses the demo database or the empty one, not both"
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    original = db.session
    db.session = scoped_session(factory, scopefunc=_app_ctx_id)
    try:
        yield
    finally:
        # each app context's session was closed at its teardown by Flask-SQLAlchemy
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, username: str, password: str | None = None) -> None:
    """Sign in through the real form (demo passwords are ``<name>-demo`` style)."""
    from ilp_training.demo.seed import DEMO_USERS

    if password is None:
        password = next(u.password for u in DEMO_USERS if u.username == username)
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.data[:500]


@pytest.fixture
def as_coordinator(client: FlaskClient) -> FlaskClient:
    login(client, "koordinator")
    return client


@pytest.fixture
def as_admin(client: FlaskClient) -> FlaskClient:
    login(client, "admin")
    return client


def posyandu_named(name: str, puskesmas: str | None = None) -> Posyandu:
    """A demo posyandu by name (call inside an app context)."""
    stmt = sa.select(Posyandu).where(Posyandu.name == name)
    if puskesmas is not None:
        from ilp_training.models import Puskesmas

        stmt = stmt.join(Posyandu.puskesmas).where(Puskesmas.name == puskesmas)
    return db.session.scalars(stmt.order_by(Posyandu.id)).first()


def first_cadre(posyandu: Posyandu) -> Cadre:
    return db.session.scalars(
        sa.select(Cadre).where(Cadre.posyandu_id == posyandu.id).order_by(Cadre.id)
    ).first()


def pdf_text(data: bytes) -> str:
    """All text of a PDF, pages joined, as a reader would extract it."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def user_named(username: str) -> User:
    return db.session.scalars(sa.select(User).where(User.username == username)).one()


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run while the block runs (for query-count bounds)."""
    statements: list[str] = []

    def _count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", _count)
