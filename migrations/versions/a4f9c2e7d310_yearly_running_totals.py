"""yearly running totals of forms that split the year

Revision ID: a4f9c2e7d310
Revises: 7c1e4d2a9b05
Create Date: 2026-11-22 08:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a4f9c2e7d310'
down_revision = '7c1e4d2a9b05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rollup_years',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=20, scale=4), nullable=True),
    sa.Column('numerator', sa.BigInteger(), nullable=True),
    sa.Column('denominator', sa.BigInteger(), nullable=True),
    sa.Column('yes', sa.Integer(), nullable=False),
    sa.Column('minimum', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('maximum', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_rollup_years_indicator_id_indicators')),
    sa.ForeignKeyConstraint(['template_id'], ['report_templates.id'], name=op.f('fk_rollup_years_template_id_report_templates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_rollup_years_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_rollup_years_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', 'template_id', 'year', 'indicator_id', name=op.f('pk_rollup_years'))
    )
    # The years of the period totals already kept (same rule as lhpn/consolidation/rollups.py:
    # the year is the one in the period code, for monthly, quarterly and half-yearly forms).
    op.get_bind().execute(sa.text("""
        INSERT INTO rollup_years (unit_id, template_id, year, indicator_id, tenant_id, reports,
                                  total, numerator, denominator, yes, minimum, maximum)
        SELECT r.unit_id, r.template_id, CAST(SUBSTR(r.period, 1, 4) AS INTEGER), r.indicator_id,
               r.tenant_id, SUM(r.reports), SUM(r.total), SUM(r.numerator), SUM(r.denominator),
               SUM(r.yes), MIN(r.minimum), MAX(r.maximum)
        FROM rollups r JOIN report_templates t ON t.id = r.template_id
        WHERE t.period_type IN ('month', 'quarter', 'half')
        GROUP BY r.unit_id, r.template_id, CAST(SUBSTR(r.period, 1, 4) AS INTEGER),
                 r.indicator_id, r.tenant_id
    """))


def downgrade():
    op.drop_table('rollup_years')
