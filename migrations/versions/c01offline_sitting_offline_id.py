"""offline sittings

Revision ID: c01offline
Revises: b13b17imports
Create Date: 2026-12-01 17:45:00

Issue 16: a sitting scored on a phone without signal carries the id the phone made for
it (``offline_id``, unique), so a sync sent twice or resumed finds the sitting it
created the first time instead of opening a second one. A new nullable column only.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c01offline'
down_revision = 'b13b17imports'
branch_labels = None
depends_on = None


def upgrade():
    # No batch (table copy) on SQLite: assessments refer to this table. A unique index,
    # not a constraint, so that the column is added in place.
    op.add_column('assessment_sessions', sa.Column('offline_id', sa.String(length=36),
                                                   nullable=True))
    op.create_index(op.f('ix_assessment_sessions_offline_id'), 'assessment_sessions',
                    ['offline_id'], unique=True)


def downgrade():
    op.drop_index(op.f('ix_assessment_sessions_offline_id'), table_name='assessment_sessions')
    with op.batch_alter_table('assessment_sessions', schema=None) as batch_op:
        batch_op.drop_column('offline_id')
