"""tenant activity version (cache key of whole pages, with the figures version)

Revision ID: 7c1e4d2a9b05
Revises: 53f208a81387
Create Date: 2026-11-22 08:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c1e4d2a9b05'
down_revision = '53f208a81387'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_version', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('activity_version')
