"""unsaved input kept for its author (a form posted after the session ended)

Revision ID: 1457a8b55ff7
Revises: e5b1f7c2d9a4
Create Date: 2026-12-03 09:09:35.600716

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1457a8b55ff7'
down_revision = 'e5b1f7c2d9a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unsaved_inputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=500), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_unsaved_inputs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unsaved_inputs')),
    sa.UniqueConstraint('token_hash', 'action', name=op.f('uq_unsaved_inputs_token_hash_action'))
    )
    with op.batch_alter_table('unsaved_inputs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unsaved_inputs_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_unsaved_inputs_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('unsaved_inputs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unsaved_inputs_user_id'))
        batch_op.drop_index(batch_op.f('ix_unsaved_inputs_expires_at'))

    op.drop_table('unsaved_inputs')
