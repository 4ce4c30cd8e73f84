"""critiques and draft comments, dialogues (issue 16)

Revision ID: 516323428a61
Revises: 2a4a74cd78ce
Create Date: 2026-12-04 17:59:47.139011

A unit's critiques (phản biện xã hội) and comments on drafts (góp ý dự thảo), and its
dialogues with the heads of Party committees and governments; a dialogue's commitments are
follow-ups (object_type "dialogue"), already a table. The indicators PHAN_BIEN, GOP_Y and
DOI_THOAI of existing tenants are bound to these records (those not bound to anything yet).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '516323428a61'
down_revision = '2a4a74cd78ce'
branch_labels = None
depends_on = None

BINDINGS = {"PHAN_BIEN": "critiques.sent", "GOP_Y": "comments.sent",
            "DOI_THOAI": "dialogues.held"}
indicators = sa.table("indicators", sa.column("code", sa.String), sa.column("kind", sa.String),
                      sa.column("binding", sa.String))


def upgrade():
    op.create_table('critiques',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('draft_title', sa.String(length=500), nullable=False),
    sa.Column('issuing_body', sa.String(length=300), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('comments_due', sa.Date(), nullable=False),
    sa.Column('sent_number', sa.String(length=50), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.Column('sent_summary', sa.Text(), nullable=False),
    sa.Column('accepted', sa.String(length=8), nullable=False),
    sa.Column('accepted_note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("accepted IN ('yes', 'partly', 'no', 'unknown')", name=op.f('ck_critiques_critique_accepted_known')),
    sa.CheckConstraint("kind IN ('critique', 'comment')", name=op.f('ck_critiques_critique_kind_known')),
    sa.CheckConstraint("status IN ('received', 'sent', 'concluded')", name=op.f('ck_critiques_critique_status_known')),
    sa.CheckConstraint('comments_due >= received_on', name=op.f('ck_critiques_critique_due_after_received')),
    sa.CheckConstraint('sent_on IS NULL OR sent_on >= received_on', name=op.f('ck_critiques_critique_sent_after_received')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_critiques_created_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_critiques_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_critiques_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_critiques'))
    )
    with op.batch_alter_table('critiques', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_critiques_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_critiques_unit_received', ['unit_id', 'received_on'], unique=False)

    op.create_table('dialogues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('leader_name', sa.String(length=300), nullable=False),
    sa.Column('leader_title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.String(length=300), nullable=False),
    sa.Column('women_count', sa.Integer(), nullable=False),
    sa.Column('issues', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'held', 'closed')", name=op.f('ck_dialogues_dialogue_status_known')),
    sa.CheckConstraint('women_count >= 0', name=op.f('ck_dialogues_dialogue_women_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_dialogues_created_by_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dialogues_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_dialogues_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dialogues'))
    )
    with op.batch_alter_table('dialogues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogues_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_dialogues_unit_held', ['unit_id', 'held_on'], unique=False)

    conn = op.get_bind()
    for code, binding in BINDINGS.items():
        conn.execute(indicators.update()
                     .where(indicators.c.code == code, indicators.c.kind == "count",
                            indicators.c.binding.is_(None))
                     .values(binding=binding))


def downgrade():
    conn = op.get_bind()
    for binding in BINDINGS.values():
        conn.execute(indicators.update().where(indicators.c.binding == binding)
                     .values(binding=None))
    with op.batch_alter_table('dialogues', schema=None) as batch_op:
        batch_op.drop_index('ix_dialogues_unit_held')
        batch_op.drop_index(batch_op.f('ix_dialogues_tenant_id'))

    op.drop_table('dialogues')
    with op.batch_alter_table('critiques', schema=None) as batch_op:
        batch_op.drop_index('ix_critiques_unit_received')
        batch_op.drop_index(batch_op.f('ix_critiques_tenant_id'))

    op.drop_table('critiques')
