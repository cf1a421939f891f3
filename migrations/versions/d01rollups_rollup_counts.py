"""rollup counts

Revision ID: d01rollups
Revises: c01offline
Create Date: 2026-12-01 21:30:00

Issue 18, item 3: the overview's counts per place (``rollup_counts``), kept in the same
transaction as each change (``ilp_training/overview/rollups.py``); and each cadre's
complete packages stored beside the level (``cadres.package_codes``, ``",A,B,"``), which
those counts read.

Both are filled from the records here, so an upgraded database is right at once: the
packages from ``cadre_skills`` under each cadre's framework version (as the scoring
services store them), then the rollups by ``rebuild`` (set-based ``INSERT … SELECT``).
An empty database (a new site, the test databases) has nothing to fill.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd01rollups'
down_revision = 'c01offline'
branch_labels = None
depends_on = None

LEVELS = ('national', 'province', 'regency', 'puskesmas', 'posyandu')
METRICS = ('cadres', 'level', 'package', 'bpjs', 'certificates', 'trainings', 'gain_sum',
           'gain_n', 'villages', 'approved')


def upgrade():
    op.create_table('rollup_counts',
    sa.Column('level', sa.Enum(*LEVELS, name='rollup_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('place_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('metric', sa.Enum(*METRICS, name='rollup_metric', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('item', sa.String(length=20), server_default='', nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('level', 'place_id', 'metric', 'item', name=op.f('pk_rollup_counts'))
    )
    op.create_index('ix_rollup_counts_parent', 'rollup_counts', ['level', 'parent_id'],
                    unique=False)
    # No batch (table copy) on SQLite: many tables refer to cadres.
    op.add_column('cadres', sa.Column('package_codes', sa.String(length=60), server_default='',
                                      nullable=False))
    connection = op.get_bind()
    if connection.execute(sa.text('SELECT 1 FROM cadres LIMIT 1')).first() is None:
        return
    _fill_packages(connection)
    from ilp_training.overview.rollups import rebuild

    rebuild(connection)


def _fill_packages(connection):
    """``cadres.package_codes`` from the mastered skills, per framework version and
    package (sorted codes, so the string equals what the scoring services store)."""
    from flask import current_app

    from ilp_training.core.curricula import frameworks

    framework_id = current_app.config['FRAMEWORK_ID']
    for (fid, version), framework in sorted(frameworks().items()):
        if fid != framework_id:
            continue
        for package in sorted(framework.packages, key=lambda p: p.code):
            skills = sa.bindparam('skills', list(package.skill_codes), expanding=True)
            connection.execute(sa.text(
                "UPDATE cadres SET package_codes = "
                "CASE WHEN package_codes = '' THEN ',' ELSE package_codes END || :code || ',' "
                "WHERE framework_version = :version AND (SELECT count(*) FROM cadre_skills s "
                "WHERE s.cadre_id = cadres.id AND s.skill_code IN :skills) = :needed"
            ).bindparams(skills), {'code': package.code, 'version': version,
                                   'needed': len(package.skill_codes)})


def downgrade():
    op.drop_index('ix_rollup_counts_parent', table_name='rollup_counts')
    op.drop_table('rollup_counts')
    with op.batch_alter_table('cadres', schema=None) as batch_op:
        batch_op.drop_column('package_codes')
