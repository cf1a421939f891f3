"""``flask demo load``: the demo data grounded in the Buton Tengah seed case."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ilp_training.core.extensions import db

demo_cli = AppGroup("demo", help="Demo data grounded in the Buton Tengah seed case.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing (exit 0) when data exists.")
def demo_load(if_empty: bool) -> None:
    """Load the demo data into an empty database."""
    from flask import current_app

    from ilp_training.core.i18n import local_today
    from ilp_training.demo.seed import database_is_empty, load_demo

    if not database_is_empty():
        click.echo("The database already holds data; demo data not loaded.")
        if not if_empty:
            sys.exit(1)
        _demo_key()
        return
    summary = load_demo(local_today(), current_app.config["PASSWORD_HASH_METHOD"])
    db.session.commit()
    click.echo("Demo data loaded: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    _demo_key()


def _demo_key() -> None:
    """The demo district signs credentials: a key is made when it has none that signs
    now (under CREDENTIAL_KEYS_DIR, as ``flask credentials keygen`` would)."""
    import sqlalchemy as sa

    from ilp_training.credentials.cli import ensure_demo_key
    from ilp_training.models import Region, RegionLevel

    code = db.session.scalar(sa.select(Region.code).where(
        Region.level == RegionLevel.REGENCY).order_by(Region.id).limit(1))
    if code is None:
        return
    kid = ensure_demo_key(code)
    db.session.commit()
    if kid:
        click.echo(f"Signing key {kid} created for the demo district {code}.")
