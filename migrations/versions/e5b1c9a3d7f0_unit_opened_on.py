"""unit opened on: a unit owes only the reports of periods due after it opened

Revision ID: e5b1c9a3d7f0
Revises: 9fcbf3fa3ad4
Create Date: 2026-12-03 09:00:00

Existing units get the day they were created (Vietnam time): a unit imported in November no
longer owes January's report. An admin corrects the date of a unit that really opened earlier.
"""
from alembic import op
import sqlalchemy as sa


revision = 'e5b1c9a3d7f0'
down_revision = '9fcbf3fa3ad4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_on', sa.Date(), nullable=True))
    # created_at is naive UTC; Vietnam is UTC+7 all year.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE units SET opened_on = CAST(created_at + INTERVAL '7 hours' AS DATE)")
    else:
        op.execute("UPDATE units SET opened_on = date(created_at, '+7 hours')")
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.alter_column('opened_on', existing_type=sa.Date(), nullable=False)


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('opened_on')
