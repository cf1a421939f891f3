"""cadre welfare

Revision ID: 3d4cbad9bd1e
Revises: 87c5a817de42
Create Date: 2026-11-23 10:44:10.770095

Issue 7: incentive schemes, activity records, village summaries and their approved
versions. New tables only: no data to move, no server defaults needed; money is whole
rupiah in integer columns with CHECK (>= 0) constraints.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d4cbad9bd1e'
down_revision = '87c5a817de42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incentive_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('period_kind', sa.Enum('month', 'quarter', 'year', name='period_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('budget_amount', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'approved', name='summary_status', native_enum=False, create_constraint=True), nullable=False),
    sa.CheckConstraint('budget_amount IS NULL OR budget_amount >= 0', name=op.f('ck_incentive_summaries_budget_non_negative')),
    sa.ForeignKeyConstraint(['village_id'], ['regions.id'], name=op.f('fk_incentive_summaries_village_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_summaries')),
    sa.UniqueConstraint('village_id', 'period_kind', 'period_start', name=op.f('uq_incentive_summaries_village_id_period_kind_period_start'))
    )
    with op.batch_alter_table('incentive_summaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incentive_summaries_village_id'), ['village_id'], unique=False)

    op.create_table('incentive_schemes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('legal_basis', sa.String(length=200), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('base_amount', sa.Integer(), nullable=False),
    sa.Column('per_opening_day', sa.Integer(), nullable=False),
    sa.Column('opening_day_cap', sa.Integer(), nullable=True),
    sa.Column('per_home_visit', sa.Integer(), nullable=False),
    sa.Column('home_visit_cap', sa.Integer(), nullable=True),
    sa.Column('operational_amount', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('base_amount >= 0', name=op.f('ck_incentive_schemes_base_amount_non_negative')),
    sa.CheckConstraint('home_visit_cap IS NULL OR home_visit_cap >= 0', name=op.f('ck_incentive_schemes_home_visit_cap_non_negative')),
    sa.CheckConstraint('opening_day_cap IS NULL OR opening_day_cap >= 0', name=op.f('ck_incentive_schemes_opening_day_cap_non_negative')),
    sa.CheckConstraint('operational_amount >= 0', name=op.f('ck_incentive_schemes_operational_amount_non_negative')),
    sa.CheckConstraint('per_home_visit >= 0', name=op.f('ck_incentive_schemes_per_home_visit_non_negative')),
    sa.CheckConstraint('per_opening_day >= 0', name=op.f('ck_incentive_schemes_per_opening_day_non_negative')),
    sa.CheckConstraint('valid_until IS NULL OR valid_until >= valid_from', name=op.f('ck_incentive_schemes_valid_period')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_incentive_schemes_created_by_id_users')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_incentive_schemes_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_schemes')),
    sa.UniqueConstraint('region_id', 'valid_from', name=op.f('uq_incentive_schemes_region_id_valid_from'))
    )
    with op.batch_alter_table('incentive_schemes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incentive_schemes_region_id'), ['region_id'], unique=False)

    op.create_table('opening_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('posyandu_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_opening_days_created_by_id_users')),
    sa.ForeignKeyConstraint(['posyandu_id'], ['posyandu.id'], name=op.f('fk_opening_days_posyandu_id_posyandu')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_days')),
    sa.UniqueConstraint('posyandu_id', 'held_on', name=op.f('uq_opening_days_posyandu_id_held_on'))
    )
    with op.batch_alter_table('opening_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_days_held_on'), ['held_on'], unique=False)

    op.create_table('summary_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=False),
    sa.Column('approved_by_name', sa.String(length=120), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reopened_by_id', sa.Integer(), nullable=True),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopen_reason', sa.String(length=200), nullable=True),
    sa.Column('legal_basis', sa.String(length=500), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('months_without_scheme', sa.JSON(), nullable=False),
    sa.Column('budget_amount', sa.BigInteger(), nullable=True),
    sa.Column('cadre_total', sa.BigInteger(), nullable=False),
    sa.Column('operational_total', sa.BigInteger(), nullable=False),
    sa.Column('grand_total', sa.BigInteger(), nullable=False),
    sa.Column('uninsured', sa.Integer(), nullable=False),
    sa.CheckConstraint('cadre_total >= 0', name=op.f('ck_summary_versions_cadre_total_non_negative')),
    sa.CheckConstraint('grand_total >= 0', name=op.f('ck_summary_versions_grand_total_non_negative')),
    sa.CheckConstraint('operational_total >= 0', name=op.f('ck_summary_versions_operational_total_non_negative')),
    sa.CheckConstraint('uninsured >= 0', name=op.f('ck_summary_versions_uninsured_non_negative')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_summary_versions_approved_by_id_users')),
    sa.ForeignKeyConstraint(['reopened_by_id'], ['users.id'], name=op.f('fk_summary_versions_reopened_by_id_users')),
    sa.ForeignKeyConstraint(['summary_id'], ['incentive_summaries.id'], name=op.f('fk_summary_versions_summary_id_incentive_summaries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_versions')),
    sa.UniqueConstraint('summary_id', 'number', name=op.f('uq_summary_versions_summary_id_number'))
    )
    op.create_table('home_visit_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.CheckConstraint('visits >= 0', name=op.f('ck_home_visit_counts_visits_non_negative')),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], name=op.f('fk_home_visit_counts_cadre_id_cadres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_home_visit_counts')),
    sa.UniqueConstraint('cadre_id', 'month', name=op.f('uq_home_visit_counts_cadre_id_month'))
    )
    with op.batch_alter_table('home_visit_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_home_visit_counts_month'), ['month'], unique=False)

    op.create_table('incentive_level_top_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('level_code', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_incentive_level_top_ups_amount_non_negative')),
    sa.ForeignKeyConstraint(['scheme_id'], ['incentive_schemes.id'], name=op.f('fk_incentive_level_top_ups_scheme_id_incentive_schemes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive_level_top_ups')),
    sa.UniqueConstraint('scheme_id', 'level_code', name=op.f('uq_incentive_level_top_ups_scheme_id_level_code'))
    )
    op.create_table('opening_day_cadres',
    sa.Column('opening_day_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], name=op.f('fk_opening_day_cadres_cadre_id_cadres')),
    sa.ForeignKeyConstraint(['opening_day_id'], ['opening_days.id'], name=op.f('fk_opening_day_cadres_opening_day_id_opening_days')),
    sa.PrimaryKeyConstraint('opening_day_id', 'cadre_id', name=op.f('pk_opening_day_cadres'))
    )
    with op.batch_alter_table('opening_day_cadres', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_day_cadres_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('summary_cadre_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('posyandu_name', sa.String(length=120), nullable=False),
    sa.Column('level_code', sa.String(length=20), nullable=True),
    sa.Column('months_active_x100', sa.Integer(), nullable=False),
    sa.Column('days_served', sa.Integer(), nullable=False),
    sa.Column('home_visits', sa.Integer(), nullable=False),
    sa.Column('base', sa.BigInteger(), nullable=False),
    sa.Column('level_top_up', sa.BigInteger(), nullable=False),
    sa.Column('opening_day_top_up', sa.BigInteger(), nullable=False),
    sa.Column('home_visit_top_up', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('bpjs_enrolled', sa.Boolean(), nullable=False),
    sa.Column('inactive', sa.Boolean(), nullable=False),
    sa.Column('no_activity', sa.Boolean(), nullable=False),
    sa.Column('over_cap', sa.Boolean(), nullable=False),
    sa.Column('excluded_reason', sa.String(length=200), nullable=True),
    sa.CheckConstraint('base >= 0', name=op.f('ck_summary_cadre_rows_base_non_negative')),
    sa.CheckConstraint('days_served >= 0', name=op.f('ck_summary_cadre_rows_days_served_non_negative')),
    sa.CheckConstraint('home_visit_top_up >= 0', name=op.f('ck_summary_cadre_rows_home_visit_top_up_non_negative')),
    sa.CheckConstraint('home_visits >= 0', name=op.f('ck_summary_cadre_rows_home_visits_non_negative')),
    sa.CheckConstraint('level_top_up >= 0', name=op.f('ck_summary_cadre_rows_level_top_up_non_negative')),
    sa.CheckConstraint('months_active_x100 >= 0', name=op.f('ck_summary_cadre_rows_months_active_x100_non_negative')),
    sa.CheckConstraint('opening_day_top_up >= 0', name=op.f('ck_summary_cadre_rows_opening_day_top_up_non_negative')),
    sa.CheckConstraint('total >= 0', name=op.f('ck_summary_cadre_rows_total_non_negative')),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], name=op.f('fk_summary_cadre_rows_cadre_id_cadres')),
    sa.ForeignKeyConstraint(['version_id'], ['summary_versions.id'], name=op.f('fk_summary_cadre_rows_version_id_summary_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_cadre_rows')),
    sa.UniqueConstraint('version_id', 'cadre_id', name=op.f('uq_summary_cadre_rows_version_id_cadre_id'))
    )
    with op.batch_alter_table('summary_cadre_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_summary_cadre_rows_cadre_id'), ['cadre_id'], unique=False)

    op.create_table('summary_exclusions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('cadre_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['cadre_id'], ['cadres.id'], name=op.f('fk_summary_exclusions_cadre_id_cadres')),
    sa.ForeignKeyConstraint(['summary_id'], ['incentive_summaries.id'], name=op.f('fk_summary_exclusions_summary_id_incentive_summaries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_exclusions')),
    sa.UniqueConstraint('summary_id', 'cadre_id', name=op.f('uq_summary_exclusions_summary_id_cadre_id'))
    )
    op.create_table('summary_posyandu_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('posyandu_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('operational', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('months >= 0', name=op.f('ck_summary_posyandu_rows_months_non_negative')),
    sa.CheckConstraint('operational >= 0', name=op.f('ck_summary_posyandu_rows_operational_non_negative')),
    sa.ForeignKeyConstraint(['posyandu_id'], ['posyandu.id'], name=op.f('fk_summary_posyandu_rows_posyandu_id_posyandu')),
    sa.ForeignKeyConstraint(['version_id'], ['summary_versions.id'], name=op.f('fk_summary_posyandu_rows_version_id_summary_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_posyandu_rows')),
    sa.UniqueConstraint('version_id', 'posyandu_id', name=op.f('uq_summary_posyandu_rows_version_id_posyandu_id'))
    )


def downgrade():
    op.drop_table('summary_posyandu_rows')
    op.drop_table('summary_exclusions')
    with op.batch_alter_table('summary_cadre_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_summary_cadre_rows_cadre_id'))

    op.drop_table('summary_cadre_rows')
    with op.batch_alter_table('opening_day_cadres', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_day_cadres_cadre_id'))

    op.drop_table('opening_day_cadres')
    op.drop_table('incentive_level_top_ups')
    with op.batch_alter_table('home_visit_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_home_visit_counts_month'))

    op.drop_table('home_visit_counts')
    op.drop_table('summary_versions')
    with op.batch_alter_table('opening_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_days_held_on'))

    op.drop_table('opening_days')
    with op.batch_alter_table('incentive_schemes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incentive_schemes_region_id'))

    op.drop_table('incentive_schemes')
    with op.batch_alter_table('incentive_summaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incentive_summaries_village_id'))

    op.drop_table('incentive_summaries')
