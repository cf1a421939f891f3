"""``flask credentials …``: the issuers' keys (keygen, rotate, check) and the signing of
credentials left pending (issue-missing). Every key event is in the audit log."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ilp_training.core import audit
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_now
from ilp_training.models import Region

credentials_cli = AppGroup("credentials", help="Signed credentials: keys and signing.")


def _regency_or_exit(code: str) -> Region:
    from ilp_training.credentials.issuers import regency

    region = regency(code)
    if region is None:
        click.echo(f"No regency (kabupaten/kota) with the code {code!r} (e.g. 74.14).",
                   err=True)
        sys.exit(2)
    return region


@credentials_cli.command("keygen")
@click.option("--district", "code", required=True, help="The regency code, e.g. 74.14.")
def keygen(code: str) -> None:
    """Create the district's first signing key (refused when it has one: use rotate)."""
    from ilp_training.credentials.keys import store

    region = _regency_or_exit(code)
    keys = store()
    now = local_now()
    current = keys.current(region.code, now)
    if current is not None:
        click.echo(f"{region.code} already signs with {current.kid}; "
                   "use flask credentials rotate for a new key.", err=True)
        sys.exit(1)
    key = keys.create(region.code, now)
    audit.record(None, "key_created", "issuer", region.id, {"kid": [None, key.kid]})
    db.session.commit()
    click.echo(f"Created {key.kid} for {region.code} in {keys.directory} "
               f"(signs from {key.not_before.isoformat()}).")


@credentials_cli.command("rotate")
@click.option("--district", "code", required=True, help="The regency code, e.g. 74.14.")
def rotate(code: str) -> None:
    """A new signing key from now; the old one stops signing and stays published, so what
    it signed keeps verifying. No key file is deleted."""
    from ilp_training.credentials.keys import store

    region = _regency_or_exit(code)
    keys = store()
    now = local_now()
    old = keys.current(region.code, now)
    key = keys.create(region.code, now)
    audit.record(None, "key_rotated", "issuer", region.id,
                 {"kid": [old.kid if old else None, key.kid]})
    db.session.commit()
    click.echo(f"{region.code} now signs with {key.kid}"
               + (f"; {old.kid} retired (kept for verification)." if old else "."))


@credentials_cli.command("check")
def check() -> None:
    """Every issuer's keys: the current one, and any private key file that is missing
    (exit 1 then). Also counts the credentials still waiting for a signature."""
    from ilp_training.credentials.keys import store

    keys = store()
    now = local_now()
    problems = 0
    for code in keys.issuers():
        current = keys.current(code, now)
        for key in keys.keys_of(code):
            state = ("current" if current is not None and key.kid == current.kid
                     else "retired" if key.not_after is not None and key.not_after <= now
                     else "not yet valid")
            private = keys.private_key(key.kid) is not None
            if not private and state != "retired":
                problems += 1
                click.echo(f"MISSING {key.kid} ({code}, {state}): its private key file is "
                           "lost; what it signed still verifies; rotate to a new key.")
            else:
                click.echo(f"ok {key.kid} ({code}, {state}"
                           + ("" if private else ", private key removed") + ")")
        if current is None:
            problems += 1
            click.echo(f"NO KEY {code}: nothing signs now; run flask credentials rotate.")
    if not keys.issuers():
        click.echo(f"No issuer keys in {keys.directory}.")
    sys.exit(1 if problems else 0)


@credentials_cli.command("issue-missing")
@click.option("--batch", default=200, show_default=True, help="Credentials per commit.")
def issue_missing(batch: int) -> None:
    """Sign the credentials left pending (certificates issued while their district had
    no signing key), in commits of ``--batch``; exit 1 if some still cannot be signed."""
    from ilp_training.credentials.services import sign_pending

    total, left, after = 0, 0, 0
    while True:
        signed, pending, last = sign_pending(after, batch)
        db.session.commit()
        if last is None:
            break
        total, left, after = total + signed, left + pending, last
    click.echo(f"Signed {total} pending credentials."
               + (f" {left} still pending: their district has no key that signs now "
                  "(flask credentials check)." if left else ""))
    sys.exit(1 if left else 0)


def ensure_demo_key(code: str) -> str | None:
    """A signing key for the demo district if it has none that signs now (``flask demo
    load``): the kid made, or ``None`` when one existed."""
    from ilp_training.credentials.keys import store

    region = _regency_or_exit(code)
    keys = store()
    now = local_now()
    if keys.current(region.code, now) is not None:
        return None
    key = keys.create(region.code, now)
    audit.record(None, "key_created", "issuer", region.id, {"kid": [None, key.kid]})
    return key.kid
