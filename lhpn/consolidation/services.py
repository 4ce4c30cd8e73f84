"""Reading a consolidation: the running totals of a unit and its children for a form and one
period or a range of periods, how complete and timely the reporting was, and how the units
meet the plan's targets.

Aggregation rules (DESIGN.md §6), over every approved report of the subtree in the periods:
- sum: Σ values; min / max: the smallest / largest value;
- share: % of the reports that say "yes" (a true flag, or a number above zero);
- rate indicators: Σ numerators / Σ denominators × 100, never an average of rates;
- none (text): not aggregated, only how many reports answered.
Completeness is approved / expected and timeliness on time / expected, where a report is on
time when it was first submitted by the end of its due date (Vietnam time) and is approved; a
return and a later resubmission do not make it late. A unit is expected to report for a
period when it opened before the period's due date and is open, or was closed after the due
date (``owes_report``), or when it sent an approved report for it anyway. The same rule makes
the expected count (the denominator), the dashboard's lists and the calendar. The tree is the
tree of today: a unit that moved brings its reports along.
Plan attainment follows the plans a unit marked as its programme of work for the year
(``Plan.counted``, approved): the unit's own, else those of the nearest unit above it that has
some (lhpn/plans/services.py ``counted_plans``); approving any other plan changes nothing.
Each counted plan's targets are shown under its own number. Annual targets are compared with
the year to date: for a form whose periods split the year (month, quarter, half-year), every
period of the plan's year up to the last one shown, aggregated as the indicator says (a sum
over the months so far, a rate as Σ numerators / Σ denominators, …); for other forms, the
periods shown. ``attainment_scope="periods"`` compares with the periods shown instead. A
qualitative target is met by a unit that said it was done.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from flask_babel import gettext as _
from sqlalchemy import false, func, select

from lhpn.clock import local_date
from lhpn.consolidation.models import SPLIT_YEAR_TYPES, Rollup, RollupCount, RollupYear
from lhpn.consolidation.rollups import aggregates
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.indicators.bindings import is_protected
from lhpn.indicators.models import Indicator
from lhpn.plans.models import Plan, PlanTarget, TargetCheck
from lhpn.plans.services import counted_plans
from lhpn.reports import periods as P
from lhpn.reports.models import Report, ReportTemplate, TemplateItem
from lhpn.tenancy import crossing_tenants, require_scope
from lhpn.text import search_key
from lhpn.units.models import Unit
from lhpn.units.picker import SEPARATOR, parent_chains

MAX_PERIODS = 60


_STAT_COLUMNS = aggregates(Rollup.__table__)


# ---- periods -------------------------------------------------------------------------------------

def _sequence(template: ReportTemplate) -> list[str] | None:
    """Every period code of the form in order, for forms whose periods are a finite list."""
    if template.period_type in ("thematic", "adhoc"):
        return [tp.code for tp in template.periods]
    return None


def resolve_periods(template: ReportTemplate, period: object = None, start: object = None,
                    end: object = None) -> list[str]:
    """One period, or every period from ``start`` to ``end`` inclusive; bad codes are refused."""
    if period not in (None, ""):
        if start not in (None, "") or end not in (None, ""):
            raise DomainError(_("Chọn một kỳ, hoặc một khoảng từ kỳ … đến kỳ …, không cả hai."),
                              "period")
        found, _due = P.period_of(template, period)
        return [found.code]
    if start in (None, "") or end in (None, ""):
        raise DomainError(_("Hãy chọn kỳ báo cáo (hoặc cả kỳ đầu và kỳ cuối)."), "period")
    first, _due = P.period_of(template, start)
    last, _due = P.period_of(template, end)
    listed = _sequence(template)
    if listed is not None:
        i, j = listed.index(first.code), listed.index(last.code)
        codes = listed[i:j + 1]
    else:
        codes = []
        for year in range(first.end.year, last.end.year + 1):
            for p in P.periods_of_year(template.period_type, year, template.cutoff_day):
                if first.end <= p.end <= last.end:
                    codes.append(p.code)
    if not codes:
        raise DomainError(_("Kỳ đầu phải trước hoặc trùng kỳ cuối."), "to")
    if len(codes) > MAX_PERIODS:
        raise DomainError(_("Khoảng thời gian dài quá %(n)d kỳ.", n=MAX_PERIODS), "to")
    return codes


def periods_label(template: ReportTemplate, codes: list[str]) -> str:
    if len(codes) == 1:
        return P.period_label(template, codes[0])
    return f"{P.period_label(template, codes[0])} – {P.period_label(template, codes[-1])}"


def period_choices(template: ReportTemplate, shown: str | None = None
                   ) -> list[tuple[str, str]]:
    """(code, label) of the periods to pick from, oldest first: the year of ``shown`` (default
    this year) and the one before, or the form's own list of periods."""
    from lhpn.clock import local_today

    parsed = P.parse(shown, template.period_type, template.cutoff_day) if shown else None
    year = parsed.end.year if parsed else local_today().year
    codes = recent_periods(template, year)
    if _sequence(template) is None:
        codes = recent_periods(template, year - 1) + codes
    return [(code, P.period_label(template, code)) for code in dict.fromkeys(codes)]


def recent_periods(template: ReportTemplate, year: int) -> list[str]:
    listed = _sequence(template)
    if listed is not None:
        return listed
    return [p.code for p in P.periods_of_year(template.period_type, year, template.cutoff_day)]


# ---- figures -------------------------------------------------------------------------------------

@dataclass
class Figure:
    """What the approved values of one indicator add up to."""

    indicator: Indicator
    reports: int = 0
    total: Decimal | None = None
    numerator: int | None = None
    denominator: int | None = None
    yes: int = 0
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    @classmethod
    def of(cls, indicator: Indicator, row) -> "Figure":
        reports, total, num, den, yes, low, high = row
        return cls(indicator, int(reports or 0), _dec(total), _int(num), _int(den),
                   int(yes or 0), _dec(low), _dec(high))

    @property
    def value(self) -> int | float | None:
        return figure_value(self.indicator, self.reports, self.total, self.numerator,
                            self.denominator, self.yes, self.minimum, self.maximum)


def figure_value(indicator: Indicator, reports, total, numerator, denominator, yes, minimum,
                 maximum) -> int | float | None:
    """The consolidated value of one indicator from its summed statistics (the aggregation
    rules above); also called on raw result rows where thousands of units are compared."""
    kind, how = indicator.kind, indicator.aggregation
    if kind == "rate":
        if not denominator:
            return None
        return round(float(Decimal(numerator or 0) * 100 / Decimal(denominator)), 1)
    if kind == "text" or how == "none" or not reports:
        return None
    if how == "share":
        return round(int(yes or 0) * 100 / int(reports), 1)
    if kind == "boolean":
        yes, reports = int(yes or 0), int(reports)
        return {"sum": yes, "min": int(yes == reports), "max": int(yes > 0)}.get(how)
    return _plain({"sum": total, "min": minimum, "max": maximum}.get(how))


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _int(value) -> int | None:
    return None if value is None else int(value)


def _plain(number: Decimal | None) -> int | float | None:
    if number is None:
        return None
    number = Decimal(str(number)).quantize(Decimal("0.0001"))
    return int(number) if number == number.to_integral_value() else float(number)


@dataclass
class Counts:
    expected: int = 0
    approved: int = 0
    on_time: int = 0

    @property
    def completeness(self) -> float | None:
        return round(self.approved * 100 / self.expected, 1) if self.expected else None

    @property
    def timeliness(self) -> float | None:
        return round(self.on_time * 100 / self.expected, 1) if self.expected else None


@dataclass
class Row:
    """One unit's line of a consolidation (a child in the drill-down)."""

    unit: Unit
    counts: Counts
    figures: dict[int, Figure]
    # Indicators whose small count this reader sees as "< 3" (lhpn/consolidation/small_cells.py).
    small: frozenset[int] = frozenset()

    def value(self, indicator_id: int):
        figure = self.figures.get(indicator_id)
        return figure.value if figure else None

    def cell(self, indicator_id: int) -> int | float | str | None:
        """The value as the breakdown shows it: exact, or "< 3" for a small sensitive count."""
        if indicator_id in self.small:
            return "< 3"
        return self.value(indicator_id)


class UnitRow(Protocol):
    """A unit as attainment reads it: a row of its id, name, code, level and path."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def path(self) -> str: ...


@dataclass
class Miss:
    unit: UnitRow
    value: int | float | None
    parents: str = ""  # "xã Minh Tân — huyện Hưng Hà": 154 branches share a name
    label: str = ""    # the name with its parents, and its code if a sibling has the same name
    # Qualitative targets: False when the unit said "not done" (with its note), None when it
    # has not answered.
    done: bool | None = None
    note: str = ""


@dataclass
class Attainment:
    target: PlanTarget
    units: int
    met: int
    misses: list[Miss] = field(default_factory=list)
    in_form: bool = True

    @property
    def plan(self) -> Plan:
        return self.target.plan

    @property
    def share_met(self) -> float | None:
        return round(self.met * 100 / self.units, 1) if self.units else None

    @property
    def attained(self) -> bool:
        if not self.units:
            return False
        if self.target.kind == "share":
            return self.met * 100 >= float(self.target.measured_value) * self.units
        return self.met == self.units


@dataclass
class Consolidation:
    unit: Unit
    template: ReportTemplate
    periods: list[str]
    label: str
    items: list[TemplateItem]
    own: Row
    children: list[Row]
    plans: list[Plan]                 # the counted plans attainment follows
    attainment: list[Attainment]      # their targets, plan by plan, in order
    attainment_periods: list[str] = field(default_factory=list)
    attainment_label: str = ""        # "Tháng 01/2026 – Tháng 10/2026"
    attainment_scope: str = "year"
    # With no counted plan: how many approved plans of the unit and those above it for the
    # year are not marked (the page says so rather than showing nothing silently).
    uncounted: int = 0

    @property
    def counts(self) -> Counts:
        return self.own.counts

    def by_plan(self) -> list[tuple[Plan, list[Attainment]]]:
        return [(plan, [a for a in self.attainment if a.target.plan_id == plan.id])
                for plan in self.plans]

    def values_by_code(self, row: Row | None = None) -> dict[str, object]:
        row = row or self.own
        return {item.indicator.code: row.value(item.indicator_id) for item in self.items}


# ---- building one -------------------------------------------------------------------------------

def _core(stmt):
    """Run a column query on the session's connection, skipping ORM row handling (the rows
    here are plain numbers, and there are thousands of them). The automatic scoping does not
    see these statements (lhpn.tenancy): every one of them filters by the tenant of the unit,
    form or plan it was given, which were loaded through the scoped getters, and the isolation
    tests (tests/test_tenant_scoping.py) read two tenants whose ids interleave. With no tenant
    set, it refuses like any scoped read unless a crossing is named."""
    require_scope("a consolidation query")
    return db.session.connection().execute(stmt)


def whole_year(template: ReportTemplate, codes: list[str]) -> int | None:
    """The year, when ``codes`` are every period of one year of a form that splits the year."""
    year = P.year_of(codes[0], template.period_type)
    if template.period_type not in SPLIT_YEAR_TYPES or year is None:
        return None
    listed = P.periods_of_year(template.period_type, year, template.cutoff_day)
    return year if codes == [p.code for p in listed] else None


def _totals(template: ReportTemplate, codes: list[str]):
    """Where the running totals of these periods are read: the year's totals (one row per unit
    and indicator) for a whole year, else the periods' own."""
    year = whole_year(template, codes)
    if year is not None:
        return RollupYear, RollupYear.year == year
    return Rollup, Rollup.period.in_(codes)


def _figures(unit_ids: list[int], template: ReportTemplate, codes: list[str],
             indicators: dict[int, Indicator]) -> dict[int, dict[int, Figure]]:
    model, when = _totals(template, codes)
    rows = _core(
        select(model.unit_id, model.indicator_id, *aggregates(model.__table__))
        .where(model.tenant_id == template.tenant_id, model.unit_id.in_(unit_ids),
               model.template_id == template.id, when)
        .group_by(model.unit_id, model.indicator_id))
    out: dict[int, dict[int, Figure]] = defaultdict(dict)
    for unit_id, indicator_id, *stats in rows:
        indicator = indicators.get(indicator_id)
        if indicator is not None:
            out[unit_id][indicator_id] = Figure.of(indicator, stats)
    return out


def _approved(unit_ids: list[int], template: ReportTemplate, codes: list[str]
              ) -> dict[int, tuple[int, int]]:
    rows = _core(
        select(RollupCount.unit_id, func.sum(RollupCount.approved), func.sum(RollupCount.on_time))
        .where(RollupCount.tenant_id == template.tenant_id, RollupCount.unit_id.in_(unit_ids),
               RollupCount.template_id == template.id, RollupCount.period.in_(codes))
        .group_by(RollupCount.unit_id))
    return {unit_id: (int(a or 0), int(o or 0)) for unit_id, a, o in rows}


def owes_report(opened_on: date | None, closed: bool, closed_at: datetime | None,
                due: date | None) -> bool:
    """Whether a unit owes the report of a period due on ``due``: it opened before that day,
    and it is open or closed after that day. (A unit that reported anyway counts as well; the
    callers that count add those reports.)"""
    if due is None:
        return not closed
    if opened_on is not None and opened_on >= due:
        return False
    return not closed or (closed_at is not None and local_date(closed_at) > due)


def _expected(unit: Unit, template: ReportTemplate, codes: list[str]) -> dict[int, int]:
    """How many reports were expected of the subtree, by the child they fall under (the unit's
    own reports under its own id)."""
    levels = template.level_list
    rows = _core(
        select(Unit.id, Unit.path, Unit.closed, Unit.closed_at, Unit.opened_on)
        .where(Unit.tenant_id == unit.tenant_id, Unit.level.in_(levels),
               Unit.path.startswith(unit.path, autoescape=True))).all()
    dues = {code: P.period_of(template, code)[1] for code in codes}
    earliest = min((due for due in dues.values() if due is not None), default=None)
    # Units owing every period are counted at once; the others (closed, or opened after a due
    # date) period by period, with the reports they sent anyway (one statement).
    late_start = (Unit.opened_on >= earliest) if earliest is not None else false()
    partial_ids = {r.id for r in rows if r.closed or (
        earliest is not None and r.opened_on is not None and r.opened_on >= earliest)}
    reported = set()
    if partial_ids:
        reported = set(_core(
            select(Report.unit_id, Report.period).join(Unit, Unit.id == Report.unit_id)
            .where(Unit.tenant_id == unit.tenant_id, Unit.level.in_(levels),
                   Unit.path.startswith(unit.path, autoescape=True),
                   Unit.closed | late_start, Report.template_id == template.id,
                   Report.period.in_(codes), Report.status == "approved")).all())
    position = unit.depth + 1
    out: dict[int, int] = defaultdict(int)
    for r in rows:
        parts = r.path.strip("/").split("/")
        key = int(parts[position]) if len(parts) > position else unit.id
        if r.id not in partial_ids:
            out[key] += len(codes)
            continue
        for code, due in dues.items():
            if owes_report(r.opened_on, r.closed, r.closed_at, due) or (r.id, code) in reported:
                out[key] += 1
    return out


def year_to_date(template: ReportTemplate, codes: list[str], year: int) -> list[str]:
    """The periods an annual target is compared with: for a form that splits the year, every
    period of ``year`` up to the last one shown; otherwise the periods shown."""
    if template.period_type not in SPLIT_YEAR_TYPES:
        return codes
    last = P.parse(codes[-1], template.period_type, template.cutoff_day)
    listed = P.periods_of_year(template.period_type, year, template.cutoff_day)
    if last is None or not listed:
        return codes
    return [p.code for p in listed if p.end <= last.end] or codes


def _attainment_totals(unit: Unit, template: ReportTemplate, codes: list[str]):
    """Where attainment reads its figures: the year's totals (one row per unit and indicator
    instead of one per period) when the periods are all of one year and nothing of the
    subtree was approved for another period of that year (in October, November's reports do
    not exist yet), else the periods' own totals."""
    years = {code[:4] for code in codes}
    year = int(codes[0][:4]) if len(years) == 1 and codes[0][:4].isdigit() else None
    if year is None or template.period_type not in SPLIT_YEAR_TYPES:
        return _totals(template, codes)
    others = [p.code for p in P.periods_of_year(template.period_type, year, template.cutoff_day)
              if p.code not in codes]
    if others and db.session.scalar(select(RollupCount.unit_id).where(
            RollupCount.tenant_id == unit.tenant_id, RollupCount.unit_id == unit.id,
            RollupCount.template_id == template.id, RollupCount.period.in_(others),
            RollupCount.approved > 0).limit(1)) is not None:
        return Rollup, Rollup.period.in_(codes)
    return RollupYear, RollupYear.year == year


def _bar(target: PlanTarget) -> Decimal:
    """What one unit's value must reach: the target itself, or for a share target the
    threshold each unit must reach (a "yes", 1, when none is given)."""
    if target.kind == "share":
        return Decimal(target.threshold if target.threshold is not None else 1)
    return Decimal(target.measured_value)


def _attainment(unit: Unit, template: ReportTemplate, codes: list[str], plans: list[Plan],
                indicators: dict[int, Indicator]) -> list[Attainment]:
    levels_below = _levels_at_or_below(unit)
    targets = [t for plan in plans for t in plan.targets if t.level in levels_below]
    out = []
    by_level: dict[str, list[PlanTarget]] = defaultdict(list)
    for target in targets:
        by_level[target.level].append(target)
    results: dict[int, Attainment] = {}
    checks = _checks([t for t in targets if not t.measured])
    totals = None
    for level, level_targets in by_level.items():
        units = _core(
            select(Unit.id, Unit.name, Unit.code, Unit.level, Unit.path)
            .where(Unit.tenant_id == unit.tenant_id, Unit.level == level, ~Unit.closed,
                   Unit.path.startswith(unit.path, autoescape=True))).all()
        wanted = [t.indicator_id for t in level_targets if t.indicator_id in indicators]
        values: dict[tuple[int, int], int | float | None] = {}
        if wanted and units:
            totals = totals or _attainment_totals(unit, template, codes)
            model, when = totals
            rows = _core(
                select(model.unit_id, model.indicator_id, *aggregates(model.__table__))
                .join(Unit, Unit.id == model.unit_id)
                .where(model.tenant_id == unit.tenant_id, Unit.tenant_id == unit.tenant_id,
                       Unit.level == level, Unit.path.startswith(unit.path, autoescape=True),
                       model.template_id == template.id, when,
                       model.indicator_id.in_(wanted))
                .group_by(model.unit_id, model.indicator_id))
            # Thousands of rows at branch level: values straight from the row, no Figure; an
            # int, float or Decimal compares exactly with the Decimal bar.
            for unit_id, indicator_id, *stats in rows:
                values[(unit_id, indicator_id)] = figure_value(indicators[indicator_id], *stats)
        for target in level_targets:
            if not target.measured:
                results[target.id] = _done(target, units, checks)
                continue
            indicator_id = target.indicator_id
            if indicator_id not in indicators:
                results[target.id] = Attainment(target, len(units), 0, in_form=False)
                continue
            bar, met, misses = _bar(target), 0, []
            for member in units:
                value = values.get((member.id, indicator_id))
                if value is not None and value >= bar:
                    met += 1
                else:
                    misses.append(Miss(member, value))
            results[target.id] = Attainment(target, len(units), met, misses)
    for target in targets:
        out.append(results[target.id])
    _name_parents(out)
    return out


def _name_parents(lines: list[Attainment]) -> None:
    """Each unit that misses a target named with its parents (one statement for all), in
    name order then parents' order."""
    units = {miss.unit.id: miss.unit for line in lines for miss in line.misses}
    chains = parent_chains(units.values()) if units else {}
    for line in lines:
        for miss in line.misses:
            miss.parents = chains.get(miss.unit.id, "")
            miss.label = SEPARATOR.join(part for part in (miss.unit.name, miss.parents) if part)
        twins = Counter(search_key(miss.label) for miss in line.misses)
        for miss in line.misses:
            if twins[search_key(miss.label)] > 1:
                miss.label += f" ({miss.unit.code})"
        # Qualitative targets: the units that have not answered come last.
        def order(miss: Miss, last: bool = not line.target.measured) -> tuple[bool, str, str]:
            return last and miss.done is None, search_key(miss.unit.name), search_key(miss.label)

        line.misses.sort(key=order)


def _checks(targets: list[PlanTarget]) -> dict[tuple[int, int], tuple[bool, str]]:
    if not targets:
        return {}
    rows = _core(select(TargetCheck.target_id, TargetCheck.unit_id, TargetCheck.done,
                        TargetCheck.note)
                 .where(TargetCheck.tenant_id == targets[0].plan.tenant_id,
                        TargetCheck.target_id.in_([t.id for t in targets])))
    return {(target_id, unit_id): (bool(done), note or "")
            for target_id, unit_id, done, note in rows}


def _done(target: PlanTarget, units, checks) -> Attainment:
    """A qualitative target: the units of its level that said it was done; the others, with
    their note, or as not answered yet."""
    met, misses = 0, []
    for member in units:
        answer = checks.get((target.id, member.id))
        if answer is not None and answer[0]:
            met += 1
        else:
            misses.append(Miss(member, None, done=None if answer is None else False,
                               note=answer[1] if answer else ""))
    misses.sort(key=lambda m: (m.done is None, search_key(m.unit.name)))
    return Attainment(target, len(units), met, misses)


def _levels_at_or_below(unit: Unit) -> list[str]:
    levels = unit.tenant.levels
    return levels[levels.index(unit.level):] if unit.level in levels else levels


def consolidate(unit: Unit, template: ReportTemplate, codes: list[str], *,
                children: bool = True, attainment: bool = True,
                attainment_scope: str = "year") -> Consolidation:
    """The consolidation of ``unit``'s subtree for a form over the given period codes; plan
    attainment over the year to date (``attainment_scope="year"``) or the periods shown
    (``"periods"``)."""
    # A protected indicator (free text that may name a victim) is never consolidated.
    items = [item for item in template.items if not is_protected(item.indicator)]
    indicators = {item.indicator_id: item.indicator for item in items}
    kids = []
    if children:
        kids = sorted(db.session.scalars(select(Unit).where(Unit.parent_id == unit.id)).all(),
                      key=lambda u: (u.closed, search_key(u.name)))
    ids = [unit.id] + [k.id for k in kids]
    figures = _figures(ids, template, codes, indicators)
    approved = _approved(ids, template, codes)
    expected = _expected(unit, template, codes)
    total_expected = sum(expected.values())

    def row(member: Unit, wanted: int) -> Row:
        a, o = approved.get(member.id, (0, 0))
        # A unit that reported is expected, even if it closed before it was due.
        return Row(member, Counts(max(wanted, a), a, o), figures.get(member.id, {}))

    own = row(unit, total_expected)
    rows = [row(k, expected.get(k.id, 0)) for k in kids]
    year = P.parse(codes[-1], template.period_type, template.cutoff_day)
    plan_year = year.end.year if year else P.period_of(template, codes[-1])[1].year
    plans = counted_plans(unit, plan_year) if attainment else []
    scope = "periods" if attainment_scope == "periods" else "year"
    compared = year_to_date(template, codes, plan_year) if scope == "year" else codes
    results = _attainment(unit, template, compared, plans, indicators) if plans else []
    uncounted = 0
    if attainment and not plans:
        uncounted = db.session.scalar(select(func.count(Plan.id)).where(
            Plan.tenant_id == unit.tenant_id, Plan.unit_id.in_(unit.ancestor_ids),
            Plan.year == plan_year, Plan.status == "approved")) or 0
    return Consolidation(unit, template, codes, periods_label(template, codes), items, own, rows,
                         plans, results, compared,
                         periods_label(template, compared) if plans else "", scope, uncounted)


def trend(unit: Unit, template: ReportTemplate, indicator: Indicator, codes: list[str]
          ) -> list[tuple[str, int | float | None]]:
    """(period label, consolidated value) of one indicator for each period, in order."""
    figures: dict[str, Figure] = {}
    rows = db.session.execute(
        select(Rollup.period, *_STAT_COLUMNS)
        .where(Rollup.tenant_id == unit.tenant_id, Rollup.unit_id == unit.id,
               Rollup.template_id == template.id, Rollup.indicator_id == indicator.id,
               Rollup.period.in_(codes))
        .group_by(Rollup.period))
    for period, *stats in rows:
        figures[period] = Figure.of(indicator, stats)
    return [(P.period_label(template, code), figures[code].value if code in figures else None)
            for code in codes]


def country(template_code: str, codes: list[str]) -> dict[str, dict]:
    """The whole platform's consolidation of one form (same code in every tenant), by indicator
    code: a read-only sum over the root units' running totals, for the system administrator.
    Crossing every tenant is the point: the caller has checked the system administrator."""
    root = Unit.__table__.alias("root")
    indicator = Indicator.__table__
    template = ReportTemplate.__table__
    with crossing_tenants("whole_country"):
        rows = db.session.execute(
            select(indicator.c.code, indicator.c.kind, indicator.c.aggregation, *_STAT_COLUMNS)
            .select_from(Rollup.__table__
                         .join(root, (root.c.id == Rollup.unit_id) & root.c.parent_id.is_(None))
                         .join(template, template.c.id == Rollup.template_id)
                         .join(indicator, indicator.c.id == Rollup.indicator_id))
            .where(template.c.code == template_code, Rollup.period.in_(codes))
            .group_by(indicator.c.code, indicator.c.kind, indicator.c.aggregation))
    out = {}
    for code, kind, how, *stats in rows:
        stand_in = Indicator(code=code, kind=kind, aggregation=how)
        figure = Figure.of(stand_in, stats)
        out[code] = {"value": figure.value, "reports": figure.reports}
    return out


def resolve_request(unit: Unit, args) -> tuple[ReportTemplate, list[str]]:
    """The form and periods a page, export or API call asks for: ``template`` (code or id), and
    ``period`` or ``from`` + ``to``; without a template the unit's first form, without a period
    its latest period that is due. Bad input raises DomainError / NotFound, naming the field."""
    template = pick_template(unit, args.get("template"))
    if any(args.get(k) for k in ("period", "from", "to")):
        codes = resolve_periods(template, args.get("period") or None, args.get("from") or None,
                                args.get("to") or None)
    else:
        codes = [default_period(template)]
    return template, codes


def from_request(unit: Unit, args) -> Consolidation:
    template, codes = resolve_request(unit, args)
    return consolidate(unit, template, codes, attainment_scope=attainment_scope(args))


def attainment_scope(args) -> str:
    """``attainment=periods`` compares the targets with the periods shown; by default, with
    the year to date."""
    return "periods" if args.get("attainment") == "periods" else "year"


def forms_for(unit: Unit) -> list[ReportTemplate]:
    """Forms whose reports a unit's subtree files (levels at or below the unit)."""
    from lhpn.reports.services import templates_of

    below = set(_levels_at_or_below(unit))
    return [t for t in db.session.scalars(templates_of(unit.tenant_id))
            if below & set(t.level_list)]


def pick_template(unit: Unit, key: object) -> ReportTemplate:
    from lhpn.errors import NotFound
    from lhpn.reports.services import get_template

    if key not in (None, ""):
        return get_template(unit.tenant_id, key)
    forms = forms_for(unit)
    if not forms:
        raise NotFound(_("Chưa có biểu mẫu báo cáo nào cho đơn vị này."))
    preferred = [t for t in forms if t.period_type == "month"]
    return (preferred or forms)[0]


def default_period(template: ReportTemplate, today=None) -> str:
    """The latest period whose report is already due (or the first one listed)."""
    from lhpn.clock import local_today

    today = today or local_today()
    listed = _sequence(template)
    if listed is not None:
        due = [tp.code for tp in template.periods if tp.due_date <= today]
        return (due or listed or [""])[-1] if (due or listed) else ""
    for year in (today.year, today.year - 1):
        done = [p.code for p in P.periods_of_year(template.period_type, year, template.cutoff_day)
                if P.due_date(p, template.due_day, template.due_months_after) <= today]
        if done:
            return done[-1]
    return P.periods_of_year(template.period_type, today.year, template.cutoff_day)[0].code
