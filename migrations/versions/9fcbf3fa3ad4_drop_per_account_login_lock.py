"""drop the per-account log-in lock (failed_logins, throttled_until)

Failed log-ins are counted in the rate limiter's storage instead (lhpn/throttle.py), per
address, per account and address, and per account as a high ceiling: a lock kept on the user
row let anyone lock anyone out.

Revision ID: 9fcbf3fa3ad4
Revises: d238ad8171a0
Create Date: 2026-12-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9fcbf3fa3ad4'
down_revision = 'd238ad8171a0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('throttled_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('throttled_until', sa.DateTime(), nullable=True))
    # The default only fills the existing rows; the model sets the value itself.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('failed_logins', server_default=None)
