"""one original assessment per sitting, cadre and skill

Revision ID: b12a01sitting
Revises: 3d4cbad9bd1e
Create Date: 2026-12-01 15:20:00

Issue 12: within one assessment sitting a cadre's skill is recorded once. A partial
unique index on ``assessments (session_id, cadre_id, skill_code)`` over the original
rows (``supersedes_id IS NULL AND duplicate_of_id IS NULL``) enforces it; corrections
stay outside it (they replace a row of the same sitting; ``supersedes_id`` is unique).

Rows recorded twice in one sitting before the rule (a re-sent form with a new key) are
never deleted. In each such group one row is kept, the others get ``duplicate_of_id``
(the kept row) and no longer count, and each marking is an audit entry
(``mark_duplicate``). The row kept is the one whose chain of corrections holds the
cadre's effective assessment of that skill, when it does (so no badge, level or
certificate changes); otherwise the first. The chain of corrections of a row marked is
marked with it. Downgrading drops the index and the column: the marked rows count again;
the audit entries stay. On SQLite the column is added in place (``ALTER TABLE … ADD
COLUMN … REFERENCES``), since a batch rebuild of a table that others refer to fails while
it holds rows.
"""
from collections import defaultdict
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b12a01sitting'
down_revision = '3d4cbad9bd1e'
branch_labels = None
depends_on = None

ORIGINAL = sa.text('supersedes_id IS NULL AND duplicate_of_id IS NULL')
REASON = 'recorded twice in one sitting (migration b12a01sitting)'

assessments = sa.table(
    'assessments', sa.column('id', sa.Integer), sa.column('session_id', sa.Integer),
    sa.column('cadre_id', sa.Integer), sa.column('skill_code', sa.String),
    sa.column('assessed_on', sa.Date), sa.column('supersedes_id', sa.Integer),
    sa.column('duplicate_of_id', sa.Integer),
)
audit_log = sa.table(
    'audit_log', sa.column('at', sa.DateTime(timezone=True)), sa.column('user_id', sa.Integer),
    sa.column('action', sa.String), sa.column('entity', sa.String),
    sa.column('entity_id', sa.Integer), sa.column('changes', sa.JSON),
)


def _duplicates(rows):
    """``{row id: kept id}`` for every row to mark (see the module docstring)."""
    by_id = {r.id: r for r in rows}
    corrected_by = {r.supersedes_id: r.id for r in rows if r.supersedes_id is not None}

    def root(row_id):
        while by_id[row_id].supersedes_id is not None:
            row_id = by_id[row_id].supersedes_id
        return row_id

    def chain(row_id):
        while row_id is not None:
            yield row_id
            row_id = corrected_by.get(row_id)

    effective = {}
    for r in sorted(rows, key=lambda r: (r.assessed_on, r.id)):
        if r.id not in corrected_by:
            effective[(r.cadre_id, r.skill_code)] = r.id
    groups = defaultdict(list)
    for r in rows:
        if r.supersedes_id is None and r.session_id is not None:
            groups[(r.session_id, r.cadre_id, r.skill_code)].append(r.id)
    marks = {}
    for (_session, cadre_id, skill), ids in groups.items():
        if len(ids) < 2:
            continue
        in_force = root(effective[(cadre_id, skill)])
        kept = in_force if in_force in ids else min(ids)
        for row_id in ids:
            if row_id != kept:
                marks.update({member: kept for member in chain(row_id)})
    return marks


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # In place: a batch rebuild drops the table, which the tables referring to it
        # refuse while it holds rows and foreign keys are on.
        op.execute('ALTER TABLE assessments ADD COLUMN duplicate_of_id INTEGER '
                   'CONSTRAINT fk_assessments_duplicate_of_id_assessments '
                   'REFERENCES assessments (id)')
    else:
        op.add_column('assessments', sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_assessments_duplicate_of_id_assessments'), 'assessments', 'assessments', ['duplicate_of_id'], ['id'])

    conn = op.get_bind()
    rows = conn.execute(sa.select(
        assessments.c.id, assessments.c.session_id, assessments.c.cadre_id,
        assessments.c.skill_code, assessments.c.assessed_on, assessments.c.supersedes_id,
    )).all()
    cadre_of = {r.id: r.cadre_id for r in rows}
    now = datetime.now(timezone.utc)
    for row_id, kept in sorted(_duplicates(rows).items()):
        conn.execute(assessments.update().where(assessments.c.id == row_id)
                     .values(duplicate_of_id=kept))
        conn.execute(audit_log.insert().values(
            at=now, user_id=None, action='mark_duplicate', entity='cadre',
            entity_id=cadre_of[row_id], changes={
                'assessment': [None, row_id], 'duplicate_of': [None, kept],
                'reason': [None, REASON]}))

    op.create_index('uq_assessments_sitting_skill', 'assessments', ['session_id', 'cadre_id', 'skill_code'], unique=True, sqlite_where=ORIGINAL, postgresql_where=ORIGINAL)


def downgrade():
    # On SQLite the column goes by a batch rebuild: with rows in the table, run it with
    # foreign keys off (as any rebuild of a referenced table).
    op.drop_index('uq_assessments_sitting_skill', table_name='assessments', sqlite_where=ORIGINAL, postgresql_where=ORIGINAL)
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('assessments', schema=None) as batch_op:
            batch_op.drop_column('duplicate_of_id')  # its inline foreign key goes with it
    else:
        op.drop_constraint(op.f('fk_assessments_duplicate_of_id_assessments'), 'assessments', type_='foreignkey')
        op.drop_column('assessments', 'duplicate_of_id')
