"""Backups of a running site and their restore: one ``.tar`` file per backup.

A backup file holds ``manifest.json`` (what the copy is: the app's version, the
database's Alembic revision and kind, when it was made (UTC), the row count of every
table *in the copy*, the SHA-256 of each part), the database copy, and the instance's
secrets that the data needs (the secret key file, the signing keys under ``keys/``).

The copy is consistent while the site writes:

- SQLite: the online backup API (``sqlite3.Connection.backup``, all pages in one step)
  copies one snapshot of the database; with the write-ahead log the site's writers go on
  meanwhile. The copy is switched out of WAL so the part is one self-contained file.
- PostgreSQL (:mod:`ilp_training.core.pg_backup`): ``pg_dump --format=custom`` runs on a
  snapshot exported by a REPEATABLE READ transaction, in which the row counts are taken
  too, so the manifest describes exactly the dumped data.

The file is written under a temporary name beside its target and renamed into place, so
a backup directory never holds half a backup. Restoring checks every part against the
manifest first, refuses a database that holds records (unless forced), and compares the
restored row counts with the manifest. The hashes find damage (a truncated copy, a
flipped bit, an edited part); they are no signature: whoever can rewrite the file can
rewrite its manifest, so copies kept elsewhere are encrypted and access-controlled
(README, Backups).

Restoring is :mod:`ilp_training.core.restore`. The functions take plain values (paths,
engines); the commands (:mod:`ilp_training.core.backup_cli`) read the app's settings.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ilp_training.core import pg_backup

FORMAT = "ilp-training-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PARTS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
INSTANCE_PREFIX = "instance/"
NAME_PREFIX = "ilp-backup-"
NAME_SUFFIX = ".tar"
# Rows that say nothing about the data's completeness are still counted; only Alembic's
# own table is left out of "is this database empty?".
BOOKKEEPING_TABLES = frozenset({"alembic_version"})


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    """What a backup file holds (``manifest.json``)."""

    app_version: str
    alembic_revision: str | None
    database_kind: str
    created_at: str
    row_counts: dict[str, int]
    database_sha256: str
    database_bytes: int
    instance_files: dict[str, str]  # path under the instance folder -> SHA-256

    def as_json(self) -> bytes:
        data = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "app_version": self.app_version, "alembic_revision": self.alembic_revision,
                "database": {"kind": self.database_kind, "file": PARTS[self.database_kind],
                             "sha256": self.database_sha256, "bytes": self.database_bytes},
                "created_at": self.created_at, "row_counts": self.row_counts,
                "instance_files": [{"path": path, "sha256": digest}
                                   for path, digest in sorted(self.instance_files.items())]}
        return json.dumps(data, indent=2, sort_keys=False).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError("This file is not an ILP Training backup.")
            if data.get("format_version") != FORMAT_VERSION:
                raise BackupError(f"Backup format {data.get('format_version')} is not "
                                  f"supported here (this version reads {FORMAT_VERSION}).")
            database = data["database"]
            if database["kind"] not in PARTS:
                raise BackupError(f"Unknown database kind {database['kind']!r}.")
            return cls(app_version=str(data["app_version"]),
                       alembic_revision=data["alembic_revision"],
                       database_kind=database["kind"], created_at=str(data["created_at"]),
                       row_counts={str(k): int(v) for k, v in data["row_counts"].items()},
                       database_sha256=str(database["sha256"]),
                       database_bytes=int(database["bytes"]),
                       instance_files={safe_relative(f["path"]): str(f["sha256"])
                                       for f in data["instance_files"]})
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"The backup's manifest is unreadable ({error}).") from None


def database_kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in PARTS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- counting ------------------------------------------------------------------------

def row_counts(conn: sa.Connection) -> dict[str, int]:
    """The number of rows of every table of the connection's schema, by name."""
    names = sorted(sa.inspect(conn).get_table_names())
    return {name: int(conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) or 0)
            for name in names}


def alembic_revision(conn: sa.Connection) -> str | None:
    if "alembic_version" not in sa.inspect(conn).get_table_names():
        return None
    return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))

# --- writing ---------------------------------------------------------------------------

def backup_name(moment: datetime) -> str:
    """``ilp-backup-20261201T210000.123Z.tar``: names sort by time."""
    return f"{NAME_PREFIX}{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}Z{NAME_SUFFIX}"


def write_backup(engine: sa.Engine, target: Path, *, instance_path: Path,
                 instance_files: list[str], app_version: str,
                 pg_bin_dir: str = "") -> tuple[Path, Manifest]:
    """Write a backup of ``engine``'s database and the listed instance files (paths under
    ``instance_path``, a folder meaning its files; missing ones skipped) to ``target``: a
    file path ending in ``.tar``, else a folder (made if need be) where a new file named
    by :func:`backup_name` goes. Returns the file and its manifest. The file appears
    complete or not at all (temporary name, then rename)."""
    moment = datetime.now(UTC)
    if target.is_dir() or target.suffix != NAME_SUFFIX:
        target = target / backup_name(moment)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if target.exists():
        raise BackupError(f"{target} exists already; name another file.")
    kind = database_kind(engine.url.render_as_string(hide_password=False))
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".ilp-backup-") as work:
        part = Path(work) / PARTS[kind]
        if kind == "sqlite":
            counts, revision = _copy_sqlite(sqlite_path(engine.url), part)
        else:
            counts, revision = pg_backup.dump(
                engine, part, pg_bin_dir, lambda conn: (row_counts(conn), alembic_revision(conn)))
        secrets = _instance_files(instance_path, instance_files)
        manifest = Manifest(
            app_version=app_version, alembic_revision=revision, database_kind=kind,
            created_at=moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
            row_counts=counts, database_sha256=sha256_file(part),
            database_bytes=part.stat().st_size,
            instance_files={rel: hashlib.sha256(data).hexdigest()
                            for rel, data in secrets.items()})
        partial = Path(work) / "backup.tar"
        _write_tar(partial, manifest, part, secrets)
        os.replace(partial, target)
    _fsync_dir(target.parent)
    return target, manifest


def _copy_sqlite(source: Path, part: Path) -> tuple[dict[str, int], str | None]:
    """One snapshot of ``source`` into ``part`` (the online backup API, all pages in one
    step: the site's writers go on meanwhile under WAL); the copy's counts and revision."""
    if not source.exists():
        raise BackupError(f"The database file {source} does not exist.")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(part)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()
    copy = sa.create_engine(f"sqlite:///{part}", poolclass=sa.pool.NullPool)
    try:
        with copy.connect() as conn:
            return row_counts(conn), alembic_revision(conn)
    finally:
        copy.dispose()


def _instance_files(instance_path: Path, wanted: list[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for name in wanted:
        path = instance_path / safe_relative(name)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and not file.is_symlink():
                found[file.relative_to(instance_path).as_posix()] = file.read_bytes()
    return found


def _write_tar(path: Path, manifest: Manifest, part: Path, secrets: dict[str, bytes]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # it holds secrets
    with os.fdopen(fd, "wb") as handle:
        with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
            _add_bytes(tar, MANIFEST, manifest.as_json())
            tar.add(part, arcname=PARTS[manifest.database_kind], recursive=False)
            for rel, data in sorted(secrets.items()):
                _add_bytes(tar, INSTANCE_PREFIX + rel, data)
        handle.flush()
        os.fsync(handle.fileno())


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backup files (named by :func:`backup_name`) in
    ``directory``; the files deleted."""
    files = sorted(directory.glob(f"{NAME_PREFIX}*{NAME_SUFFIX}"))
    old = files[:-keep] if keep > 0 else files
    for file in old:
        file.unlink()
    return old


def sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database has nothing to back up.")
    return Path(url.database)


def safe_relative(name: Any) -> str:
    """A path under the instance folder: relative, without ``..``."""
    path = PurePosixPath(str(name))
    if not str(name) or path.is_absolute() or ".." in path.parts:
        raise BackupError(f"Refused instance path {name!r} (not inside the instance folder).")
    return path.as_posix()
