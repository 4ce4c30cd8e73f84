"""canonical period codes: one spelling per period, enforced by the database

Revision ID: 6d4fa3b27369
Revises: c3d8e1f5a7b2
Create Date: 2026-12-10 09:00:00

Period codes used to be matched with ``\\d`` and ``$``, so "2026-03\\n", "２０２６-03" and
"٢٠٢٦-03" each opened a second report beside the approved "2026-03", and approving it counted
the year twice. From here on a code holds ASCII letters, digits, "-", "_" and "." only, and a
CHECK constraint on reports.period and template_periods.code refuses anything else.

Reports already stored under another spelling:
- renamed to the canonical code (NFKC, other scripts' digits as ASCII, no surrounding spaces;
  a thematic or ad hoc occasion's name without diacritics) when no report of the same unit and
  form holds that code;
- otherwise set aside, never deleted: the code becomes ``TRUNG-<report id>`` (no period of any
  calendar form, so it cannot be submitted again), a submitted or approved one is returned to
  its unit with a comment naming the report it duplicates, and it leaves the totals. The report
  already holding the canonical code is the one of record. Every change is in the audit log.

Running totals of the tenants whose approved reports changed are recomputed here from the
approved reports, with the rules of this revision written out in SQL as the earlier revisions
did (30ada0beabd4, a4f9c2e7d310): application code may have moved on by the time an old
database is upgraded, so a migration does not import it.

Downgrade drops the constraints; renamed and set-aside reports keep their new codes.
"""
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta

from alembic import op
import sqlalchemy as sa


revision = '6d4fa3b27369'
down_revision = 'c3d8e1f5a7b2'
branch_labels = None
depends_on = None

CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
CALENDAR = {
    "month": re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])"),
    "quarter": re.compile(r"[0-9]{4}-Q[1-4]"),
    "half": re.compile(r"[0-9]{4}-H[12]"),
    "year": re.compile(r"[0-9]{4}"),
}


def canonical(column):
    return f"{column} <> '' AND TRIM({column}, '{CHARACTERS}') = ''"


def _now():
    return datetime.now(UTC).replace(tzinfo=None)


def _canonical_code(code, period_type):
    """The ASCII spelling of a stored code, or None when it has none."""
    text = unicodedata.normalize("NFKC", code)
    text = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text).strip()
    pattern = CALENDAR.get(period_type)
    if pattern is not None:
        return text if pattern.fullmatch(text) and 2000 <= int(text[:4]) <= 2100 else None
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = re.sub(r"[^A-Za-z0-9_.-]+", "-", folded).strip("-")[:40]
    return folded or None


def _shown(code):
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in code)


def upgrade():
    bind = op.get_bind()
    odd_periods = bind.execute(sa.text(
        f"SELECT id, template_id, code FROM template_periods WHERE NOT ({canonical('code')})"
    )).all()
    if odd_periods:
        # The form pages always checked these codes against the ASCII set; such a row was
        # written around the application and needs a person to decide what it means.
        listed = "; ".join(f"template_periods.id={r.id} (form {r.template_id}): {r.code!r}"
                           for r in odd_periods)
        raise RuntimeError(f"Thematic period codes outside [A-Za-z0-9_.-]: {listed}. Rename them "
                           f"(and the reports that use them) before upgrading.")

    affected = _canonicalise_reports(bind)
    stale = bind.execute(sa.text(
        f"SELECT DISTINCT tenant_id FROM rollups WHERE NOT ({canonical('period')}) UNION "
        f"SELECT DISTINCT tenant_id FROM rollup_counts WHERE NOT ({canonical('period')})"
    )).scalars().all()
    tenants = sorted(set(affected) | set(stale))
    if tenants:
        _rebuild_totals(bind, tenants)

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_reports_period_canonical'),
                                         canonical('period'))
    with op.batch_alter_table('template_periods', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_template_periods_code_canonical'),
                                         canonical('code'))


def _canonicalise_reports(bind):
    """Rename or set aside the reports whose code is not canonical; returns the tenants whose
    approved reports changed (their totals need recomputing)."""
    bad = bind.execute(sa.text(f"""
        SELECT r.id, r.unit_id, r.template_id, r.period, r.status, r.tenant_id, t.period_type
        FROM reports r JOIN report_templates t ON t.id = r.template_id
        WHERE NOT ({canonical('r.period')})
    """)).all()
    if not bad:
        return []
    bad_ids = {r.id for r in bad}
    units = sorted({r.unit_id for r in bad})
    holders = {}
    for start in range(0, len(units), 500):
        rows = bind.execute(sa.text(
            "SELECT id, unit_id, template_id, period FROM reports WHERE unit_id IN :units"
        ).bindparams(sa.bindparam("units", expanding=True)), {"units": units[start:start + 500]})
        for row in rows:
            if row.id not in bad_ids:
                holders[(row.unit_id, row.template_id, row.period)] = row.id
    reports = sa.table("reports", sa.column("id"), sa.column("period"), sa.column("status"),
                       sa.column("version"))
    events = sa.table("workflow_events", sa.column("tenant_id"), sa.column("object_type"),
                      sa.column("object_id"), sa.column("action"), sa.column("from_status"),
                      sa.column("to_status"), sa.column("actor_id"), sa.column("comment"),
                      sa.column("created_at"))
    audit = sa.table("audit_entries", sa.column("tenant_id"), sa.column("action"),
                     sa.column("object_type"), sa.column("object_id"), sa.column("summary"),
                     sa.column("data", sa.JSON))
    affected = set()
    # An approved report keeps the canonical code before a draft spelt another way.
    for row in sorted(bad, key=lambda r: (r.status != "approved", r.id)):
        code = _canonical_code(row.period, row.period_type)
        key = (row.unit_id, row.template_id, code)
        if row.status == "approved":
            affected.add(row.tenant_id)
        if code is not None and key not in holders:
            holders[key] = row.id
            bind.execute(reports.update().where(reports.c.id == row.id)
                         .values(period=code, version=reports.c.version + 1))
            bind.execute(audit.insert().values(
                tenant_id=row.tenant_id, action="report.period_canonical", object_type="report",
                object_id=str(row.id), summary=f"{_shown(row.period)} → {code}",
                data={"old": row.period, "new": code}))
            continue
        stand_in = f"TRUNG-{row.id}"
        twin = holders.get(key)
        comment = (f"Mã kỳ “{_shown(row.period)}” là cách viết khác của “{code}”, kỳ đã có báo "
                   f"cáo số {twin}. Báo cáo này được tách khỏi số liệu tổng hợp và giữ lại dưới "
                   f"mã {stand_in}.") if twin else (
                   f"Mã kỳ “{_shown(row.period)}” không phải một kỳ của biểu mẫu. Báo cáo được "
                   f"tách khỏi số liệu tổng hợp và giữ lại dưới mã {stand_in}.")
        status = "returned" if row.status in ("submitted", "approved") else row.status
        bind.execute(reports.update().where(reports.c.id == row.id)
                     .values(period=stand_in, status=status, version=reports.c.version + 1))
        if status != row.status:
            bind.execute(events.insert().values(
                tenant_id=row.tenant_id, object_type="report", object_id=row.id,
                action="return", from_status=row.status, to_status=status, actor_id=None,
                comment=comment, created_at=_now()))
        bind.execute(audit.insert().values(
            tenant_id=row.tenant_id, action="report.period_duplicate", object_type="report",
            object_id=str(row.id), summary=comment[:500],
            data={"old": row.period, "new": stand_in, "duplicate_of": twin}))
    return sorted(affected)


def _rebuild_totals(bind, tenants):
    """Running totals of ``tenants`` from their approved reports (same rules as
    lhpn/consolidation/rollups.py at this revision: every ancestor, the unit itself included;
    years of monthly, quarterly and half-yearly forms from the period totals)."""
    ids = sa.bindparam("ids", expanding=True)
    for table in ("rollups", "rollup_counts", "rollup_years"):
        bind.execute(sa.text(f"DELETE FROM {table} WHERE tenant_id IN :ids").bindparams(ids),
                     {"ids": tenants})
    bind.execute(sa.text("""
        INSERT INTO rollups (unit_id, template_id, period, indicator_id, tenant_id, reports,
                             total, numerator, denominator, yes, minimum, maximum)
        SELECT a.id, r.template_id, r.period, v.indicator_id, a.tenant_id,
               SUM(CASE WHEN v.number IS NOT NULL OR v.denominator IS NOT NULL
                             OR v.flag IS NOT NULL OR (v.text IS NOT NULL AND v.text <> '')
                        THEN 1 ELSE 0 END),
               SUM(v.number), SUM(v.numerator), SUM(v.denominator),
               SUM(CASE WHEN v.flag = TRUE OR v.number > 0 THEN 1 ELSE 0 END),
               MIN(v.number), MAX(v.number)
        FROM report_values v
        JOIN reports r ON r.id = v.report_id
        JOIN units u ON u.id = r.unit_id
        JOIN units a ON a.tenant_id = u.tenant_id AND u.path LIKE a.path || '%'
        WHERE r.status = 'approved' AND u.tenant_id IN :ids
        GROUP BY a.id, a.tenant_id, r.template_id, r.period, v.indicator_id
    """).bindparams(ids), {"ids": tenants})
    bind.execute(sa.text("""
        INSERT INTO rollup_years (unit_id, template_id, year, indicator_id, tenant_id, reports,
                                  total, numerator, denominator, yes, minimum, maximum)
        SELECT r.unit_id, r.template_id, CAST(SUBSTR(r.period, 1, 4) AS INTEGER), r.indicator_id,
               r.tenant_id, SUM(r.reports), SUM(r.total), SUM(r.numerator), SUM(r.denominator),
               SUM(r.yes), MIN(r.minimum), MAX(r.maximum)
        FROM rollups r JOIN report_templates t ON t.id = r.template_id
        WHERE t.period_type IN ('month', 'quarter', 'half') AND r.tenant_id IN :ids
        GROUP BY r.unit_id, r.template_id, CAST(SUBSTR(r.period, 1, 4) AS INTEGER),
                 r.indicator_id, r.tenant_id
    """).bindparams(ids), {"ids": tenants})
    reports = bind.execute(sa.text("""
        SELECT r.id, r.template_id, r.period, r.due_date, u.path, u.tenant_id,
               (SELECT MIN(e.created_at) FROM workflow_events e WHERE e.object_type = 'report'
                AND e.action = 'submit' AND e.object_id = r.id) AS first_submit
        FROM reports r JOIN units u ON u.id = r.unit_id
        WHERE r.status = 'approved' AND u.tenant_id IN :ids
    """).bindparams(ids), {"ids": tenants}).all()
    totals = {}
    for r in reports:
        due, first = r.due_date, r.first_submit
        if isinstance(due, str):
            due = date.fromisoformat(due)
        if isinstance(first, str):
            first = datetime.fromisoformat(first)
        # First sent by the end of the due date, Vietnam time (UTC+7).
        timely = due is None or (first is not None and (first + timedelta(hours=7)).date() <= due)
        for unit_id in (int(p) for p in r.path.strip("/").split("/")):
            entry = totals.setdefault((unit_id, r.template_id, r.period, r.tenant_id), [0, 0])
            entry[0] += 1
            entry[1] += int(timely)
    if totals:
        counts = sa.table("rollup_counts", sa.column("unit_id"), sa.column("template_id"),
                          sa.column("period"), sa.column("tenant_id"), sa.column("approved"),
                          sa.column("on_time"))
        op.bulk_insert(counts, [
            {"unit_id": u, "template_id": t, "period": p, "tenant_id": tn, "approved": a,
             "on_time": o} for (u, t, p, tn), (a, o) in totals.items()])
    # Cached pages are keyed by these counters: whatever was cached is stale now.
    bind.execute(sa.text(
        "UPDATE tenants SET figures_version = figures_version + 1, "
        "activity_version = activity_version + 1 WHERE id IN :ids").bindparams(ids),
        {"ids": tenants})


def downgrade():
    with op.batch_alter_table('template_periods', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_template_periods_code_canonical'), type_='check')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_reports_period_canonical'), type_='check')
