"""``flask overview rebuild`` and ``flask overview check``: the rollups against the
records."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup

from ilp_training.core.extensions import db

overview_cli = AppGroup("overview", help="The overview's counts (rollups).")


@overview_cli.command("rebuild")
def overview_rebuild() -> None:
    """Recompute every rollup row from the records (one transaction)."""
    from ilp_training.overview.rollups import rebuild

    started = time.perf_counter()
    rebuild()
    db.session.commit()
    click.echo(f"Rollups rebuilt in {time.perf_counter() - started:.2f} s.")


@overview_cli.command("check")
def overview_check() -> None:
    """Compare every stored rollup row with the records; exit 1 on a difference."""
    from ilp_training.overview.rollups import differences

    found = differences()
    db.session.rollback()
    for line in found[:50]:
        click.echo(line)
    if found:
        click.echo(f"{len(found)} rollup rows differ from the records.", err=True)
        sys.exit(1)
    click.echo("Rollups equal the records.")
