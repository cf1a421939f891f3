"""roles above the district

Revision ID: d01overview
Revises: d01rollups
Create Date: 2026-12-01 21:10:00

Issue 18: a province user (Dinkes Provinsi, bound to a province: ``users.province_id``)
and a national user (Kemenkes, bound to no place), both read-only. The role's CHECK
constraint takes the two new values and the role-to-place constraint their binding.

"""
from alembic import op
import sqlalchemy as sa


OLD_ROLES = ("admin", "coordinator", "trainer", "village_head")
NEW_ROLES = OLD_ROLES + ("province", "national")
OLD_BINDING = ("(role = 'admin' AND district_id IS NOT NULL)"
               " OR (role IN ('coordinator', 'trainer') AND puskesmas_id IS NOT NULL)"
               " OR (role = 'village_head' AND village_id IS NOT NULL)")
NEW_BINDING = (OLD_BINDING + " OR (role = 'province' AND province_id IS NOT NULL)"
               " OR role = 'national'")


# revision identifiers, used by Alembic.
revision = 'd01overview'
down_revision = 'd01rollups'
branch_labels = None
depends_on = None


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _checks(batch_op, roles, binding):
    batch_op.drop_constraint("role", type_="check")
    batch_op.drop_constraint("role_bound_to_place", type_="check")
    batch_op.create_check_constraint("role", _in("role", roles))
    batch_op.create_check_constraint("role_bound_to_place", binding)


def upgrade():
    # SQLite copies the table (env.py turns its foreign keys off around the migrations).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_province_id_regions'), 'regions',
                                    ['province_id'], ['id'])
        _checks(batch_op, NEW_ROLES, NEW_BINDING)


def downgrade():
    op.execute("DELETE FROM user_sessions WHERE user_id IN "
               "(SELECT id FROM users WHERE role IN ('province', 'national'))")
    op.execute("DELETE FROM users WHERE role IN ('province', 'national')")
    with op.batch_alter_table('users', schema=None) as batch_op:
        _checks(batch_op, OLD_ROLES, OLD_BINDING)
        batch_op.drop_constraint(batch_op.f('fk_users_province_id_regions'), type_='foreignkey')
        batch_op.drop_column('province_id')
