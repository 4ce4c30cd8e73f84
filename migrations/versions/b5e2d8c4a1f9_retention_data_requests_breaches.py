"""retention of incidents, data subjects' requests, breaches

Revision ID: b5e2d8c4a1f9
Revises: 5d25cab48a7b
Create Date: 2026-12-04 09:00:00.000000

Issue 15 items 8 and 9 (lhpn/privacy/retention.py, subject_requests.py, breaches.py): the
tenant's retention of a closed incident's identities (months, 60 by default, as the README
explains), the day an incident's identities were purged, the requests of a data subject and
the suspected breaches. The encrypted columns (a request's note and refusal reason, a breach's
description and measures) are text here: the application stores AES-GCM ciphertext in them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e2d8c4a1f9'
down_revision = '5d25cab48a7b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_retention_months', sa.Integer(),
                                      server_default='60', nullable=False))
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(), nullable=True))

    op.create_table('data_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('victim_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('requester', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('access', 'correction', 'erasure')", name=op.f('ck_data_requests_request_kind_known')),
    sa.CheckConstraint("status IN ('received', 'done', 'refused')", name=op.f('ck_data_requests_request_status_known')),
    sa.CheckConstraint("requester IN ('self', 'representative')", name=op.f('ck_data_requests_requester_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_data_requests_created_by_id_users')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_data_requests_done_by_id_users')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_data_requests_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_data_requests_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['victim_id'], ['incident_victims.id'], name=op.f('fk_data_requests_victim_id_incident_victims'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests'))
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_requests_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_requests_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('breaches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('detected_at', sa.DateTime(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('data_kinds', sa.String(length=500), nullable=False),
    sa.Column('subjects_estimate', sa.Integer(), nullable=True),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'notified', 'closed')", name=op.f('ck_breaches_breach_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_breaches_created_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_breaches_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breaches'))
    )
    with op.batch_alter_table('breaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breaches_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('breaches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breaches_tenant_id'))
    op.drop_table('breaches')
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_requests_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_data_requests_incident_id'))
    op.drop_table('data_requests')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('incident_retention_months')
