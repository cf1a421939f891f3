"""worker heartbeats

Revision ID: d01multi
Revises: d01overview
Create Date: 2026-12-01 21:20:00

Issue 18, item 6: each ``flask worker`` writes a heartbeat row (host, pid, queue, started,
last seen, stopped) so that an admin sees, from any app server, whether the background
work is being done. A new table only.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd01multi'
down_revision = 'd01overview'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'worker_heartbeats',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('worker', sa.String(length=300), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('queue', sa.String(length=300), nullable=False),
        sa.Column('processes', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_heartbeats')),
        sa.UniqueConstraint('worker', name=op.f('uq_worker_heartbeats_worker')),
    )
    op.create_index(op.f('ix_worker_heartbeats_last_seen'), 'worker_heartbeats',
                    ['last_seen'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_worker_heartbeats_last_seen'), table_name='worker_heartbeats')
    op.drop_table('worker_heartbeats')
