"""Migrations build the same schema as the models, on an empty database."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import other_app
from flask_migrate import downgrade, upgrade

from ilp_training.core.extensions import db


def _empty_url(tmp_path, database_url: str) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'empty.db'}"
    engine = sa.create_engine(database_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS ilp_migration_check"))
        conn.execute(sa.text("CREATE DATABASE ilp_migration_check"))
    engine.dispose()
    return database_url.rsplit("/", 1)[0] + "/ilp_migration_check"


def test_migrations_match_the_models(tmp_path, database_url):
    with other_app(_empty_url(tmp_path, database_url)) as app, app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            assert compare_metadata(context, db.metadata) == []
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
