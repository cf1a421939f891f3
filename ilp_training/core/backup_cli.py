"""``flask backup`` and ``flask restore`` (operator-facing; :mod:`ilp_training.core.backup`).

``flask backup [--to DIR|FILE] [--keep N]`` writes one backup file while the site runs;
``flask restore FILE [--yes] [--force]`` brings one back into an empty database (the site
stopped), checks it and migrates it to this version's schema. README, Backups, says how
often, where to keep the copies and how to test a restore.
"""

from __future__ import annotations

import re
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext

from ilp_training.core.backup import BackupError, Manifest, prune_backups, write_backup
from ilp_training.core.config import PROJECT_ROOT
from ilp_training.core.extensions import db
from ilp_training.core.heartbeat import stale_after
from ilp_training.core.pg_backup import ToolError
from ilp_training.core.restore import (
    check_counts,
    extract_checked,
    open_backup,
    records_held,
    restore_database,
    restore_instance_files,
    users_of,
)
from ilp_training.models import utcnow


def _app_version() -> str:
    try:
        return version("ilp-training")
    except PackageNotFoundError:
        return "unknown"


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("backup")
@click.option("--to", "target", type=click.Path(path_type=Path), default=None,
              help="A file ending in .tar, or a folder where a new file named by the time "
                   "goes. Default: BACKUP_DIR, else instance/backups.")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Afterwards delete all but the newest N backup files of that folder.")
@with_appcontext
def backup_command(target: Path | None, keep: int | None) -> None:
    """Write a consistent backup of the database (and the instance's secret files) while
    the site runs."""
    config = current_app.config
    if target is None:
        target = Path(config.get("BACKUP_DIR") or Path(current_app.instance_path) / "backups")
    try:
        path, manifest = write_backup(
            db.engine, target, instance_path=Path(current_app.instance_path),
            instance_files=re.findall(r"[^\s,]+", str(config.get("BACKUP_INSTANCE_FILES", ""))),
            app_version=_app_version(), pg_bin_dir=str(config.get("PG_BIN_DIR") or ""))
    except (BackupError, ToolError) as error:
        _fail(str(error))
    click.echo(f"Backup written: {path} ({path.stat().st_size} bytes)")
    _describe(manifest)
    if manifest.instance_files:
        click.echo("Instance files: " + ", ".join(sorted(manifest.instance_files)))
        click.echo("This file holds secrets: keep it encrypted and access-controlled.")
    if keep is not None:
        for old in prune_backups(path.parent, keep):
            click.echo(f"Deleted old backup: {old}")


def _describe(manifest: Manifest) -> None:
    total = sum(manifest.row_counts.values())
    click.echo(f"{manifest.database_kind}, revision {manifest.alembic_revision}, made "
               f"{manifest.created_at} by version {manifest.app_version}: {total} rows in "
               f"{len(manifest.row_counts)} tables")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True,
              help="Replace a database that holds records (they are lost).")
@with_appcontext
def restore_command(file: Path, yes: bool, force: bool) -> None:
    """Restore a backup file into the site's (empty) database and instance folder; stop
    the site first. Exits 1 when a part differs from its manifest, the database holds
    records (without --force), is in use (another connection on PostgreSQL, a worker's
    recent heartbeat) or the restored row counts differ from the manifest's."""
    try:
        _restore(file, yes, force)
    except (BackupError, ToolError) as error:
        _fail(str(error))


def _restore(file: Path, yes: bool, force: bool) -> None:
    from flask_migrate import upgrade

    engine = db.engine
    instance = Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    where = engine.url.render_as_string(hide_password=True)
    with open_backup(file) as (tar, manifest), \
            tempfile.TemporaryDirectory(dir=instance, prefix=".restore-") as work:
        _describe(manifest)
        heads = _known_revision(manifest.alembic_revision)
        part, secrets = extract_checked(tar, manifest, Path(work))
        held = records_held(engine)
        if held and not force:
            raise BackupError(
                f"The database {where} holds records ("
                + ", ".join(f"{t} {n}" for t, n in sorted(held.items())[:6])
                + ", …): restore refuses to replace them. Restore into an empty database, "
                "or add --force to replace them (they are lost).")
        db.session.remove()
        engine.dispose()  # our own connections are not the site's
        users = users_of(engine, utcnow(), stale_after(current_app.config))
        if users:
            raise BackupError(
                f"The database {where} is in use: " + "; ".join(users[:6])
                + (f"; and {len(users) - 6} more" if len(users) > 6 else "")
                + ". Stop the app servers and the worker (and close other sessions) "
                "first: restore never replaces a database under a running site.")
        if not yes:
            click.confirm(f"Replace the database {where} with this backup?", abort=True)
        restore_database(engine, part, manifest, str(current_app.config.get("PG_BIN_DIR") or ""))
    check = check_counts(engine, manifest)
    for table, count in sorted(check.counts.items()):
        click.echo(f"  {table}: {count}")
    if check.mismatches:
        raise BackupError("Row counts differ from the backup's manifest: " + ", ".join(
            f"{t} expected {e}, found {f}" for t, (e, f) in sorted(check.mismatches.items()))
            + ". The restored database does not match its backup: do not use it.")
    click.echo(f"Restored {sum(check.counts.values())} rows in {len(check.counts)} tables "
               f"into {where}; the counts match the manifest.")
    for rel in restore_instance_files(instance, secrets):
        click.echo(f"Restored instance file: {rel}")
    if manifest.alembic_revision not in heads:
        upgrade()
        click.echo(f"Migrated from revision {manifest.alembic_revision} to {', '.join(heads)}.")


def _known_revision(revision: str | None) -> tuple[str, ...]:
    """This version's head revisions; :class:`BackupError` when the backup's revision is
    not among this version's migrations (a newer version made it)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    try:
        if revision is None or script.get_revision(revision) is None:
            raise BackupError(f"The backup has no known schema revision ({revision}).")
    except CommandError:
        raise BackupError(f"The backup's schema revision {revision} is unknown to this "
                          f"version: a newer version made it; restore with that "
                          f"version.") from None
    return tuple(script.get_heads())
