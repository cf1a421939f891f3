"""Database engine settings that the ORM does not make by itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


def sqlite_engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The engine options for ``config``: on SQLite, wait up to
    ``SQLITE_BUSY_TIMEOUT_MS`` for the write lock (10 s unless set)."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        timeout = int(config.get("SQLITE_BUSY_TIMEOUT_MS", 10_000)) / 1000
        options["connect_args"] = {"timeout": timeout, **options.get("connect_args", {})}
    return options


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
    # WAL lets the web process read while the certificate worker writes.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _on_begin(connection: Connection) -> None:
    """SQLite: take the write lock when a transaction starts.

    With the web server and the worker in separate processes, a transaction that read
    first and writes later would fail at once ("database is locked") if the other process
    wrote in between; starting IMMEDIATE makes it wait its turn instead (busy_timeout).
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_engine_events(app: Flask) -> None:
    """Install the engine listeners once per process (they apply to every engine)."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)
