"""user e-mail (for e-mail copies of notifications)

Revision ID: c0b77f446ae3
Revises: a712d21be5cd
Create Date: 2026-11-22 01:24:14.678993

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0b77f446ae3'
down_revision = 'a712d21be5cd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')
