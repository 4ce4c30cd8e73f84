"""Keeping consolidations fresh: the approval's own transaction adds the report to the running
totals of its unit and every ancestor (one upsert statement for the values, one for the
counts), reopening takes it out again, and moving a unit rebuilds the ancestors that changed.

``rebuild`` recomputes a whole tenant from the approved reports (level by level, deepest first)
and ``subtree_values`` is the plain aggregate over the raw rows that the running totals must
always equal; tests and the benchmark compare the two.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    Integer,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from lhpn.clock import local_date
from lhpn.consolidation.models import Rollup, RollupCount
from lhpn.extensions import db
from lhpn.reports.models import Report, ReportValue
from lhpn.units.models import Unit
from lhpn.workflow.models import WorkflowEvent

ROLLUP = Rollup.__table__
COUNTS = RollupCount.__table__
STATS = ("reports", "total", "numerator", "denominator", "yes", "minimum", "maximum")


# ---- what one report adds ------------------------------------------------------------------------

def _stats(value: ReportValue) -> dict:
    has = (value.number is not None or value.denominator is not None
           or value.flag is not None or bool(value.text))
    yes = value.flag is True or (value.number is not None and value.number > 0)
    return {"reports": int(has), "total": value.number, "numerator": value.numerator,
            "denominator": value.denominator, "yes": int(yes), "minimum": value.number,
            "maximum": value.number}


def first_submissions(report_ids: Iterable[int]) -> dict[int, datetime]:
    """report id → when it was first submitted (a resubmission after a return does not count)."""
    ids = list(report_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(WorkflowEvent.object_id, func.min(WorkflowEvent.created_at))
        .where(WorkflowEvent.object_type == "report", WorkflowEvent.action == "submit",
               WorkflowEvent.object_id.in_(ids))
        .group_by(WorkflowEvent.object_id)
        .execution_options(all_tenants=True))
    return dict(rows.all())


def on_time(due, first_submitted: datetime | None) -> bool:
    """First sent by the end of its due date, Vietnam time; a report without a due date is never
    late."""
    if due is None:
        return True
    return first_submitted is not None and local_date(first_submitted) <= due


def _dialect():
    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert, func.least, func.greatest
    return sqlite.insert, func.min, func.max


def _sum(column, new):
    return func.coalesce(column + new, column, new)


def _changed(tenant_id: int) -> None:
    from lhpn.consolidation.freshness import bump

    bump(db.session.connection(), [tenant_id])


def add(report: Report) -> None:
    """Add an approved report to its unit's and every ancestor's running totals."""
    _changed(report.tenant_id)
    insert, least, greatest = _dialect()
    ancestors = report.unit.ancestor_ids
    base = {"tenant_id": report.tenant_id, "template_id": report.template_id,
            "period": report.period}
    rows = [{**base, "unit_id": unit_id, "indicator_id": value.indicator_id, **_stats(value)}
            for unit_id in ancestors
            for value in sorted(report.values, key=lambda v: v.indicator_id)]
    if rows:
        stmt = insert(ROLLUP).values(rows)
        new = stmt.excluded
        c = ROLLUP.c
        db.session.execute(stmt.on_conflict_do_update(
            index_elements=[c.unit_id, c.template_id, c.period, c.indicator_id],
            set_={
                "reports": c.reports + new.reports,
                "total": _sum(c.total, new.total),
                "numerator": _sum(c.numerator, new.numerator),
                "denominator": _sum(c.denominator, new.denominator),
                "yes": c.yes + new.yes,
                "minimum": func.coalesce(least(c.minimum, new.minimum), c.minimum, new.minimum),
                "maximum": func.coalesce(greatest(c.maximum, new.maximum), c.maximum,
                                         new.maximum),
            }))
    timely = int(on_time(report.due_date, first_submissions([report.id]).get(report.id)))
    stmt = insert(COUNTS).values([{**base, "unit_id": unit_id, "approved": 1, "on_time": timely}
                                  for unit_id in ancestors])
    c = COUNTS.c
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[c.unit_id, c.template_id, c.period],
        set_={"approved": c.approved + 1, "on_time": c.on_time + stmt.excluded.on_time}))


def remove(report: Report) -> None:
    """Take a reopened report out of the running totals (its status is no longer approved)."""
    _changed(report.tenant_id)
    ancestors = report.unit.ancestor_ids
    c = ROLLUP.c
    where = [c.unit_id.in_(ancestors), c.template_id == report.template_id,
             c.period == report.period]
    extremes = []
    for value in report.values:
        stats = _stats(value)
        db.session.execute(update(ROLLUP).where(*where, c.indicator_id == value.indicator_id)
                           .values(reports=c.reports - stats["reports"],
                                   total=_minus(c.total, stats["total"]),
                                   numerator=_minus(c.numerator, stats["numerator"]),
                                   denominator=_minus(c.denominator, stats["denominator"]),
                                   yes=c.yes - stats["yes"]))
        if value.number is not None:
            extremes.append(value.indicator_id)
    if extremes:
        # A minimum or maximum cannot be taken back by arithmetic: ask the remaining reports.
        for unit in db.session.scalars(select(Unit).where(Unit.id.in_(ancestors))):
            found = {row.indicator_id: row for row in _raw_query(
                unit, [report.template_id], [report.period], extremes)}
            for indicator_id in extremes:
                row = found.get(indicator_id)
                db.session.execute(
                    update(ROLLUP).where(c.unit_id == unit.id, c.template_id == report.template_id,
                                         c.period == report.period, c.indicator_id == indicator_id)
                    .values(minimum=row.minimum if row else None,
                            maximum=row.maximum if row else None))
    timely = int(on_time(report.due_date, first_submissions([report.id]).get(report.id)))
    k = COUNTS.c
    db.session.execute(update(COUNTS).where(
        k.unit_id.in_(ancestors), k.template_id == report.template_id,
        k.period == report.period).values(approved=k.approved - 1, on_time=k.on_time - timely))


def _minus(column, amount):
    if amount is None:
        return column
    return column - amount


# ---- the plain aggregate over raw rows -----------------------------------------------------------

def _value_columns():
    v = ReportValue
    has = or_(v.number.is_not(None), v.denominator.is_not(None), v.flag.is_not(None),
              and_(v.text.is_not(None), v.text != ""))
    yes = or_(v.flag.is_(True), v.number > 0)
    return [
        case((has, 1), else_=0).label("reports"),
        v.number.label("total"), v.numerator.label("numerator"),
        v.denominator.label("denominator"),
        case((yes, 1), else_=0).label("yes"),
        v.number.label("minimum"), v.number.label("maximum"),
    ]


def _aggregates(source):
    return [func.sum(source.c.reports).label("reports"), func.sum(source.c.total).label("total"),
            func.sum(source.c.numerator).label("numerator"),
            func.sum(source.c.denominator).label("denominator"),
            func.sum(source.c.yes).label("yes"), func.min(source.c.minimum).label("minimum"),
            func.max(source.c.maximum).label("maximum")]


def _subtree_rows(unit: Unit):
    """The approved values of ``unit``'s subtree, one row per value (form, period, indicator and
    its statistics): what both the reference aggregate and a unit's rebuild add up."""
    return (select(Report.template_id, Report.period, ReportValue.indicator_id, *_value_columns())
            .select_from(ReportValue)
            .join(Report, Report.id == ReportValue.report_id)
            .join(Unit, Unit.id == Report.unit_id)
            .where(Unit.tenant_id == unit.tenant_id,
                   Unit.path.startswith(unit.path, autoescape=True),
                   Report.status == "approved"))


def _raw_query(unit: Unit, template_ids, periods, indicator_ids=None):
    """Per indicator (and form and period), the approved values of ``unit``'s subtree."""
    rows = _subtree_rows(unit).where(Report.template_id.in_(list(template_ids)))
    if periods is not None:
        rows = rows.where(Report.period.in_(list(periods)))
    if indicator_ids is not None:
        rows = rows.where(ReportValue.indicator_id.in_(list(indicator_ids)))
    sub = rows.subquery()
    stmt = (select(sub.c.indicator_id, *_aggregates(sub))
            .group_by(sub.c.indicator_id))
    return db.session.execute(stmt.execution_options(all_tenants=True)).all()


def subtree_values(unit: Unit, template_id: int, periods: list[str]) -> dict[int, dict]:
    """indicator id → statistics over the approved raw values of the subtree and periods: what the
    running totals must add up to."""
    return {row.indicator_id: {k: getattr(row, k) for k in STATS}
            for row in _raw_query(unit, [template_id], periods)}


# ---- rebuilding --------------------------------------------------------------------------------

def rebuild(tenant_id: int) -> None:
    """Recompute every running total of a tenant from its approved reports."""
    db.session.flush()
    _changed(tenant_id)
    db.session.execute(delete(ROLLUP).where(ROLLUP.c.tenant_id == tenant_id))
    db.session.execute(delete(COUNTS).where(COUNTS.c.tenant_id == tenant_id))
    deepest = db.session.scalar(select(func.max(Unit.depth)).where(Unit.tenant_id == tenant_id))
    if deepest is None:
        return
    for depth in range(deepest, -1, -1):
        own = (select(Report.unit_id.label("unit_id"), Report.template_id, Report.period,
                      ReportValue.indicator_id, *_value_columns())
               .select_from(ReportValue)
               .join(Report, Report.id == ReportValue.report_id)
               .join(Unit, Unit.id == Report.unit_id)
               .where(Unit.tenant_id == tenant_id, Unit.depth == depth,
                      Report.status == "approved"))
        child = Unit.__table__.alias("child")
        below = (select(child.c.parent_id.label("unit_id"), ROLLUP.c.template_id,
                        ROLLUP.c.period, ROLLUP.c.indicator_id,
                        *[ROLLUP.c[k] for k in STATS])
                 .select_from(ROLLUP.join(child, child.c.id == ROLLUP.c.unit_id))
                 .where(child.c.tenant_id == tenant_id, child.c.depth == depth + 1))
        both = union_all(own, below).subquery()
        select_rows = (select(both.c.unit_id, both.c.template_id, both.c.period,
                              both.c.indicator_id, literal(tenant_id, Integer), *_aggregates(both))
                       .group_by(both.c.unit_id, both.c.template_id, both.c.period,
                                 both.c.indicator_id))
        db.session.execute(ROLLUP.insert().from_select(
            ["unit_id", "template_id", "period", "indicator_id", "tenant_id", *STATS],
            select_rows))
    _rebuild_counts(tenant_id, None)


def rebuild_units(units: Iterable[Unit]) -> None:
    """Recompute the running totals of some units (e.g. the ancestors a move changed)."""
    db.session.flush()
    for unit in units:
        _changed(unit.tenant_id)
        db.session.execute(delete(ROLLUP).where(ROLLUP.c.unit_id == unit.id))
        db.session.execute(delete(COUNTS).where(COUNTS.c.unit_id == unit.id))
        rows = _subtree_rows(unit).subquery()
        db.session.execute(ROLLUP.insert().from_select(
            ["unit_id", "tenant_id", "template_id", "period", "indicator_id", *STATS],
            select(literal(unit.id, Integer), literal(unit.tenant_id, Integer),
                   rows.c.template_id, rows.c.period, rows.c.indicator_id, *_aggregates(rows))
            .group_by(rows.c.template_id, rows.c.period, rows.c.indicator_id)))
        _rebuild_counts(unit.tenant_id, unit)


def _rebuild_counts(tenant_id: int, top: Unit | None) -> None:
    stmt = (select(Report.id, Report.template_id, Report.period, Report.due_date, Unit.path)
            .join(Unit, Unit.id == Report.unit_id)
            .where(Unit.tenant_id == tenant_id, Report.status == "approved")
            .execution_options(all_tenants=True))
    if top is not None:
        stmt = stmt.where(Unit.path.startswith(top.path, autoescape=True))
    reports = db.session.execute(stmt).all()
    firsts: dict[int, datetime] = {}
    ids = [r.id for r in reports]
    for start in range(0, len(ids), 5000):
        firsts.update(first_submissions(ids[start:start + 5000]))
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for r in reports:
        timely = int(on_time(r.due_date, firsts.get(r.id)))
        targets = [top.id] if top is not None else [int(p) for p in r.path.strip("/").split("/")]
        for unit_id in targets:
            entry = totals[(unit_id, r.template_id, r.period)]
            entry[0] += 1
            entry[1] += timely
    rows = [{"unit_id": u, "template_id": t, "period": p, "tenant_id": tenant_id,
             "approved": a, "on_time": o} for (u, t, p), (a, o) in totals.items()]
    for start in range(0, len(rows), 5000):
        db.session.execute(COUNTS.insert(), rows[start:start + 5000])


def changed_by_move(old_path: str, new_path: str) -> list[int]:
    """Ancestors whose subtree a move changes: those not shared by the old and new places."""
    old = [int(p) for p in old_path.strip("/").split("/")][:-1]
    new = [int(p) for p in new_path.strip("/").split("/")][:-1]
    return sorted(set(old) ^ set(new))
