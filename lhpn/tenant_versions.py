"""The tenant's two counters that keep cached pages honest (infrastructure: no request code).

Each tenant carries two counters that go up in the same transaction as the change they stand
for:
- ``figures_version``: anything a consolidation shows — an approval or reopening
  (lhpn/consolidation/rollups.py) and any change to units, plans, forms or indicators;
- ``activity_version``: the rest a dashboard or consolidation page shows around the figures —
  a report created, deleted or changing status, role assignments, a user's name or state, and
  notifications.
The flush listeners below bump them for every ORM change; the few bulk statements that bypass
the ORM call ``bump`` / ``bump_activity`` themselves. The page cache that reads them is
lhpn/consolidation/freshness.py. Every tenant-scoped model is either watched here or listed in
``EXEMPT`` with its reason (tests/test_page_cache.py checks it).
"""

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from lhpn.accounts.models import RoleAssignment, User
from lhpn.critiques.models import Critique
from lhpn.dialogues.models import Dialogue
from lhpn.extensions import Model, db
from lhpn.files.models import RecordFile
from lhpn.followups.models import FollowUp
from lhpn.incidents.models import (
    Consent,
    Incident,
    IncidentKind,
    Intervention,
    Referral,
    Victim,
)
from lhpn.indicators.models import Indicator
from lhpn.notifications.models import Notification
from lhpn.petitions.models import Petition, PetitionDeadline
from lhpn.plans.models import Plan, PlanRequest, PlanTarget, TargetCheck
from lhpn.privacy.models import Breach, DataRequest, SensitiveRead
from lhpn.reports.models import (
    Attachment,
    Report,
    ReportReminder,
    ReportTemplate,
    TemplateItem,
    TemplatePeriod,
)
from lhpn.supervisions.models import Supervision, SupervisionDocument
from lhpn.tenants.models import Tenant
from lhpn.units.imports_models import ImportBatch
from lhpn.units.models import Unit
from lhpn.workflow.models import WorkflowEvent

# A unit's "done / not done" for a qualitative target shows in attainment like a figure.
WATCHED = (Unit, Plan, PlanTarget, TargetCheck, ReportTemplate, TemplateItem, TemplatePeriod,
           Indicator, Tenant)
# Changes of these attributes show on pages; a draft's values, a login or a failed password
# do not (they would empty every cached page of the province for nothing). None: any change.
ACTIVITY: dict[type[Model], tuple[str, ...] | None] = {
    Report: ("status",), RoleAssignment: None, Notification: None,
    User: ("username", "full_name", "unit_id", "tenant_id", "locked", "is_system_admin",
           "must_change_password"),
    # The dashboard counts the open cases and those overdue with the authorities.
    Incident: ("status", "unit_id"), FollowUp: ("status", "due_on"),
    # The dashboard's deadlines: comments due on a draft, a dialogue's commitments (named by
    # the dialogue); the reports' figures come from approved values, not from these rows.
    Critique: ("status", "comments_due", "unit_id", "kind", "draft_title"),
    Dialogue: ("leader_name", "leader_title", "unit_id"),
    # The same deadlines: a recommendation is named by its supervision's title; a petition's
    # legal deadline while the unit holds it (named by its register number).
    Supervision: ("title", "unit_id"),
    Petition: ("status", "due_on", "unit_id", "category", "number", "year")}
# Tenant-scoped models whose changes no cached page shows by themselves, and why.
EXEMPT = {
    WorkflowEvent: "written with the status change it records (a Report or Plan, watched); "
                   "timeliness comes from the running totals, which bump",
    Attachment: "shown only on the report's own page, which is never cached",
    RecordFile: "shown only on its record's own page, which is never cached",
    ReportReminder: "written by a bulk statement that bumps activity itself "
                    "(lhpn/reports/reminders.py)",
    PlanRequest: "created by the parent plan's approval and answered by the child's plan, "
                 "both watched",
    ImportBatch: "an import's own record; the units it creates are watched",
    IncidentKind: "named on the incident pages only, which are never cached (no-store)",
    Victim: "shown on the incident pages only, never cached; the dashboard counts cases",
    Intervention: "shown on the incident pages only, never cached",
    Consent: "shown on the incident pages only, never cached",
    Referral: "shown on the incident pages only, never cached",
    DataRequest: "shown on the incident pages only, never cached",
    Breach: "the breach pages are the tenant admin's and are not cached",
    SupervisionDocument: "shown on the supervision's own page only, never cached",
    PetitionDeadline: "read at intake only: a petition keeps the day it is due, watched",
    SensitiveRead: "a log of who read personal data, written by the reads themselves (a "
                   "consolidation never shows it, and counting reads would empty the cache)",
}


def bump(connection, tenant_ids, *, activity: bool = False) -> None:
    """The figures changed (and, with ``activity``, the pages around them too)."""
    _bump(connection, tenant_ids, figures=True, activity=activity)


def bump_activity(connection, tenant_ids) -> None:
    _bump(connection, tenant_ids, figures=False, activity=True)


def _bump(connection, tenant_ids, *, figures: bool, activity: bool) -> None:
    ids = sorted({t for t in tenant_ids if t is not None})
    if not ids:
        return
    table = Tenant.__table__
    values = {}
    if figures:
        values["figures_version"] = table.c.figures_version + 1
    if activity:
        values["activity_version"] = table.c.activity_version + 1
    connection.execute(update(table).where(table.c.id.in_(ids)).values(**values))


def _tenant_of(obj) -> int | None:
    if isinstance(obj, Tenant):
        return obj.id
    if isinstance(obj, PlanTarget | TemplateItem | TemplatePeriod):
        parent = obj.__dict__.get("plan") or obj.__dict__.get("template")
        return getattr(parent, "tenant_id", None)
    return getattr(obj, "tenant_id", None)


def _activity(session: Session, obj) -> bool:
    if type(obj) not in ACTIVITY:
        return False
    attributes = ACTIVITY[type(obj)]
    if obj in session.new or obj in session.deleted or attributes is None:
        return obj in session.new or obj in session.deleted or session.is_modified(obj)
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context, _instances) -> None:
    figures, activity = set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, WATCHED) and (obj in session.new or obj in session.deleted
                                         or session.is_modified(obj)):
            figures.add(_tenant_of(obj))
        elif _activity(session, obj):
            activity.add(_tenant_of(obj))
    figures.discard(None)
    activity.discard(None)
    if figures or activity:
        session.info.setdefault("lhpn_figures_tenants", set()).update(figures)
        session.info.setdefault("lhpn_activity_tenants", set()).update(activity)


@event.listens_for(Session, "after_flush")
def _bump_flushed(session: Session, _context) -> None:
    figures = session.info.pop("lhpn_figures_tenants", set())
    activity = session.info.pop("lhpn_activity_tenants", set()) - figures
    if figures:
        # What changes the figures changes the pages too: one statement for both.
        bump(session.connection(), figures, activity=True)
    if activity:
        bump_activity(session.connection(), activity)


def version(tenant_id: int) -> int:
    return db.session.scalar(select(Tenant.figures_version).where(Tenant.id == tenant_id)) or 0
