"""follow_ups: records handed to an outside agency with a legal deadline

Revision ID: 830b83dc0ea7
Revises: 1402dc0b80e5
Create Date: 2026-12-03 19:55:26.899865

Following the authorities (lhpn/followups): one row per record handed to an outside agency,
keyed by (object_type, object_id) like workflow_events, with the union's letter, the legal
deadline, the answer, the chasing letters sent and a version counter. Tenant-scoped. The
dashboards ask for the open rows past their deadline in a set of units: the (unit_id, status,
due_on) index.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '830b83dc0ea7'
down_revision = '1402dc0b80e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=300), nullable=False),
    sa.Column('agency_superior', sa.String(length=300), nullable=False),
    sa.Column('letter_number', sa.String(length=50), nullable=False),
    sa.Column('written_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('chase_count', sa.Integer(), nullable=False),
    sa.Column('last_chased_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'answered', 'closed')", name=op.f('ck_follow_ups_status_known')),
    sa.CheckConstraint('chase_count >= 0', name=op.f('ck_follow_ups_chase_count_not_negative')),
    sa.CheckConstraint('due_on >= written_on', name=op.f('ck_follow_ups_due_after_written')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_follow_ups_created_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_follow_ups_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_follow_ups_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_object', ['tenant_id', 'object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_follow_ups_unit_status_due', ['unit_id', 'status', 'due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_unit_status_due')
        batch_op.drop_index(batch_op.f('ix_follow_ups_tenant_id'))
        batch_op.drop_index('ix_follow_ups_object')

    op.drop_table('follow_ups')
