"""plans: the year's programme of work (counted), own section headings, section V (budget),
qualitative targets and their follow-up by the units

Until now target attainment read "the latest approved plan of the year" of a unit: the plan
that was counted that way, per unit and year, is marked counted, so nothing a consolidation
shows changes for existing data.

Revision ID: e5b1f7c2d9a4
Revises: e5b1c9a3d7f0
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e5b1f7c2d9a4'
down_revision = 'e5b1c9a3d7f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('budget', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('headings', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('counted', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('plan_targets', schema=None) as batch_op:
        batch_op.alter_column('indicator_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('value', existing_type=sa.Numeric(precision=14, scale=2),
                              nullable=True)
        batch_op.add_column(sa.Column('text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('deadline', sa.Date(), nullable=True))

    op.create_table('plan_target_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_plan_target_checks_checked_by_id_users')),
    sa.ForeignKeyConstraint(['target_id'], ['plan_targets.id'], name=op.f('fk_plan_target_checks_target_id_plan_targets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_plan_target_checks_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_plan_target_checks_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_target_checks')),
    sa.UniqueConstraint('target_id', 'unit_id', name=op.f('uq_plan_target_checks_target_id_unit_id'))
    )
    with op.batch_alter_table('plan_target_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_target_checks_target_id'), ['target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_target_checks_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_target_checks_unit_id'), ['unit_id'], unique=False)

    _mark_what_counted_until_now()


def _mark_what_counted_until_now():
    """Per unit and year, the approved plan attainment used to read: the latest approved (by
    approval time, then id)."""
    plans = sa.table('plans', sa.column('id', sa.Integer), sa.column('unit_id', sa.Integer),
                     sa.column('year', sa.Integer), sa.column('status', sa.String),
                     sa.column('approved_at', sa.DateTime), sa.column('counted', sa.Boolean))
    conn = op.get_bind()
    rows = conn.execute(sa.select(plans.c.id, plans.c.unit_id, plans.c.year, plans.c.approved_at)
                        .where(plans.c.status == 'approved')).all()
    latest = {}
    for row in rows:
        key = (row.unit_id, row.year)
        rank = (row.approved_at is not None, row.approved_at or 0, row.id)
        if key not in latest or rank > latest[key][0]:
            latest[key] = (rank, row.id)
    ids = [plan_id for _rank, plan_id in latest.values()]
    for start in range(0, len(ids), 500):
        conn.execute(plans.update().where(plans.c.id.in_(ids[start:start + 500]))
                     .values(counted=True))


def downgrade():
    with op.batch_alter_table('plan_target_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_target_checks_unit_id'))
        batch_op.drop_index(batch_op.f('ix_plan_target_checks_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_plan_target_checks_target_id'))
    op.drop_table('plan_target_checks')
    # Qualitative targets have no indicator: they cannot survive the older schema.
    op.execute("DELETE FROM plan_targets WHERE kind = 'text'")
    with op.batch_alter_table('plan_targets', schema=None) as batch_op:
        batch_op.drop_column('deadline')
        batch_op.drop_column('text')
        batch_op.alter_column('value', existing_type=sa.Numeric(precision=14, scale=2),
                              nullable=False)
        batch_op.alter_column('indicator_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('counted')
        batch_op.drop_column('headings')
        batch_op.drop_column('budget')
