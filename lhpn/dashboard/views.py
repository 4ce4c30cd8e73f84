"""The dashboard page, served at / by lhpn.home: the to-do list, the approver's inbox, the late
children, and three charts of the selected unit (completeness by child, plan attainment, an
indicator over the year). Query arguments are only wishes: the unit goes through the
tenant-scoped getter and the authorization check, the form, period and indicator through the
services that refuse what does not exist."""

from dataclasses import dataclass

from babel.numbers import format_compact_decimal
from flask import g, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from lhpn import tenant_versions
from lhpn.access import load_unit
from lhpn.agenda import services as agenda
from lhpn.clock import local_today
from lhpn.consolidation import freshness
from lhpn.consolidation import services as consolidation
from lhpn.consolidation.views import number
from lhpn.dashboard import services
from lhpn.errors import DomainError
from lhpn.incidents.services import counts_for as incident_counts
from lhpn.labels import level_label
from lhpn.plans import services as plan_services
from lhpn.plans.views import child_state_label, target_sentence
from lhpn.reports import periods as P
from lhpn.reports import reminders
from lhpn.reports.views import state_label
from lhpn.units.picker import picker

MAX_BARS = 25  # the worst children; the table and the consolidation page list them all
LATE_SHOWN = 10  # the children furthest behind; the consolidation page lists them all


@dataclass
class Bar:
    """One row of a horizontal bar chart; ``value`` and ``mark`` are percentages."""

    label: str
    title: str
    value: float | None
    text: str
    note: str = ""
    mark: float | None = None
    target: float | None = None
    href: str | None = None
    tone: str = ""

    @property
    def short(self) -> str:
        """The label cut to share its line with the note (about 7 units a character at 14,
        6 at 12, in 360); the full text is in the row's <title>."""
        limit = max(16, min(48, int((350 - 6.2 * len(self.note)) / 7)))
        if len(self.label) <= limit:
            return self.label
        return self.label[:limit - 1].rstrip(" ·:,") + "…"


@dataclass
class Column:
    label: str
    title: str
    value: float | None
    text: str


def percent(value) -> str:
    return "—" if value is None else f"{format_decimal(value)}%"


def compact(value) -> str:
    """Short enough to sit above a narrow column: 12,3 N; 1,2 Tr."""
    if value is None:
        return "–"
    if abs(value) < 10_000:
        return format_decimal(value)
    return format_compact_decimal(value, locale=get_locale(), fraction_digits=1)


def consolidation_url(unit_id: int, template_code: str, period: str) -> str:
    # The consolidation page with the same form and period.
    return url_for("consolidation.page", unit_id=unit_id, template=template_code, period=period)


def short_period(template, code: str, index: int) -> str:
    parsed = P.parse(code, template.period_type, template.cutoff_day)
    if parsed is None:
        return str(index + 1)
    if template.period_type == "month":
        return _("T%(m)d", m=parsed.end.month)
    if template.period_type == "year":
        return code
    return code.split("-")[-1]


def _tone(share: float | None) -> str:
    if share is None or share < 50:
        return "low"
    return "mid" if share < 100 else "full"


def completeness_bars(found: services.Charts) -> list[Bar]:
    t, period = found.result.template, found.result.periods[0]
    bars = []
    for row in found.completeness:
        c = row.counts
        text = _("%(a)d/%(e)d · đúng hạn %(t)s", a=c.approved, e=c.expected,
                 t=percent(c.timeliness))
        title = _("%(unit)s: đã duyệt %(a)d/%(e)d báo cáo (%(c)s), đúng hạn %(o)d (%(t)s)",
                  unit=row.unit.name, a=c.approved, e=c.expected, c=percent(c.completeness),
                  o=c.on_time, t=percent(c.timeliness))
        bars.append(Bar(row.unit.name, title, c.completeness, percent(c.completeness), text,
                        mark=c.timeliness, href=consolidation_url(row.unit.id, t.code, period),
                        tone=_tone(c.completeness)))
    return bars


def attainment_bars(found: services.Charts) -> list[Bar]:
    t, period, unit = found.result.template, found.result.periods[0], found.result.unit
    bars = []
    several = len(found.result.plans) > 1
    for a in found.result.attainment:
        target = a.target
        sentence = target_sentence(target)
        name = target.measured_indicator.name if target.measured else target.text
        if several:  # each counted plan's targets under its own number
            name = f"{a.plan.number or a.plan.title} · {name}"
        if not a.in_form:
            bars.append(Bar(name, sentence, None, "—", _("không có trong biểu mẫu này")))
            continue
        verdict = _("đạt") if a.attained else _("chưa đạt")
        note = _("%(m)d/%(n)d đơn vị · %(v)s", m=a.met, n=a.units, v=verdict)
        title = _("%(target)s: %(m)d/%(n)d đơn vị đạt (%(s)s) — %(v)s", target=sentence,
                  m=a.met, n=a.units, s=percent(a.share_met), v=verdict)
        bars.append(Bar(
            f"{level_label(target.level)}: {name}", title, a.share_met,
            percent(a.share_met), note,
            target=float(target.measured_value) if target.kind == "share" else None,
            href=consolidation_url(unit.id, t.code, period),
            tone="full" if a.attained else "low"))
    return bars


def trend_columns(found: services.Charts) -> list[Column]:
    template, indicator = found.result.template, found.indicator
    rate = indicator is not None and (indicator.kind == "rate" or indicator.aggregation == "share")
    show = percent if rate else number
    return [Column(short_period(template, p.period, i), f"{p.label}: {show(p.value)}",
                   p.value, compact(p.value) + ("%" if rate and p.value is not None else ""))
            for i, p in enumerate(found.trend)]


def _period_choices(template, shown: str) -> list[tuple[str, str]]:
    """This year's periods and last year's, newest first (or the form's own list)."""
    return list(reversed(consolidation.period_choices(template, shown)))


def _selection(unit, args) -> dict:
    """The form, period and indicator asked for; the defaults when the form was just changed
    in the selector (the old period and indicator belong to the old form)."""
    forms = services.dashboard_forms(unit)
    if args.get("template"):
        template = consolidation.pick_template(unit, args.get("template"))
    elif forms:
        template = ([t for t in forms if t.period_type == "month"] or forms)[0]
    else:
        return {"forms": [], "template": None}
    if template.period_type == "adhoc":
        raise DomainError(_("Báo cáo đột xuất không có kỳ để theo dõi ở đây; hãy xem ở trang "
                            "tổng hợp."), "template")
    changed = bool(args.get("shown")) and args.get("shown") != template.code
    period_arg = None if changed else args.get("period")
    period = (consolidation.resolve_periods(template, period_arg)[0] if period_arg
              else consolidation.default_period(template))
    indicator = services.pick_indicator(template, None if changed else args.get("indicator"))
    return {"forms": forms, "template": template, "period": period, "indicator": indicator}


def _figures(unit, template, period: str, indicator, today) -> dict:
    """The late children and the charts, rendered once per change of the tenant's figures
    (lhpn/tenant_versions.py): they depend on the unit, form, period, indicator and
    day, never on who looks (the unit's view right is checked before)."""
    version = tenant_versions.version(unit.tenant_id)
    base = (unit.tenant_id, version, unit.id, template.id)
    built: dict[tuple, consolidation.Consolidation] = {}

    def build(codes: list[str]) -> consolidation.Consolidation:
        # The late children and the charts often look at the same period: build it once.
        if tuple(codes) not in built:
            built[tuple(codes)] = consolidation.consolidate(unit, template, codes)
        return built[tuple(codes)]

    def late() -> str:
        found = services.late_children(
            unit, template, today, build if consolidation.default_period(template, today) == period
            else None)
        if not found or not found.children:
            return ""
        return render_template("dashboard/_late.html", late=found, late_shown=LATE_SHOWN,
                               consolidation_url=consolidation_url)

    def charts() -> str:
        found = services.charts(unit, template, period, indicator, build)
        return render_template(
            "dashboard/_charts_body.html", found=found, unit=unit, template=template,
            period=period, indicator=indicator, number=number, percent=percent,
            consolidation_url=consolidation_url, target_sentence=target_sentence,
            bars={"completeness": completeness_bars(found),
                  "attainment": attainment_bars(found)},
            columns=trend_columns(found), max_bars=MAX_BARS)

    # Our own templates' autoescaped output, kept as strings in the cache.
    return {
        "late_html": Markup(freshness.cached(  # noqa: S704
            ("dashboard-late", *base, today.isoformat()), late)),
        "charts_html": Markup(freshness.cached(  # noqa: S704
            ("dashboard-charts", *base, period, indicator.id if indicator else ""), charts)),
    }


def render_dashboard():
    user, today = current_user, local_today()
    assignments = sorted(user.assignments, key=lambda a: (a.unit.path, a.role))
    page = {"assignments": assignments, "today": today, "unit": None, "error": None,
            "late_html": "", "charts_html": "", "state_label": state_label,
            "child_state_label": child_state_label, "period_label": P.period_label}
    if not user.tenant_id:
        return render_template("dashboard/index.html", **page)
    page["reach"] = services.reach_counts(user)
    page["tasks"] = services.tasks(user, today)
    page["plan_requests"] = plan_services.open_requests(user, today)
    page["inbox_reports"], page["inbox_total"] = services.waiting(user)
    page["incidents"] = incident_counts(user, today)
    # Every record kind's deadlines (lhpn/records.py): overdue follow-ups of the units viewed.
    page.update(deadlines=agenda.upcoming(user, today), shown=agenda.SHOWN_ON_DASHBOARD,
                days=agenda.UPCOMING_DAYS)
    if page["inbox_total"]:  # the menu's count (lhpn/reports/views.py) needs no query again
        g.report_inbox_count = page["inbox_total"]
    wanted = request.args.get("unit")
    unit = load_unit(wanted, "view") if wanted else services.home_unit(user)
    if unit is None:
        return render_template("dashboard/index.html", **page)
    page.update(unit=unit, unit_field=picker("unit", "view", request.args, chosen_id=unit.id,
                                             levels=services.unit_levels(unit)))
    try:
        chosen = _selection(unit, request.args)
    except DomainError as exc:
        page.update(error=exc.message, forms=services.dashboard_forms(unit), template=None)
        return render_template("dashboard/index.html", **page), exc.status
    page.update(chosen)
    template = chosen["template"]
    if template is not None:
        page.update(periods=_period_choices(template, chosen["period"]),
                    indicators=services.chart_indicators(template),
                    remind=reminders.offer(user, unit, template,
                                           consolidation.default_period(template, today)))
        page.update(_figures(unit, template, chosen["period"], chosen["indicator"], today))
    return render_template("dashboard/index.html", **page)
