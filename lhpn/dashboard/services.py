"""Reading what a user's dashboard shows, always within their reach (lhpn.authz).

Every read here is a fixed number of statements, whatever the size of the tree: lists of units
are filtered in SQL by ``authz.reachable``, reports are fetched for all units at once, and the
charts read the consolidation's running totals (fresh at every approval).
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, lazyload

from lhpn import authz
from lhpn.consolidation import services as consolidation
from lhpn.errors import NotFound
from lhpn.extensions import db
from lhpn.indicators.models import Indicator
from lhpn.reports import periods as P
from lhpn.reports.models import Report, ReportTemplate
from lhpn.reports.services import inbox, templates_of
from lhpn.text import nfc, search_key
from lhpn.units.models import Unit

MAX_TASK_UNITS = 50     # a staff member files for one unit, rarely a few
MAX_WAITING = 10        # the inbox page lists the rest
MAX_TREND = 24
OPEN = ("draft", "returned")
NUMERIC = ("count", "decimal", "rate")


# ---- who and where --------------------------------------------------------------------------

def reach_counts(user) -> dict[str, int]:
    """How many units the user may view, manage, approve for and file for (one statement)."""
    actions = ("view", "manage", "approve", "submit")
    row = db.session.execute(select(*[
        func.coalesce(func.sum(case((authz.reachable(user, action), 1), else_=0)), 0)
        for action in actions]).select_from(Unit).where(Unit.tenant_id == user.tenant_id)).one()
    return {action: int(count) for action, count in zip(actions, row, strict=True)}


def home_unit(user) -> Unit | None:
    """The highest unit the user may view: where their dashboard starts."""
    return db.session.scalars(select(Unit).where(authz.reachable(user, "view"))
                              .order_by(Unit.depth, Unit.path).limit(1)).first()


def unit_levels(unit: Unit) -> list[str]:
    """Levels worth a dashboard (those with units below): what the unit picker offers."""
    return [level for level in unit.tenant.levels if level not in ("branch", "group")]


def dashboard_forms(unit: Unit) -> list[ReportTemplate]:
    """Forms with a calendar (ad hoc reports have no periods to chart)."""
    return [t for t in consolidation.forms_for(unit) if t.period_type != "adhoc"]


# ---- what to do -----------------------------------------------------------------------------

@dataclass
class Task:
    """A report a unit the user files for still has to send."""

    unit: Unit
    template: ReportTemplate
    period: str
    label: str
    due_date: date
    report: Report | None
    days_late: int  # > 0: overdue by that many days; ≤ 0: due in that many days

    @property
    def state(self) -> str:
        return self.report.status if self.report else "not_started"


def _calendar(template: ReportTemplate, today: date) -> list[tuple[str, str, date]]:
    if template.period_type == "thematic":
        return [(tp.code, tp.label, tp.due_date) for tp in template.periods]
    out = []
    for year in (today.year - 1, today.year):
        for p in P.periods_of_year(template.period_type, year, template.cutoff_day):
            out.append((p.code, P.label(p.code, template.period_type),
                        P.due_date(p, template.due_day, template.due_months_after)))
    return out


@dataclass(frozen=True)
class ReportDue:
    """A form's period falling due: for the calendar (lhpn/agenda)."""

    template: ReportTemplate
    period: str
    label: str
    due_date: date


def report_due_dates(user, start: date, end: date) -> list[ReportDue]:
    """The due dates between ``start`` and ``end`` (both included, at most a year apart) of
    the forms that the levels of the units ``user`` views send: two statements."""
    levels = set(db.session.scalars(select(Unit.level).where(authz.reachable(user, "view"))
                                    .distinct()))
    if not levels:
        return []
    out = []
    for template in db.session.scalars(templates_of(user.tenant_id)):
        if template.period_type == "adhoc" or not levels & set(template.level_list):
            continue
        out += [ReportDue(template, code, label, due) for code, label, due
                in _calendar(template, end) if start <= due <= end]
    return sorted(out, key=lambda r: (r.due_date, search_key(r.template.name), r.period))


def current_and_previous(template: ReportTemplate, today: date) -> list[tuple[str, str, date]]:
    """The latest period already due (the previous one) and the next one coming due (the
    current one): what a unit must have sent or is about to send."""
    entries = sorted(_calendar(template, today), key=lambda e: e[2])
    past = [e for e in entries if e[2] < today]
    coming = [e for e in entries if e[2] >= today]
    return past[-1:] + coming[:1]


def tasks(user, today: date) -> list[Task]:
    """Reports not yet sent up for the current and previous period, for the units the user
    files for (only periods due after the unit opened): three statements whatever the number
    of units."""
    units = db.session.scalars(
        select(Unit).where(authz.reachable(user, "submit"), ~Unit.closed)
        .order_by(Unit.path).limit(MAX_TASK_UNITS)).all()
    if not units:
        return []
    wanted = []
    for template in db.session.scalars(templates_of(user.tenant_id)):
        if template.period_type == "adhoc":
            continue
        windows = current_and_previous(template, today)
        wanted += [(unit, template, entry) for unit in units
                   if unit.level in template.level_list for entry in windows]
    if not wanted:
        return []
    found = {(r.unit_id, r.template_id, r.period): r for r in db.session.scalars(
        select(Report).where(Report.tenant_id == user.tenant_id,
                             Report.unit_id.in_({u.id for u, _t, _e in wanted}),
                             Report.template_id.in_({t.id for _u, t, _e in wanted}),
                             Report.period.in_({e[0] for _u, _t, e in wanted})))}
    out = []
    for unit, template, (code, label, due) in wanted:
        report = found.get((unit.id, template.id, code))
        if report is None and not consolidation.owes_report(unit.opened_on, unit.closed,
                                                            unit.closed_at, due):
            continue  # due before the unit opened: nothing to send, unless it started one
        if report is None or report.status in OPEN:
            out.append(Task(unit, template, code, label, due, report, (today - due).days))
    return sorted(out, key=lambda t: (t.due_date, t.unit.path, search_key(t.template.name)))


def waiting(user) -> tuple[list[Report], int]:
    """The first submissions waiting for this approver, and how many there are."""
    stmt = inbox(user)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    if not total:
        return [], 0
    # The list shows unit, form and period: not the values, nor the form's items.
    shown = stmt.options(lazyload(Report.values), joinedload(Report.template)
                         .lazyload(ReportTemplate.items)).limit(MAX_WAITING)
    return list(db.session.scalars(shown)), int(total)


@dataclass
class Lagging:
    """A child whose subtree has not all its reports approved."""

    unit: Unit
    expected: int
    approved: int

    @property
    def missing(self) -> int:
        return self.expected - self.approved


@dataclass
class LateChildren:
    unit: Unit
    template: ReportTemplate
    period: str
    label: str
    due_date: date
    days_late: int
    children: list[Lagging]


def late_children(unit: Unit, template: ReportTemplate, today: date,
                  build=None) -> LateChildren | None:
    """The children of ``unit`` with reports still not approved for the form's latest period
    that is past its due date, with how many of their subtree's reports are missing (the same
    counts as the consolidation page). Closed children are left out: they owe nothing new.
    ``build(codes)`` may give the consolidation of the period when the caller has it already."""
    code = consolidation.default_period(template, today)
    if not code:
        return None
    _found, due = P.period_of(template, code)
    days = (today - due).days
    if days <= 0:
        return LateChildren(unit, template, code, P.period_label(template, code), due, days, [])
    # The consolidation's running totals already count approved reports per child; expected
    # reports come from one scan of the subtree's units (lhpn/consolidation/services.py).
    if build is not None:
        result = build([code])
    else:
        result = consolidation.consolidate(unit, template, [code], attainment=False)
    lagging = [Lagging(row.unit, row.counts.expected, row.counts.approved)
               for row in result.children
               if not row.unit.closed and row.counts.approved < row.counts.expected]
    lagging.sort(key=lambda lag: (-lag.missing, search_key(lag.unit.name)))
    return LateChildren(unit, template, code, P.period_label(template, code), due, days,
                        lagging)


# ---- the charts -------------------------------------------------------------------------------

def chart_indicators(template: ReportTemplate) -> list[Indicator]:
    """Indicators whose consolidated value is a number to chart, numeric kinds first."""
    usable = [item.indicator for item in template.items
              if item.indicator.kind != "text" and item.indicator.aggregation != "none"]
    return ([i for i in usable if i.kind in NUMERIC] + [i for i in usable if i.kind not in NUMERIC])


def pick_indicator(template: ReportTemplate, code: object) -> Indicator | None:
    choices = chart_indicators(template)
    if code in (None, ""):
        return choices[0] if choices else None
    wanted = nfc(str(code)).upper()
    for indicator in choices:
        if indicator.code == wanted:
            return indicator
    raise NotFound(_("Chỉ tiêu %(c)s không có trong biểu mẫu này.", c=str(code)[:40]))


def trend_periods(template: ReportTemplate, code: str) -> list[str]:
    """The periods of the year the chosen period falls in (or the form's own list)."""
    parsed = P.parse(code, template.period_type, template.cutoff_day)
    year = parsed.end.year if parsed else P.period_of(template, code)[1].year
    return consolidation.recent_periods(template, year)[-MAX_TREND:]


@dataclass
class Point:
    period: str
    label: str
    value: int | float | None


@dataclass
class Charts:
    result: consolidation.Consolidation
    completeness: list[consolidation.Row]  # children that owe reports, worst first
    indicator: Indicator | None
    trend: list[Point]


def charts(unit: Unit, template: ReportTemplate, period: str,
           indicator: Indicator | None, build=None) -> Charts:
    result = (build or (lambda codes: consolidation.consolidate(unit, template, codes)))([period])
    rows = [r for r in result.children if r.counts.expected]
    rows.sort(key=lambda r: (r.counts.completeness, r.counts.timeliness, search_key(r.unit.name)))
    points = []
    if indicator is not None:
        codes = trend_periods(template, period)
        values = consolidation.trend(unit, template, indicator, codes)
        points = [Point(code, label, value)
                  for code, (label, value) in zip(codes, values, strict=True)]
    return Charts(result, rows, indicator, points)
