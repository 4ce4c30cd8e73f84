"""running totals indexed by form, period and indicator (plan attainment reads)

Revision ID: c3d8e1f5a7b2
Revises: a4f9c2e7d310
Create Date: 2026-12-01 02:00:00

"""
from alembic import op


revision = 'c3d8e1f5a7b2'
down_revision = 'a4f9c2e7d310'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_rollups_template_period', 'rollups',
                    ['template_id', 'period', 'indicator_id'], unique=False)
    op.create_index('ix_rollup_years_template_year', 'rollup_years',
                    ['template_id', 'year', 'indicator_id'], unique=False)


def downgrade():
    op.drop_index('ix_rollup_years_template_year', table_name='rollup_years')
    op.drop_index('ix_rollups_template_period', table_name='rollups')
