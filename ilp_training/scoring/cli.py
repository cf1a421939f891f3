"""``flask assessments replay-levels``: the stored competency state, rebuilt."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ilp_training.core.extensions import db

assessments_cli = AppGroup("assessments", help="Stored competency state.")


@assessments_cli.command("replay-levels")
def assessments_replay_levels() -> None:
    """Recompute every assessed cadre's badges, level and level history from the
    assessments that count (once, for a database from before the level-history rule)."""
    import sqlalchemy as sa

    from ilp_training.core.curricula import framework_on
    from ilp_training.core.i18n import local_today
    from ilp_training.models import Assessment, Cadre
    from ilp_training.scoring.services import refresh_cadre

    framework = framework_on(local_today())
    assessed = sa.select(Assessment.cadre_id).distinct()
    cadres = db.session.scalars(sa.select(Cadre).where(Cadre.id.in_(assessed))
                                .order_by(Cadre.id)).all()
    for cadre in cadres:
        refresh_cadre(cadre, framework)
    db.session.commit()
    click.echo(f"Level history replayed for {len(cadres)} cadres.")
