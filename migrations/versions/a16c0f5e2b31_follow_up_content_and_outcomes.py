"""follow-ups hold what is asked (a recommendation, a commitment) and what it came to

Revision ID: a16c0f5e2b31
Revises: d9a4c6e2f1b7
Create Date: 2026-12-04 18:10:00.000000

Issue 16: a supervision's recommendations and a dialogue's commitments are follow-ups of
their record, each with its own text (``content``) and, at the end, implemented or not
accepted by the agency. The status check grows by those two values.
"""
import sqlalchemy as sa
from alembic import op

revision = 'a16c0f5e2b31'
down_revision = 'd9a4c6e2f1b7'
branch_labels = None
depends_on = None

OLD = "status IN ('open', 'answered', 'closed')"
NEW = "status IN ('open', 'answered', 'closed', 'implemented', 'not_accepted')"


def upgrade():
    with op.batch_alter_table("follow_ups") as batch:
        batch.add_column(sa.Column("content", sa.Text(), nullable=False, server_default=""))
        batch.drop_constraint(op.f("ck_follow_ups_status_known"), type_="check")
        batch.create_check_constraint(op.f("ck_follow_ups_status_known"), NEW)


def downgrade():
    op.execute("UPDATE follow_ups SET status = 'closed' "
               "WHERE status IN ('implemented', 'not_accepted')")
    with op.batch_alter_table("follow_ups") as batch:
        batch.drop_constraint(op.f("ck_follow_ups_status_known"), type_="check")
        batch.create_check_constraint(op.f("ck_follow_ups_status_known"), OLD)
        batch.drop_column("content")
