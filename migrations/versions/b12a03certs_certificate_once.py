"""one valid certificate per claim; bulk parts that a restarted worker resumes

Revision ID: b12a03certs
Revises: b12a01sitting
Create Date: 2026-12-01 15:20:00

Issue 12: partial unique indexes allow one valid certificate per cadre (level) and per
cadre and event (training). Duplicates made before them (concurrent issues) are
superseded by the newest one first. Bulk parts get their reserved serials, the
certificate on each page, a lease (host:pid, until) and an attempt count; jobs the day
they certify.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b12a03certs'
down_revision = 'b12a01sitting'
branch_labels = None
depends_on = None

_NEWEST = """(SELECT max(c2.id) FROM certificates c2
    WHERE c2.cadre_id = certificates.cadre_id AND c2.kind = certificates.kind
      AND c2.status = 'valid'
      AND (c2.training_event_id = certificates.training_event_id
           OR (c2.training_event_id IS NULL AND certificates.training_event_id IS NULL)))"""


def upgrade():
    op.execute(f"UPDATE certificates SET status = 'superseded', superseded_by_id = {_NEWEST} "
               f"WHERE status = 'valid' AND id < {_NEWEST}")
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('uq_certificates_valid_level', ['cadre_id'], unique=True, sqlite_where=sa.text("kind = 'level' AND status = 'valid'"), postgresql_where=sa.text("kind = 'level' AND status = 'valid'"))
        batch_op.create_index('uq_certificates_valid_training', ['cadre_id', 'training_event_id'], unique=True, sqlite_where=sa.text("kind = 'training' AND status = 'valid'"), postgresql_where=sa.text("kind = 'training' AND status = 'valid'"))

    with op.batch_alter_table('bulk_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued_on', sa.Date(), nullable=True))

    with op.batch_alter_table('bulk_job_parts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('serials', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('certificate_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('leased_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('bulk_job_parts', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('leased_until')
        batch_op.drop_column('leased_by')
        batch_op.drop_column('certificate_ids')
        batch_op.drop_column('serials')

    with op.batch_alter_table('bulk_jobs', schema=None) as batch_op:
        batch_op.drop_column('issued_on')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_valid_training')
        batch_op.drop_index('uq_certificates_valid_level')
