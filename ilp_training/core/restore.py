"""Restoring a backup file (:mod:`ilp_training.core.backup` writes them): every part
checked against the manifest's SHA-256 before anything is written, the database part
copied into the site's database (SQLite's backup API into the file; ``pg_restore``,
:mod:`ilp_training.core.pg_backup`), the row counts compared with the manifest's, the
instance files written back. A database still in use (:func:`users_of`) is refused:
restoring under a running site would mix its writes with the backup's.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from ilp_training.core import pg_backup
from ilp_training.core.backup import (
    BOOKKEEPING_TABLES,
    INSTANCE_PREFIX,
    MANIFEST,
    PARTS,
    BackupError,
    Manifest,
    database_kind,
    row_counts,
    safe_relative,
    sqlite_path,
)
from ilp_training.models import WorkerHeartbeat


@dataclass(frozen=True)
class RestoreCheck:
    """The restored database's row counts against the manifest's."""

    counts: dict[str, int]
    mismatches: dict[str, tuple[int, int | None]]  # table -> (expected, found)


def records_held(engine: sa.Engine) -> dict[str, int]:
    """The tables of ``engine``'s database that hold rows (Alembic's own left out)."""
    with engine.connect() as conn:
        return {name: n for name, n in row_counts(conn).items()
                if n and name not in BOOKKEEPING_TABLES}


def users_of(engine: sa.Engine, now: datetime, stale: timedelta) -> list[str]:
    """Who else is using ``engine``'s database, one line each: on PostgreSQL every other
    client connection (an app server's pool, a worker, a psql session); on both, every
    worker whose heartbeat is not stopped and is more recent than ``stale``
    (``core/heartbeat.py``). Dispose the engine's own pool first."""
    found = []
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            for row in conn.execute(sa.text(
                    "SELECT pid, usename, client_addr, application_name, state "
                    "FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
                    "ORDER BY pid")):
                where = row.client_addr or "local socket"
                program = f", {row.application_name}" if row.application_name else ""
                found.append(f"connection {row.pid} ({row.usename} from {where}"
                             f"{program}, {row.state})")
        if sa.inspect(conn).has_table("worker_heartbeats"):
            for row in conn.execute(
                    sa.select(WorkerHeartbeat.worker, WorkerHeartbeat.last_seen)
                    .where(WorkerHeartbeat.stopped_at.is_(None),
                           WorkerHeartbeat.last_seen >= now - stale)
                    .order_by(WorkerHeartbeat.worker)):
                found.append(f"worker {row.worker} (last heartbeat "
                             f"{row.last_seen:%Y-%m-%d %H:%M:%S} UTC)")
    return found


@contextmanager
def open_backup(path: Path) -> Iterator[tuple[tarfile.TarFile, Manifest]]:
    """The backup file's archive and manifest, or :class:`BackupError`."""
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115  (closed by the with below)
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{path} is not a readable backup file ({error}).") from None
    with tar:
        yield tar, Manifest.from_json(_member(tar, MANIFEST).read())


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        member = tar.getmember(name)
        handle = tar.extractfile(member) if member.isfile() else None
    except (KeyError, tarfile.TarError):
        handle = None
    if handle is None:
        raise BackupError(f"The backup has no {name}: it is incomplete or not a backup.")
    return handle


def extract_checked(tar: tarfile.TarFile, manifest: Manifest,
                    directory: Path) -> tuple[Path, dict[str, bytes]]:
    """The database part (written into ``directory``) and the instance files, each
    checked against the manifest's SHA-256; :class:`BackupError` on any difference."""
    part = directory / PARTS[manifest.database_kind]
    digest = hashlib.sha256()
    try:
        source = _member(tar, PARTS[manifest.database_kind])
        with part.open("wb") as out:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"The backup is damaged ({error}).") from None
    _same(PARTS[manifest.database_kind], digest.hexdigest(), manifest.database_sha256)
    secrets: dict[str, bytes] = {}
    for rel, expected in manifest.instance_files.items():
        data = _member(tar, INSTANCE_PREFIX + rel).read()
        _same(rel, hashlib.sha256(data).hexdigest(), expected)
        secrets[rel] = data
    return part, secrets


def _same(name: str, found: str, expected: str) -> None:
    if found != expected:
        raise BackupError(
            f"The backup is damaged or was altered: the SHA-256 of {name} is {found}, "
            f"its manifest says {expected}. Nothing was restored; use another copy.")


def restore_sqlite(part: Path, url: sa.URL) -> None:
    """Copy the checked part into the target file with the backup API (which replaces the
    whole content of the file, other connections held off by its lock)."""
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(part)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        problems = dst.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        dst.close()
        src.close()
    if problems:
        raise BackupError(f"The restored database has rows without their parents: "
                          f"{problems[:5]}.")


def restore_database(engine: sa.Engine, part: Path, manifest: Manifest,
                     pg_bin_dir: str = "") -> None:
    """Replace the content of ``engine``'s database with the checked part."""
    url = engine.url
    if database_kind(url.render_as_string(hide_password=False)) != manifest.database_kind:
        raise BackupError(f"This is a {manifest.database_kind} backup; the site's database "
                          f"is {url.get_backend_name()}. Restore into the same kind.")
    engine.dispose()  # no pooled connection of ours holds the old content
    if manifest.database_kind == "sqlite":
        restore_sqlite(part, url)
    else:
        pg_backup.restore(engine, part, pg_bin_dir)
    engine.dispose()


def check_counts(engine: sa.Engine, manifest: Manifest) -> RestoreCheck:
    with engine.connect() as conn:
        counts = row_counts(conn)
    mismatches: dict[str, tuple[int, int | None]] = {
        table: (expected, counts.get(table))
        for table, expected in manifest.row_counts.items() if counts.get(table) != expected}
    return RestoreCheck(counts, mismatches)


def restore_instance_files(instance_path: Path, files: dict[str, bytes]) -> list[str]:
    """Write the instance files (mode 0600, atomically); a different file already there is
    kept as ``<name>.before-restore``. The paths written."""
    written = []
    for rel, data in sorted(files.items()):
        path = instance_path / safe_relative(rel)
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.exists():
            os.replace(path, path.with_name(path.name + ".before-restore"))
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as handle:  # mkstemp makes it 0600
            handle.write(data)
        os.replace(partial, path)
        written.append(rel)
    return written
