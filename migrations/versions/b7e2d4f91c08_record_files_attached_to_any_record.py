"""record_files: files attached to a record of any kind

Revision ID: b7e2d4f91c08
Revises: a16c0f5e2b31
Create Date: 2026-12-04 18:05:00.000000

Issue 16: a supervision's documents, a recommendation's answer, a critique's comments carry
files. One tenant-scoped table for every kind, keyed by (object_type, object_id) like
follow_ups; the bytes stay outside the web root under stored_name (lhpn/files/storage.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2d4f91c08'
down_revision = 'a16c0f5e2b31'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('record_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_record_files_created_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_record_files_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_record_files_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_files')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_record_files_stored_name'))
    )
    with op.batch_alter_table('record_files', schema=None) as batch_op:
        batch_op.create_index('ix_record_files_object', ['tenant_id', 'object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_files_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('record_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_files_tenant_id'))
        batch_op.drop_index('ix_record_files_object')

    op.drop_table('record_files')
