"""sensitive_reads: the append-only log of reads of sensitive personal data

Revision ID: a189293d5a0c
Revises: a7c3e9d1f2b4
Create Date: 2026-12-03 16:34:46.758790

Who read which fields of which record in clear, when, why and through what (lhpn/privacy).
The database itself refuses to change or remove an entry: on PostgreSQL a trigger function
raises before any UPDATE or DELETE of a row and before a TRUNCATE; on SQLite two triggers
abort UPDATE and DELETE. The DDL is written out here rather than imported, as in the other
revisions: application code may have moved on by the time an old database is upgraded.
"""
from alembic import op
import sqlalchemy as sa


revision = 'a189293d5a0c'
down_revision = 'a7c3e9d1f2b4'
branch_labels = None
depends_on = None

POSTGRESQL = [
    """
    CREATE FUNCTION sensitive_reads_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = 'sensitive_reads is append-only: ' || TG_OP || ' refused';
    END;
    $$
    """,
    """
    CREATE TRIGGER sensitive_reads_append_only BEFORE UPDATE OR DELETE ON sensitive_reads
    FOR EACH ROW EXECUTE FUNCTION sensitive_reads_append_only()
    """,
    """
    CREATE TRIGGER sensitive_reads_no_truncate BEFORE TRUNCATE ON sensitive_reads
    FOR EACH STATEMENT EXECUTE FUNCTION sensitive_reads_append_only()
    """,
]
SQLITE = [
    f"""
    CREATE TRIGGER sensitive_reads_no_{op_name.lower()} BEFORE {op_name} ON sensitive_reads
    BEGIN
        SELECT RAISE(ABORT, 'sensitive_reads is append-only: {op_name} refused');
    END
    """
    for op_name in ("UPDATE", "DELETE")
]


def upgrade():
    op.create_table('sensitive_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('fields', sa.String(length=500), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('purpose_note', sa.String(length=500), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('page', 'api', 'docx', 'xlsx', 'print')", name=op.f('ck_sensitive_reads_channel_known')),
    sa.CheckConstraint("purpose <> 'other' OR purpose_note <> ''", name=op.f('ck_sensitive_reads_other_explained')),
    sa.CheckConstraint("purpose IN ('handling', 'support', 'referral', 'supervision', 'other')", name=op.f('ck_sensitive_reads_purpose_known')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sensitive_reads_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sensitive_reads_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensitive_reads'))
    )
    with op.batch_alter_table('sensitive_reads', schema=None) as batch_op:
        batch_op.create_index('ix_sensitive_reads_object', ['tenant_id', 'object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sensitive_reads_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_sensitive_reads_user_at', ['user_id', 'at'], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        statements = POSTGRESQL
    elif dialect == 'sqlite':
        statements = SQLITE
    else:
        raise NotImplementedError(f"append-only triggers for {dialect}: write them here")
    for statement in statements:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("DROP TRIGGER sensitive_reads_no_update")
        op.execute("DROP TRIGGER sensitive_reads_no_delete")
    with op.batch_alter_table('sensitive_reads', schema=None) as batch_op:
        batch_op.drop_index('ix_sensitive_reads_user_at')
        batch_op.drop_index(batch_op.f('ix_sensitive_reads_tenant_id'))
        batch_op.drop_index('ix_sensitive_reads_object')

    op.drop_table('sensitive_reads')
    if dialect == 'postgresql':
        op.execute("DROP FUNCTION sensitive_reads_append_only()")
