"""clean control characters out of stored names and text

Revision ID: d238ad8171a0
Revises: 6d4fa3b27369
Create Date: 2026-12-10 10:00:00

Names and text used to accept C0 control characters (U+0001–U+001F, DEL); one unit named
with U+0004 made the province's Word and Excel exports fail. The services now refuse them
(lhpn/text.py); this revision cleans what is already stored:

- one-line columns (names, titles, codes, labels): each control character becomes a space,
  runs of spaces become one, the ends are trimmed (an emptied name becomes "?"); a unit code
  loses its control characters instead, and gets "-<id>" if that clashes with another code of
  its tenant; a renamed unit's search key is recomputed;
- multi-line columns (section text, narrative, text values, comments): tab, line feed and
  carriage return stay, vertical tab and form feed become line feeds, the others are dropped.

Audit entries are left as written (a record of what happened; shown escaped, never exported).
Only rows holding such a character are read and written. Nothing to undo on downgrade.
"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = 'd238ad8171a0'
down_revision = '6d4fa3b27369'
branch_labels = None
depends_on = None

ONE_LINE = {
    "tenants": ("name",),
    "units": ("name",),
    "users": ("full_name",),
    "indicators": ("name", "unit_label"),
    "report_templates": ("name",),
    "template_items": ("group",),
    "template_periods": ("label",),
    "plans": ("title", "number", "place", "signer_title", "signer_name"),
    "plan_targets": ("note",),
    "plan_activities": ("title", "lead", "coordinators", "budget_source"),
    "notifications": ("message",),
}
MULTI_LINE = {
    "indicators": ("description",),
    "plans": ("basis", "purpose", "content", "organisation", "recipients"),
    "reports": ("results", "shortcomings", "proposals"),
    "report_values": ("text",),
    "workflow_events": ("comment",),
}
# (characters a column may not hold, as a set for SQLite's GLOB and a PostgreSQL regex)
FORBIDDEN_ONE_LINE = [chr(c) for c in range(1, 32)] + ["\x7f"]
FORBIDDEN_MULTI_LINE = [ch for ch in FORBIDDEN_ONE_LINE if ch not in "\t\n\r"]
CONTROL = re.compile("[\x00-\x1f\x7f]")


def one_line(value):
    cleaned = " ".join(CONTROL.sub(" ", value).split())
    return cleaned or "?"


def multi_line(value):
    value = value.replace("\x0b", "\n").replace("\x0c", "\n")
    return re.sub("[\x00-\x08\x0e-\x1f\x7f]", "", value)


def search_key(value):
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFC", value.strip()).lower())
    return "".join(ch for ch in text.replace("đ", "d") if not unicodedata.combining(ch))


def _holding(bind, column, forbidden):
    """A condition true for the rows whose ``column`` holds one of ``forbidden``."""
    if bind.dialect.name == "postgresql":
        pattern = "[" + "".join(f"\\x{ord(ch):02x}" for ch in forbidden) + "]"
        return column.op("~")(sa.literal(pattern))
    return column.op("GLOB")(sa.literal("*[" + "".join(forbidden) + "]*"))


def _clean(bind, table_name, columns, forbidden, clean):
    table = sa.table(table_name, sa.column("id"), *(sa.column(c) for c in columns))
    changed = set()
    for name in columns:
        column = table.c[name]
        rows = bind.execute(sa.select(table.c.id, column)
                            .where(_holding(bind, column, forbidden))).all()
        for row_id, value in rows:
            bind.execute(table.update().where(table.c.id == row_id)
                         .values({name: clean(value)}))
            changed.add(row_id)
    return changed


def upgrade():
    bind = op.get_bind()
    renamed = set()
    for table_name, columns in ONE_LINE.items():
        changed = _clean(bind, table_name, columns, FORBIDDEN_ONE_LINE, one_line)
        if table_name == "units":
            renamed = changed
    for table_name, columns in MULTI_LINE.items():
        _clean(bind, table_name, columns, FORBIDDEN_MULTI_LINE, multi_line)

    units = sa.table("units", sa.column("id"), sa.column("tenant_id"), sa.column("name"),
                     sa.column("search_name"), sa.column("code"))
    for unit_id in sorted(renamed):
        name = bind.execute(sa.select(units.c.name).where(units.c.id == unit_id)).scalar_one()
        bind.execute(units.update().where(units.c.id == unit_id)
                     .values(search_name=search_key(name)[:200]))
    odd_codes = bind.execute(sa.select(units.c.id, units.c.tenant_id, units.c.code)
                             .where(_holding(bind, units.c.code, FORBIDDEN_ONE_LINE))
                             .order_by(units.c.id)).all()
    for unit_id, tenant_id, code in odd_codes:
        cleaned = CONTROL.sub("", code) or f"U{unit_id}"
        clash = bind.execute(sa.select(units.c.id).where(
            units.c.tenant_id == tenant_id, units.c.code == cleaned,
            units.c.id != unit_id)).first()
        if clash is not None:
            suffix = f"-{unit_id}"
            cleaned = cleaned[:64 - len(suffix)] + suffix
        bind.execute(units.update().where(units.c.id == unit_id).values(code=cleaned))


def downgrade():
    pass
