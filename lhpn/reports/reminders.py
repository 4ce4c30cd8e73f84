"""Reminding the units below that are late with a report of a form and period.

A unit is late when the period's due date has passed and its report is not sent (not started,
draft or returned); a report sent and waiting for approval is the approver's to act on. Each
level reminds its own children (those whose reports it approves); the rule for who may remind
is ``lhpn.authz.follow_up``. A unit is reminded at most once a day (Vietnam date) of a report:
one row per unit, form, period and day, inserted with "on conflict do nothing", so two
requests at once remind a unit once. Operations flush; the caller commits.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from lhpn.audit.services import record
from lhpn.authz.follow_up import may_remind, require_remind
from lhpn.clock import local_today, utcnow
from lhpn.errors import NotFound
from lhpn.extensions import db
from lhpn.labels import lower_first, report_named
from lhpn.notifications.reminders import Reminded
from lhpn.notifications.services import notify, users_who_can
from lhpn.reports.models import Report, ReportReminder, ReportTemplate
from lhpn.reports.periods import period_label, period_of
from lhpn.tenant_versions import bump_activity
from lhpn.units.models import Unit

SENT = ("submitted", "approved")


@dataclass
class LateUnit:
    unit: Unit
    report: Report | None
    reminded_today: bool


@dataclass
class Late:
    """The children late with a report, for the page that offers to remind them."""

    template: ReportTemplate
    period: str
    label: str
    due_date: date
    units: list[LateUnit]

    @property
    def to_remind(self) -> int:
        return sum(1 for row in self.units if not row.reminded_today)


def late_children(parent: Unit, template: ReportTemplate, period: str,
                  today: date | None = None) -> Late:
    """The open children of ``parent`` that fill the form and have not sent their report of
    the period, once it is past due (three statements, whatever the number of children)."""
    if template.tenant_id != parent.tenant_id:
        raise NotFound(_("Không tìm thấy biểu mẫu."))
    found, due = period_of(template, period)
    today = today or local_today()
    late = Late(template, found.code, period_label(template, found.code), due, [])
    if today <= due:
        return late
    children = db.session.scalars(
        select(Unit).where(Unit.parent_id == parent.id, Unit.level.in_(template.level_list),
                           ~Unit.closed).order_by(Unit.path)).all()
    if not children:
        return late
    ids = [unit.id for unit in children]
    reports = {r.unit_id: r for r in db.session.scalars(select(Report).where(
        Report.unit_id.in_(ids), Report.template_id == template.id,
        Report.period == found.code))}
    reminded = set(db.session.scalars(select(ReportReminder.unit_id).where(
        ReportReminder.unit_id.in_(ids), ReportReminder.template_id == template.id,
        ReportReminder.period == found.code, ReportReminder.reminded_on == today)))
    late.units = [LateUnit(unit, reports.get(unit.id), unit.id in reminded)
                  for unit in children
                  if unit.id not in reports or reports[unit.id].status not in SENT]
    return late


def remind_late(actor, parent: Unit, template: ReportTemplate, period: str) -> Reminded:
    """Remind each late child's staff, once a day; says how many were reminded and skipped."""
    require_remind(actor, parent)
    today = local_today()
    late = late_children(parent, template, period, today)
    answer = Reminded()
    now = utcnow()
    for row in late.units:
        claimed = db.session.execute(_insert_once().values(
            tenant_id=parent.tenant_id, unit_id=row.unit.id, template_id=template.id,
            period=late.period, reminded_on=today, reminded_by_id=actor.id,
            created_at=now)).first()
        if claimed is None:  # already reminded today (by this click's twin, or earlier)
            answer.skipped += 1
            continue
        link = f"/reports/{row.report.id}" if row.report else f"/reports/?unit={row.unit.id}"
        notify(users_who_can("submit", row.unit),
               _("Nhắc: %(report)s kỳ %(p)s đã quá hạn nộp %(d)s. Hãy hoàn thành và gửi sớm.",
                 report=report_named(template.name), p=lower_first(late.label),
                 d=late.due_date.strftime("%d/%m/%Y")), link)
        answer.reminded += 1
    if answer.reminded:
        # The rows above bypass the ORM: pages showing who was reminded today are stale now.
        bump_activity(db.session.connection(), [parent.tenant_id])
    record("report.remind", "unit", parent.id, actor=actor, tenant_id=parent.tenant_id,
           summary=f"{template.name} · {late.label}: {answer.reminded}",
           template=template.code, period=late.period, count=answer.reminded,
           skipped=answer.skipped)
    db.session.flush()
    return answer


def _insert_once():
    table = ReportReminder.__table__
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    # RETURNING tells whether the row went in (a rowcount is not reliable with RETURNING).
    return dialect.insert(table).on_conflict_do_nothing(
        index_elements=["unit_id", "template_id", "period", "reminded_on"]).returning(table.c.id)


def offer(user, unit: Unit, template: ReportTemplate | None, period: str | None) -> Late | None:
    """What a page offers to remind: the late children, if the user may remind them."""
    if template is None or not period or not may_remind(user, unit):
        return None
    late = late_children(unit, template, period)
    return late if late.units else None
