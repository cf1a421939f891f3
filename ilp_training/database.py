"""Database engine settings that the ORM does not make by itself."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys, wait on locks, write-ahead log, and let SQLAlchemy
    issue BEGIN itself.

    pysqlite's own transaction handling breaks SAVEPOINTs (used by nested transactions
    and by the test suite), so it is switched off and :func:`_on_begin` emits BEGIN.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 10000")
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
