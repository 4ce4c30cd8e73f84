"""report reminders, once a day per unit, form and period

Revision ID: f6313c9a849d
Revises: 1457a8b55ff7
Create Date: 2026-12-03 09:16:49.561388

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f6313c9a849d'
down_revision = '1457a8b55ff7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=False),
    sa.Column('reminded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reminded_by_id'], ['users.id'], name=op.f('fk_report_reminders_reminded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['report_templates.id'], name=op.f('fk_report_reminders_template_id_report_templates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_report_reminders_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_report_reminders_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_reminders')),
    sa.UniqueConstraint('unit_id', 'template_id', 'period', 'reminded_on', name=op.f('uq_report_reminders_unit_id_template_id_period_reminded_on'))
    )
    with op.batch_alter_table('report_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_reminders_template_id'), ['template_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_reminders_tenant_id'), ['tenant_id'], unique=False)



def downgrade():
    with op.batch_alter_table('report_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_reminders_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_report_reminders_template_id'))

    op.drop_table('report_reminders')
