"""Database engine settings that the ORM does not make by itself, and the transaction
rule of a request.

**The rule (SQLite).** SQLite has one write lock per database file. A transaction that
only reads never takes it: with the write-ahead log (WAL) readers and the one writer do
not wait for each other. A transaction that writes takes it at ``BEGIN IMMEDIATE``, so it
waits its turn (the busy timeout) instead of failing. A transaction that began as a read
and writes later cannot be allowed: if another connection wrote in between, SQLite
refuses the upgrade at once ("database is locked"), whatever the busy timeout.

So each request says which kind its transactions are, before the first one begins:

- ``GET``, ``HEAD`` and ``OPTIONS`` requests read (``BEGIN``, deferred);
- other requests write (``BEGIN IMMEDIATE``);
- a view that writes on a ``GET`` opts in: :func:`writes` on the view, or
  :func:`begin_writes` before its first write (the public verification page records a
  rate event);
- a view that must do slow work before it writes (check a password, parse a file,
  render a PDF) reads first: :func:`reads_first` on the view, then :func:`begin_writes`
  once the slow part is done, so the write lock is held only for the writes;
- outside a request (the worker, ``flask`` commands) every transaction writes.

A write in a read transaction is refused at once with :class:`ReadOnlyTransaction`, on
every database, so a view that forgot to opt in fails in the tests rather than under
load. PostgreSQL has no such lock; there the rule only decides where a request's
transactions end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.sql import Executable

from ilp_training.core.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES_KEY = "ilp_training.db_writes"  # a request's choice, in its WSGI environ


class ReadOnlyTransaction(RuntimeError):
    """A request wrote inside a transaction it began as a read (see the module rule)."""


def changed_rows(statement: Executable) -> int:
    """Execute an ``UPDATE`` or ``DELETE`` in the session; the number of rows it matched.
    (SQLAlchemy types ``Session.execute`` as a ``Result``; for these statements it is a
    ``CursorResult``, which carries the count.)"""
    return cast("CursorResult[Any]", db.session.execute(statement)).rowcount


def sqlite_engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The engine options for ``config``: on SQLite, wait up to
    ``SQLITE_BUSY_TIMEOUT_MS`` for the write lock (10 s unless set)."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        timeout = int(config.get("SQLITE_BUSY_TIMEOUT_MS", 10_000)) / 1000
        options["connect_args"] = {"timeout": timeout, **options.get("connect_args", {})}
    return options


def request_writes() -> bool:
    """Whether the current request's transactions take the write lock at ``BEGIN``:
    its own choice (:func:`begin_writes`, :func:`begin_reads`), else its view's
    (:func:`writes`, :func:`reads_first`), else its method. Outside a request: yes."""
    if not has_request_context():
        return True
    chosen = request.environ.get(_WRITES_KEY)
    if chosen is not None:
        return bool(chosen)
    view = current_app.view_functions.get(request.endpoint or "")
    declared = getattr(view, "db_writes", None)
    if declared is not None:
        return bool(declared)
    return request.method not in READ_METHODS


def writes(view: F) -> F:
    """Mark a view whose ``GET`` writes: its transactions take the write lock."""
    view.db_writes = True  # type: ignore[attr-defined]  # a mark on the view function
    return view


def reads_first(view: F) -> F:
    """Mark a view that reads (and does its slow work) before it writes: its
    transactions begin as reads until it calls :func:`begin_writes`."""
    view.db_writes = False  # type: ignore[attr-defined]  # a mark on the view function
    return view


def begin_writes() -> None:
    """From here on, this request's transactions take the write lock at ``BEGIN``.

    An open read transaction is ended first (committed: it wrote nothing), so the next
    statement begins a write transaction and waits for the lock, and the request reads
    again what it needs under that lock.
    """
    if has_request_context() and not request_writes():
        _end_transaction()
        request.environ[_WRITES_KEY] = True


def begin_reads() -> None:
    """From here on, this request's transactions only read. Call it after a commit; an
    open transaction is committed first."""
    if has_request_context() and request_writes():
        _end_transaction()
        request.environ[_WRITES_KEY] = False


def _end_transaction() -> None:
    from ilp_training.core.extensions import db

    if db.session().in_transaction():
        db.session.commit()


def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys, use the write-ahead log, and let SQLAlchemy issue
    BEGIN itself (the busy timeout is the connection's ``timeout``,
    :func:`sqlite_engine_options`).

    pysqlite's own transaction handling breaks SAVEPOINTs (used by nested transactions
    and by the test suite), so it is switched off and :func:`_on_begin` emits BEGIN.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    # WAL: reading transactions and the one writing transaction do not wait for each other.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _on_begin(connection: Connection) -> None:
    """SQLite: a request's reading transaction begins deferred (it takes no lock); every
    other transaction takes the write lock at once (:func:`request_writes`)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if request_writes() else "BEGIN")


def _refuse_write_in_read(connection: Connection, cursor: Any, statement: str,
                          parameters: Any, context: Any, executemany: bool) -> None:
    """An INSERT, UPDATE or DELETE inside a request's reading transaction is refused."""
    if context is None or not (context.isinsert or context.isupdate or context.isdelete):
        return
    if has_request_context() and not request_writes():
        raise ReadOnlyTransaction(
            f"{request.method} {request.path} writes in a read transaction; "
            "mark the view with database.writes or call database.begin_writes() first")


def init_engine_events(app: Flask) -> None:
    """Install the engine listeners once per process (they apply to every engine)."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)
        event.listen(Engine, "before_cursor_execute", _refuse_write_in_read)
