"""indicators bound to records; report values remember the records' count and an override's
reason; BC_THANG counts incidents, BC_NHANH_VU_VIEC loses its free-text summary

Revision ID: b4e7d2c91a05
Revises: b5e2d8c4a1f9
Create Date: 2026-12-03 20:30:00.000000

Every existing tenant's BAO_LUC and NAN_NHAN (when they are counts) are bound to the incident
records, and its monthly activity report BC_THANG gets both items after its last one, as the
starter forms are seeded (lhpn/reports/services.py seed_templates); the data is written out
here, not imported. The rapid incident report BC_NHANH_VU_VIEC loses TOM_TAT_VU_VIEC; the
summaries already written stay in report_values (read by the chain of command only).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4e7d2c91a05'
down_revision = 'b5e2d8c4a1f9'
branch_labels = None
depends_on = None

BINDINGS = {"BAO_LUC": "incidents.cases", "NAN_NHAN": "incidents.victims"}
MONTHLY = "BC_THANG"
MONTHLY_ITEMS = (("BAO_LUC", "Bảo vệ quyền, lợi ích hợp pháp", False),
                 ("NAN_NHAN", "Bảo vệ quyền, lợi ích hợp pháp", False))
RAPID = "BC_NHANH_VU_VIEC"
RETIRED = "TOM_TAT_VU_VIEC"

indicators = sa.table("indicators", sa.column("id", sa.Integer), sa.column("tenant_id", sa.Integer),
                      sa.column("code", sa.String), sa.column("kind", sa.String),
                      sa.column("binding", sa.String))
templates = sa.table("report_templates", sa.column("id", sa.Integer),
                     sa.column("tenant_id", sa.Integer), sa.column("code", sa.String))
items = sa.table("template_items", sa.column("id", sa.Integer),
                 sa.column("template_id", sa.Integer), sa.column("indicator_id", sa.Integer),
                 sa.column("position", sa.Integer), sa.column("group", sa.String),
                 sa.column("required", sa.Boolean))


def upgrade():
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('binding', sa.String(length=40), nullable=True))
    with op.batch_alter_table('report_values', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_records', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('override_reason', sa.Text(), nullable=True))

    conn = op.get_bind()
    for code, binding in BINDINGS.items():
        conn.execute(indicators.update()
                     .where(indicators.c.code == code, indicators.c.kind == "count",
                            indicators.c.binding.is_(None))
                     .values(binding=binding))
    monthly = conn.execute(sa.select(templates.c.id, templates.c.tenant_id)
                           .where(templates.c.code == MONTHLY)).all()
    for template_id, tenant_id in monthly:
        have = set(conn.execute(sa.select(items.c.indicator_id)
                                .where(items.c.template_id == template_id)).scalars())
        last = conn.execute(sa.select(sa.func.max(items.c.position))
                            .where(items.c.template_id == template_id)).scalar()
        position = -1 if last is None else last
        for code, group, required in MONTHLY_ITEMS:
            indicator_id = conn.execute(sa.select(indicators.c.id).where(
                indicators.c.tenant_id == tenant_id, indicators.c.code == code)).scalar()
            if indicator_id is None or indicator_id in have:
                continue
            position += 1
            conn.execute(items.insert().values(template_id=template_id,
                                               indicator_id=indicator_id, position=position,
                                               group=group, required=required))
    retired = sa.select(indicators.c.id).where(indicators.c.code == RETIRED)
    rapid = sa.select(templates.c.id).where(templates.c.code == RAPID)
    conn.execute(items.delete().where(items.c.template_id.in_(rapid),
                                      items.c.indicator_id.in_(retired)))


def downgrade():
    conn = op.get_bind()
    # The rapid report gets its summary item back, last; BC_THANG keeps its items (an officer
    # may have filled them) and the bindings go with their column.
    rapid = conn.execute(sa.select(templates.c.id, templates.c.tenant_id)
                         .where(templates.c.code == RAPID)).all()
    for template_id, tenant_id in rapid:
        indicator_id = conn.execute(sa.select(indicators.c.id).where(
            indicators.c.tenant_id == tenant_id, indicators.c.code == RETIRED)).scalar()
        have = conn.execute(sa.select(items.c.id).where(
            items.c.template_id == template_id, items.c.indicator_id == indicator_id)).scalar()
        if indicator_id is None or have is not None:
            continue
        last = conn.execute(sa.select(sa.func.max(items.c.position))
                            .where(items.c.template_id == template_id)).scalar()
        conn.execute(items.insert().values(template_id=template_id, indicator_id=indicator_id,
                                           position=(last or 0) + 1, group="Vụ việc",
                                           required=True))
    with op.batch_alter_table('report_values', schema=None) as batch_op:
        batch_op.drop_column('override_reason')
        batch_op.drop_column('from_records')
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_column('binding')
