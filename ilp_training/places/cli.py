"""``flask places load``: the shipped Kemendagri places into the database."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup

from ilp_training.core.extensions import db

places_cli = AppGroup("places", help="The official Kemendagri codes and names.")


@places_cli.command("load")
@click.option("--villages", is_flag=True,
              help="Also load the 83,762 desa and kelurahan (provinces, regencies and "
                   "kecamatan are always loaded).")
@click.option("--province", metavar="CODE",
              help="Only this province (two digits, e.g. 74) and what lies in it.")
def places_load(villages: bool, province: str | None) -> None:
    """Add the places missing from the database and take the official names of those
    there (by code); nothing is deleted and existing rows keep their ids."""
    from ilp_training.core.service import ServiceError
    from ilp_training.models import RegionLevel
    from ilp_training.places.data import SOURCE
    from ilp_training.places.services import DEFAULT_LEVELS, load_places

    levels = DEFAULT_LEVELS + ((RegionLevel.VILLAGE,) if villages else ())
    started = time.perf_counter()
    try:
        result = load_places(db.session, levels, province)
    except ServiceError as error:
        db.session.rollback()
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Source: {SOURCE}")
    for level, counts in result.levels.items():
        click.echo(f"{level.value}: {counts.shipped} in the data, {counts.added} added, "
                   f"{counts.renamed} renamed, {counts.moved} moved")
    click.echo(f"Done in {time.perf_counter() - started:.1f} s.")
