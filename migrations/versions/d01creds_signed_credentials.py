"""signed credentials

Revision ID: d01creds
Revises: d01multi
Create Date: 2026-12-01 21:20:00

Issue 19: every certificate carries its Open Badges 3.0 credential (a VC-JWT, frozen at
issue; NULL while pending), the issuing district's code and its bit in that issuer's
Bitstring Status List (unique per issuer), allocated from ``status_list_counters``.
Nullable columns only: certificates issued before stay without a credential until
``flask credentials issue-missing`` signs them.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd01creds'
down_revision = 'd01multi'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'status_list_counters',
        sa.Column('issuer_code', sa.String(length=13), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('issuer_code', name=op.f('pk_status_list_counters')),
    )
    # No batch (table copy) on SQLite: other tables refer to certificates. A unique
    # index, not a constraint, so that the columns are added in place.
    op.add_column('certificates', sa.Column('credential_jwt', sa.Text(), nullable=True))
    op.add_column('certificates', sa.Column('credential_issuer', sa.String(length=13),
                                            nullable=True))
    op.add_column('certificates', sa.Column('status_index', sa.Integer(), nullable=True))
    op.create_index('uq_certificates_status_index', 'certificates',
                    ['credential_issuer', 'status_index'], unique=True)


def downgrade():
    op.drop_index('uq_certificates_status_index', table_name='certificates')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('status_index')
        batch_op.drop_column('credential_issuer')
        batch_op.drop_column('credential_jwt')
    op.drop_table('status_list_counters')
