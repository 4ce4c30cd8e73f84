"""Keeping consolidations fresh: the approval's own transaction adds the report to the running
totals of its unit and every ancestor (one upsert statement for the values, one for the
counts), reopening takes it out again, and moving a unit rebuilds the ancestors that changed.

``rebuild`` recomputes a whole tenant from the approved reports (level by level, deepest first)
and ``subtree_values`` is the plain aggregate over the raw rows that the running totals must
always equal; tests and the benchmark compare the two.

The totals tables are not tenant-scoped models (lhpn/tenancy.py): every statement here names
its tenant or its units explicitly — the approved report's, or the tenant being rebuilt (from
the command line, inside its crossing).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    case,
    cast,
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
from lhpn.consolidation.models import SPLIT_YEAR_TYPES, Rollup, RollupCount, RollupYear
from lhpn.extensions import db
from lhpn.reports import periods as P
from lhpn.reports.models import Report, ReportTemplate, ReportValue
from lhpn.units.locks import held_units, hold_place
from lhpn.units.models import Unit
from lhpn.workflow.models import WorkflowEvent

ROLLUP = Rollup.__table__
YEARS = RollupYear.__table__
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
        .group_by(WorkflowEvent.object_id))
    return dict(rows.all())


def on_time(due, first_submitted: datetime | None) -> bool:
    """First sent by the end of its due date, Vietnam time; a report without a due date is never
    late."""
    if due is None:
        return True
    return first_submitted is not None and local_date(first_submitted) <= due


def _sum(column, new):
    return func.coalesce(column + new, column, new)


def _changed(tenant_id: int) -> None:
    from lhpn.tenant_versions import bump

    bump(db.session.connection(), [tenant_id])


# What ``add`` upserts per rollup row, besides the report's tenant, form and period.
ADD_COLUMNS = ("unit_id", "indicator_id", *STATS)
SHARED = ("tenant_id", "template_id", "period")


def _upsert(dialect: str, table, key: str):
    """The upsert adding report rows to ``table``'s totals, keyed by unit, form, ``key`` (the
    period or the year) and indicator."""
    c = table.c
    shared = ("tenant_id", "template_id", key)
    least: Callable[..., ColumnElement[Any]]
    greatest: Callable[..., ColumnElement[Any]]
    values: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        least, greatest = func.least, func.greatest
        arrays = func.unnest(*[bindparam(name, type_=postgresql.ARRAY(c[name].type))
                               for name in ADD_COLUMNS])
        rows = arrays.table_valued(*ADD_COLUMNS).render_derived()
        values = postgresql.insert(table).from_select(
            [*shared, *ADD_COLUMNS],
            select(*[bindparam(name, type_=c[name].type) for name in shared], *rows.c))
    else:
        least, greatest = func.min, func.max
        values = sqlite.insert(table)
    new = values.excluded
    return values.on_conflict_do_update(
        index_elements=[c.unit_id, c.template_id, c[key], c.indicator_id],
        set_={
            "reports": c.reports + new.reports,
            "total": _sum(c.total, new.total),
            "numerator": _sum(c.numerator, new.numerator),
            "denominator": _sum(c.denominator, new.denominator),
            "yes": c.yes + new.yes,
            "minimum": func.coalesce(least(c.minimum, new.minimum), c.minimum, new.minimum),
            "maximum": func.coalesce(greatest(c.maximum, new.maximum), c.maximum, new.maximum),
        })


@cache
def _add_statements(dialect: str):
    """``add``'s upserts (period totals, year totals, counts), built once per dialect so that
    every approval reuses their compiled form: a multi-row VALUES is compiled anew each time
    (SQLAlchemy cannot cache it), and for the ~90 rows of a report that took most of the
    approval.

    PostgreSQL gets the rollup rows as one array per column and inserts them from ``unnest``:
    one short statement with a dozen parameters, one round trip. SQLite has no arrays and no
    round trips to save: the one-row statement runs once per row (executemany), as the few
    count rows do on both.
    """
    k = COUNTS.c
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    counts = insert(COUNTS)
    counts = counts.on_conflict_do_update(
        index_elements=[k.unit_id, k.template_id, k.period],
        set_={"approved": k.approved + 1, "on_time": k.on_time + counts.excluded.on_time})
    periods, years = _upsert(dialect, ROLLUP, "period"), _upsert(dialect, YEARS, "year")
    if dialect == "postgresql":
        # Both tables in one statement: the period upsert as a data-modifying CTE, so the row
        # arrays are sent (and converted) once and the approval makes one round trip fewer.
        years = years.add_cte(periods.cte("period_totals"))
    return periods, years, counts


def year_of(report: Report) -> int | None:
    """The year whose totals the report also adds to, for forms that split the year."""
    if report.template.period_type in SPLIT_YEAR_TYPES:
        return P.year_of(report.period, report.template.period_type)
    return None


def add(report: Report) -> None:
    """Add an approved report to its unit's and every ancestor's running totals."""
    # The ancestors as committed, under the tree lock: a move cannot change them any more
    # before this approval commits, and a move after it will rebuild with it counted.
    hold_place(report.unit)
    ancestors = report.unit.ancestor_ids
    _changed(report.tenant_id)
    dialect = db.session.get_bind().dialect.name
    periods, years, counts = _add_statements(dialect)
    shared: dict[str, int | str] = {"tenant_id": report.tenant_id,
                                    "template_id": report.template_id}
    rows = [{"unit_id": unit_id, "indicator_id": value.indicator_id, **_stats(value)}
            for unit_id in ancestors
            for value in sorted(report.values, key=lambda v: v.indicator_id)]
    year = year_of(report)
    if year is None:
        targets = [(periods, {**shared, "period": report.period})]
    elif dialect == "postgresql":
        targets = [(years, {**shared, "period": report.period, "year": year})]
    else:
        targets = [(periods, {**shared, "period": report.period}),
                   (years, {**shared, "year": year})]
    for statement, keys in targets:
        if rows and dialect == "postgresql":
            db.session.execute(statement, {**keys, **{name: [row[name] for row in rows]
                                                      for name in ADD_COLUMNS}})
        elif rows:
            db.session.execute(statement, [{**keys, **row} for row in rows])
    shared["period"] = report.period
    timely = int(on_time(report.due_date, first_submissions([report.id]).get(report.id)))
    db.session.execute(counts, [{**shared, "unit_id": unit_id, "approved": 1, "on_time": timely}
                                for unit_id in ancestors])


def remove(report: Report) -> None:
    """Take a reopened report out of the running totals (its status is no longer approved)."""
    hold_place(report.unit)  # as in ``add``
    ancestors = report.unit.ancestor_ids
    _changed(report.tenant_id)
    # (table, its period or year condition, the periods whose raw rows make it up)
    targets = [(ROLLUP, ROLLUP.c.period == report.period, [report.period])]
    year = year_of(report)
    if year is not None:
        template = report.template
        codes = [p.code for p in P.periods_of_year(template.period_type, year,
                                                   template.cutoff_day)]
        targets.append((YEARS, YEARS.c.year == year, codes))
    extremes = [value.indicator_id for value in report.values if value.number is not None]
    units = held_units(ancestors) if extremes else []
    for table, when, codes in targets:
        c = table.c
        where = [c.unit_id.in_(ancestors), c.template_id == report.template_id, when]
        for value in report.values:
            stats = _stats(value)
            db.session.execute(update(table).where(*where, c.indicator_id == value.indicator_id)
                               .values(reports=c.reports - stats["reports"],
                                       total=_minus(c.total, stats["total"]),
                                       numerator=_minus(c.numerator, stats["numerator"]),
                                       denominator=_minus(c.denominator, stats["denominator"]),
                                       yes=c.yes - stats["yes"]))
        # A minimum or maximum cannot be taken back by arithmetic: ask the remaining reports.
        for unit in units:
            found = {row.indicator_id: row for row in _raw_query(
                unit, [report.template_id], codes, extremes)}
            for indicator_id in extremes:
                row = found.get(indicator_id)
                db.session.execute(
                    update(table).where(c.unit_id == unit.id, c.template_id == report.template_id,
                                        when, c.indicator_id == indicator_id)
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


def aggregates(source) -> list:
    """Σ of each statistic of ``source`` (a table, alias or subquery with the statistics
    columns), and the minimum and maximum of its extremes: how running totals add up."""
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
    stmt = (select(sub.c.indicator_id, *aggregates(sub))
            .group_by(sub.c.indicator_id))
    return db.session.execute(stmt).all()


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
    db.session.execute(delete(YEARS).where(YEARS.c.tenant_id == tenant_id))
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
                              both.c.indicator_id, literal(tenant_id, Integer), *aggregates(both))
                       .group_by(both.c.unit_id, both.c.template_id, both.c.period,
                                 both.c.indicator_id))
        db.session.execute(ROLLUP.insert().from_select(
            ["unit_id", "template_id", "period", "indicator_id", "tenant_id", *STATS],
            select_rows))
    _rebuild_years(ROLLUP.c.tenant_id == tenant_id)
    _rebuild_counts(tenant_id, None)


def rebuild_units(units: Iterable[Unit]) -> None:
    """Recompute the running totals of some units (e.g. the ancestors a move changed)."""
    db.session.flush()
    for unit in units:
        _changed(unit.tenant_id)
        db.session.execute(delete(ROLLUP).where(ROLLUP.c.unit_id == unit.id))
        db.session.execute(delete(COUNTS).where(COUNTS.c.unit_id == unit.id))
        db.session.execute(delete(YEARS).where(YEARS.c.unit_id == unit.id))
        rows = _subtree_rows(unit).subquery()
        db.session.execute(ROLLUP.insert().from_select(
            ["unit_id", "tenant_id", "template_id", "period", "indicator_id", *STATS],
            select(literal(unit.id, Integer), literal(unit.tenant_id, Integer),
                   rows.c.template_id, rows.c.period, rows.c.indicator_id, *aggregates(rows))
            .group_by(rows.c.template_id, rows.c.period, rows.c.indicator_id)))
        _rebuild_years(ROLLUP.c.unit_id == unit.id)
        _rebuild_counts(unit.tenant_id, unit)


def _rebuild_years(where) -> None:
    """Add the period totals chosen by ``where`` up into their years, for forms that split the
    year (the same rule as ``year_of``)."""
    r, t = ROLLUP.c, ReportTemplate.__table__.c
    year = cast(func.substr(r.period, 1, 4), Integer)
    db.session.execute(YEARS.insert().from_select(
        ["unit_id", "template_id", "year", "indicator_id", "tenant_id", *STATS],
        select(r.unit_id, r.template_id, year, r.indicator_id, r.tenant_id,
               *aggregates(ROLLUP))
        .select_from(ROLLUP.join(ReportTemplate.__table__, t.id == r.template_id))
        .where(where, t.period_type.in_(SPLIT_YEAR_TYPES))
        .group_by(r.unit_id, r.template_id, year, r.indicator_id, r.tenant_id)))


def _rebuild_counts(tenant_id: int, top: Unit | None) -> None:
    stmt = (select(Report.id, Report.template_id, Report.period, Report.due_date, Unit.path)
            .join(Unit, Unit.id == Report.unit_id)
            .where(Unit.tenant_id == tenant_id, Report.status == "approved"))
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
