"""``flask users create``: accounts made on the server, above all the read-only users
above the district (province, national), which no user of the site may create."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from ilp_training.auth import services
from ilp_training.core import audit
from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError
from ilp_training.models import Region, RegionLevel, Role

users_cli = AppGroup("users", help="User accounts made on the server.")

# The option naming each kind of place, and the region level its code is looked up at.
REGION_OPTIONS = {"province": RegionLevel.PROVINCE, "district": RegionLevel.REGENCY,
                  "village": RegionLevel.VILLAGE}


def _place_id(kind: services.PlaceKind, places: dict[str, str | None]) -> int | None:
    """The id of the place the role needs, from its option (a Kemendagri code for a
    region, the id for a puskesmas); any other place option given is an error."""
    given = {name for name, value in places.items() if value}
    wanted = set() if kind == "nation" else {kind}
    if given != wanted:
        needed = f"--{kind}" if wanted else "no place option"
        raise click.UsageError(f"This role takes {needed}.")
    if kind == "nation":
        return None
    value = places[kind] or ""
    if kind == "puskesmas":
        if not value.isascii() or not value.isdigit():
            raise click.UsageError("--puskesmas takes the puskesmas id.")
        return int(value)
    found = db.session.scalar(sa.select(Region.id).where(
        Region.code == value, Region.level == REGION_OPTIONS[kind]))
    if found is None:
        raise click.UsageError(f"No {kind} has the code {value!r}.")
    return found


@users_cli.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]),
              help="province and national are read-only users above the district.")
@click.option("--username", required=True, help="The login name.")
@click.option("--name", "display_name", required=True, help="The full name shown.")
@click.option("--province", help="Kemendagri code of the province (role province).")
@click.option("--district", help="Kemendagri code of the regency (role admin).")
@click.option("--puskesmas", help="Id of the puskesmas (roles coordinator, trainer).")
@click.option("--village", help="Kemendagri code of the village (role village_head).")
@click.option("--locale", type=click.Choice(["id", "en"]), help="Interface language.")
@click.password_option(help="The initial password (asked when not given).")
def users_create(role: str, username: str, display_name: str, province: str | None,
                 district: str | None, puskesmas: str | None, village: str | None,
                 locale: str | None, password: str) -> None:
    """Create an active user bound to the place its role needs; audited (by the
    system, via ``cli``) like an admin's creation."""
    kind = services.place_kind(Role(role))
    place_id = _place_id(kind, {"province": province, "district": district,
                                "puskesmas": puskesmas, "village": village})
    data = services.UserData(username, display_name, Role(role), place_id, locale)
    try:
        with audit.via("cli"):
            user = services.create_user(None, data, password,
                                        current_app.config["PASSWORD_HASH_METHOD"])
        db.session.commit()
    except ServiceError as refusal:
        db.session.rollback()
        click.echo(f"Not created: {refusal.message}", err=True)
        sys.exit(1)
    click.echo(f"User {user.username} created ({role}, {user.scope_label}).")
